//! The loopback listener that receives the browser's redirect: bound to 127.0.0.1 on a port the
//! system picks, single-use, deaf to stray requests (favicon, other paths, a foreign `state`),
//! closed after the first valid callback, on timeout, or on cancel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

use super::AuthError;

/// What the browser brought back with the right `state`.
pub(crate) enum Callback {
    /// An authorization code (secret: never logged or shown).
    Code(String),
    /// `error=...` from the identity platform (e.g. `access_denied`).
    Error {
        error: String,
        description: Option<String>,
    },
}

pub(crate) struct Loopback {
    pub redirect_uri: String,
    pub result: oneshot::Receiver<Result<Callback, AuthError>>,
}

/// The largest request head accepted; a callback URL is a few kilobytes at most.
const MAX_HEAD: usize = 16 * 1024;
/// A connection that does not send its request in this time is dropped (it cannot stall the flow:
/// each connection is served on its own task).
const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// Binds the listener and serves it in the background until a valid callback, `timeout`,
/// `cancel` becoming true, or the result receiver being dropped.
pub(crate) async fn start(
    expected_state: String,
    timeout: Duration,
    mut cancel: watch::Receiver<bool>,
) -> Result<Loopback, AuthError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| AuthError::Listener(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| AuthError::Listener(e.to_string()))?
        .port();
    // `localhost` rather than 127.0.0.1: the Entra portal accepts only http://localhost for
    // desktop apps, and the port is ignored when matching it. The listener itself stays on 127.0.0.1.
    let redirect_uri = format!("http://localhost:{port}/");
    let (result_tx, result_rx) = oneshot::channel();
    let expected_state = Arc::new(expected_state);
    let claimed = Arc::new(AtomicBool::new(false));

    tokio::spawn(async move {
        let mut result_tx = result_tx;
        let (valid_tx, mut valid_rx) = mpsc::channel::<Callback>(1);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let outcome = loop {
            tokio::select! {
                _ = &mut deadline => {
                    break Err(AuthError::TimedOut { minutes: timeout.as_secs().div_ceil(60) });
                }
                _ = cancel.wait_for(|c| *c) => break Err(AuthError::Cancelled),
                _ = result_tx.closed() => return,
                Some(cb) = valid_rx.recv() => break Ok(cb),
                accepted = listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        tokio::spawn(serve(stream, expected_state.clone(), claimed.clone(), valid_tx.clone()));
                    }
                }
            }
        };
        // Stop taking connections before reporting: the port is single-use.
        drop(listener);
        claimed.store(true, Ordering::SeqCst);
        match &outcome {
            Ok(_) => tracing::debug!("sign-in callback received; loopback listener closed"),
            Err(e) => tracing::info!("sign-in loopback listener closed: {e}"),
        }
        let _ = result_tx.send(outcome);
    });

    Ok(Loopback {
        redirect_uri,
        result: result_rx,
    })
}

/// Serves one connection: answers it, and passes on a callback that carries the right state.
async fn serve(
    mut stream: TcpStream,
    expected_state: Arc<String>,
    claimed: Arc<AtomicBool>,
    valid: mpsc::Sender<Callback>,
) {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => return,
    };
    let (status, page, callback) = answer(&head, &expected_state, &claimed);
    let _ = respond(&mut stream, status, &page).await;
    if let Some(cb) = callback {
        let _ = valid.send(cb).await;
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            return String::from_utf8(buf).ok();
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
}

/// Decides the answer to one request. Only `GET /?state=<ours>&(code|error)=...` ends the flow,
/// and only once.
fn answer(
    head: &str,
    expected_state: &str,
    claimed: &AtomicBool,
) -> (u16, String, Option<Callback>) {
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" {
        return (
            405,
            page(
                "Not supported",
                "This address only receives the sign-in answer.",
            ),
            None,
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != "/" {
        tracing::debug!("ignored a loopback request for another path");
        return (
            404,
            page(
                "Not found",
                "This address only receives the sign-in answer.",
            ),
            None,
        );
    }
    let mut state = None;
    let mut code = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "state" => state = Some(v.into_owned()),
            "code" => code = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    let state_ok = state
        .as_deref()
        .is_some_and(|s| constant_time_eq(s, expected_state));
    if !state_ok || (code.is_none() && error.is_none()) {
        tracing::warn!(
            "ignored a loopback request that does not belong to the sign-in in progress"
        );
        return (
            400,
            page(
                "Not this sign-in",
                "This answer does not belong to the sign-in in progress, so it was ignored. \
                 Go back to Directory Sync.",
            ),
            None,
        );
    }
    if claimed.swap(true, Ordering::SeqCst) {
        return (
            400,
            page(
                "Already done",
                "This sign-in has already been answered. Go back to Directory Sync.",
            ),
            None,
        );
    }
    match (code, error) {
        (_, Some(error)) => {
            let shown = description
                .as_deref()
                .and_then(|d| d.lines().next())
                .unwrap_or(error.as_str())
                .to_string();
            (
                200,
                page(
                    "Sign-in did not complete",
                    &format!("{} Go back to Directory Sync for details.", escape(&shown)),
                ),
                Some(Callback::Error { error, description }),
            )
        }
        (Some(code), None) => (
            200,
            page(
                "Sign-in received",
                "You can close this tab and go back to Directory Sync.",
            ),
            Some(Callback::Code(code)),
        ),
        (None, None) => unreachable!("checked above"),
    }
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Directory Sync: {title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;margin:3em\"><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
