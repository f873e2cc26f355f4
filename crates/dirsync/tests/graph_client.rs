//! The Graph client against a scripted HTTP peer: retries, throttling, token renewal, errors.
//! (The sync tests exercise the same client against the Graph emulator.)

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dirsync::auth::{AuthError, TokenProvider};
use dirsync::graph::{GraphClient, GraphError, GraphEvent, RetryPolicy, Sleeper};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One scripted answer.
enum Reply {
    Http {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Announces more bytes than it sends, then closes.
    Truncated(&'static str),
    /// Closes the connection without answering.
    Drop,
}

fn json(status: u16, body: &str) -> Reply {
    Reply::Http {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: body.to_string(),
    }
}

fn with_header(status: u16, name: &'static str, value: &str, body: &str) -> Reply {
    Reply::Http {
        status,
        headers: vec![
            ("content-type", "application/json".into()),
            (name, value.to_string()),
        ],
        body: body.to_string(),
    }
}

fn graph_error(code: &str) -> String {
    format!(
        r#"{{"error":{{"code":"{code}","message":"msg for {code}","innerError":{{"date":"2026-08-13T13:03:10","request-id":"rid-{code}"}}}}}}"#
    )
}

struct Peer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn peer(script: Vec<Reply>) -> Peer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).to_string());
            let reply = script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| json(500, &graph_error("scriptExhausted")));
            let bytes = match reply {
                Reply::Http {
                    status,
                    headers,
                    body,
                } => {
                    let mut head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    format!("{head}\r\n{body}")
                }
                Reply::Truncated(part) => format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{part}",
                    part.len() + 100
                ),
                Reply::Drop => String::new(),
            };
            let _ = sock.write_all(bytes.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    Peer { url, requests }
}

/// Hands out `token-N`; N grows on each forced refresh.
#[derive(Default)]
struct Tokens {
    refreshes: AtomicUsize,
}

#[async_trait::async_trait]
impl TokenProvider for Tokens {
    async fn access_token(&self, force_refresh: bool) -> Result<String, AuthError> {
        if force_refresh {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
        }
        Ok(format!(
            "secret-token-{}",
            self.refreshes.load(Ordering::SeqCst)
        ))
    }
}

#[derive(Default)]
struct RecordingSleeper(Mutex<Vec<Duration>>);

#[async_trait::async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

struct Harness {
    client: GraphClient,
    tokens: Arc<Tokens>,
    sleeps: Arc<RecordingSleeper>,
    events: Arc<Mutex<Vec<GraphEvent>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

async fn harness(script: Vec<Reply>, policy: RetryPolicy) -> Harness {
    let p = peer(script).await;
    let tokens = Arc::new(Tokens::default());
    let sleeps = Arc::new(RecordingSleeper::default());
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let client = GraphClient::new(&p.url, tokens.clone())
        .unwrap()
        .with_retry_policy(policy)
        .with_sleeper(sleeps.clone())
        .with_observer(Arc::new(move |e: &GraphEvent| {
            ev.lock().unwrap().push(e.clone())
        }));
    Harness {
        client,
        tokens,
        sleeps,
        events,
        requests: p.requests,
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 4,
        max_total_wait: Duration::from_secs(60),
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        max_malformed: 2,
    }
}

#[tokio::test]
async fn throttling_honours_fractional_retry_after() {
    let h = harness(
        vec![
            with_header(429, "retry-after", "2.128", &graph_error("TooManyRequests")),
            json(200, r#"{"id":"me"}"#),
        ],
        policy(),
    )
    .await;
    let v: serde_json::Value = h.client.get_json("me", &[]).await.unwrap();
    assert_eq!(v["id"], "me");
    assert_eq!(
        *h.sleeps.0.lock().unwrap(),
        vec![Duration::from_millis(2128)]
    );
    let events = h.events.lock().unwrap().clone();
    assert!(events.contains(&GraphEvent::Throttled { seconds: 2.128 }));
    assert!(matches!(
        events.last(),
        Some(GraphEvent::Retry { attempt: 1, .. })
    ));
    let reqs = h.requests.lock().unwrap();
    assert!(reqs[0].starts_with("GET /v1.0/me HTTP/1.1"));
    assert!(reqs[1].to_ascii_lowercase().contains("retry-attempt: 1"));
}

#[tokio::test]
async fn server_and_network_failures_are_retried_with_backoff() {
    let h = harness(
        vec![
            json(503, &graph_error("serviceNotAvailable")),
            json(504, &graph_error("gatewayTimeout")),
            Reply::Drop,
            Reply::Truncated(r#"{"value":[{"id":"a"}"#),
            json(200, r#"{"ok":true}"#),
        ],
        policy(),
    )
    .await;
    let v: serde_json::Value = h.client.get_json("users", &[]).await.unwrap();
    assert_eq!(v["ok"], true);
    let sleeps = h.sleeps.0.lock().unwrap().clone();
    assert_eq!(sleeps.len(), 4);
    assert!(sleeps.iter().all(|d| *d <= Duration::from_millis(100)));
    let reasons: Vec<String> = h
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            GraphEvent::Retry { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(reasons[0].starts_with("503"), "{reasons:?}");
    assert!(reasons[1].starts_with("504"), "{reasons:?}");
}

#[tokio::test]
async fn retry_budget_is_bounded_by_count_and_by_time() {
    let h = harness(
        (0..10)
            .map(|_| json(503, &graph_error("serviceNotAvailable")))
            .collect(),
        policy(),
    )
    .await;
    let err = h
        .client
        .get_json::<serde_json::Value>("users", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::RetriesExhausted { attempts: 5, .. }),
        "{err}"
    );
    assert_eq!(h.requests.lock().unwrap().len(), 5);

    // A Retry-After beyond the remaining time budget fails at once instead of waiting.
    let h = harness(
        vec![with_header(
            429,
            "retry-after",
            "120",
            &graph_error("TooManyRequests"),
        )],
        policy(),
    )
    .await;
    let err = h
        .client
        .get_json::<serde_json::Value>("users", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::RetriesExhausted { attempts: 1, .. }),
        "{err}"
    );
    assert!(h.sleeps.0.lock().unwrap().is_empty());
    assert!(err.to_string().contains("try again later"));
}

#[tokio::test]
async fn a_401_renews_the_token_once() {
    let h = harness(
        vec![
            json(401, &graph_error("InvalidAuthenticationToken")),
            json(200, r#"{"id":"me"}"#),
        ],
        policy(),
    )
    .await;
    let _: serde_json::Value = h.client.get_json("me", &[]).await.unwrap();
    assert_eq!(h.tokens.refreshes.load(Ordering::SeqCst), 1);
    let reqs = h.requests.lock().unwrap().clone();
    assert!(reqs[0].contains("Bearer secret-token-0"));
    assert!(reqs[1].contains("Bearer secret-token-1"));
    assert_eq!(*h.events.lock().unwrap(), vec![GraphEvent::TokenRenewed]);

    let h = harness(
        vec![
            json(401, &graph_error("InvalidAuthenticationToken")),
            json(401, &graph_error("InvalidAuthenticationToken")),
        ],
        policy(),
    )
    .await;
    let err = h
        .client
        .get_json::<serde_json::Value>("me", &[])
        .await
        .unwrap_err();
    assert!(err.is_sign_in_required(), "{err}");
    assert_eq!(err.code(), Some("InvalidAuthenticationToken"));
    assert!(!err.to_string().contains("secret-token"));
}

#[tokio::test]
async fn a_403_names_the_permission_and_admin_consent() {
    let h = harness(
        vec![json(403, &graph_error("Authorization_RequestDenied"))],
        policy(),
    )
    .await;
    let err = h
        .client
        .get_json::<serde_json::Value>("users/delta", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("Authorization_RequestDenied"));
    let msg = err.to_string();
    assert!(
        msg.contains("User.Read.All") && msg.contains("admin consent"),
        "{msg}"
    );
    assert!(msg.contains("rid-Authorization_RequestDenied"), "{msg}");
    assert_eq!(h.requests.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn malformed_json_is_retried_then_reported() {
    let h = harness(
        vec![json(200, r#"{"id": "#), json(200, r#"{"id":"x"}"#)],
        policy(),
    )
    .await;
    let v: serde_json::Value = h.client.get_json("me", &[]).await.unwrap();
    assert_eq!(v["id"], "x");

    let h = harness((0..5).map(|_| json(200, "<html>oops")).collect(), policy()).await;
    let err = h
        .client
        .get_json::<serde_json::Value>("me", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::Malformed { attempts: 3, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn delta_token_loss_is_recognised() {
    let h = harness(
        vec![
            json(400, &graph_error("syncStateNotFound")),
            with_header(
                410,
                "location",
                "http://x/v1.0/users/delta?$deltatoken=",
                &graph_error("resyncRequired"),
            ),
            json(400, &graph_error("Request_BadRequest")),
        ],
        policy(),
    )
    .await;
    let e1 = h
        .client
        .get_delta_page("users/delta", &[])
        .await
        .unwrap_err();
    assert!(e1.is_sync_state_lost());
    assert_eq!(e1.status(), Some(400));
    let e2 = h
        .client
        .get_delta_page("users/delta", &[])
        .await
        .unwrap_err();
    assert!(e2.is_sync_state_lost());
    assert!(matches!(&e2, GraphError::Api { location: Some(l), .. } if l.contains("deltatoken")));
    let e3 = h
        .client
        .get_delta_page("users/delta", &[])
        .await
        .unwrap_err();
    assert!(!e3.is_sync_state_lost());
}

#[tokio::test]
async fn links_to_other_hosts_never_receive_the_token() {
    let h = harness(vec![], policy()).await;
    let err = h
        .client
        .get_delta_page("https://evil.example/v1.0/users/delta?$skiptoken=x", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::ForeignLink { .. }), "{err}");
    assert!(h.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn delta_pages_without_a_value_array_are_retried() {
    let h = harness(
        vec![
            json(200, r#"{"@odata.nextLink":"x"}"#),
            json(
                200,
                r#"{"value":[{"id":"u1"}],"@odata.deltaLink":"http://h/d"}"#,
            ),
        ],
        policy(),
    )
    .await;
    let page = h.client.get_delta_page("users/delta", &[]).await.unwrap();
    assert_eq!(page.value.len(), 1);
    assert_eq!(page.delta_link.as_deref(), Some("http://h/d"));
}
