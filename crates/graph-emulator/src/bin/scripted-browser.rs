//! A scripted "browser" for sign-in tests: `BROWSER=scripted-browser` makes the app run it with
//! the authorize URL. It follows the URL with plain HTTP/1.1 GETs (keeping cookies, following
//! redirects) until a page that is not a redirect, which with the emulator in auto-approve mode
//! is the app's loopback answer. Exit status 0 when that page is the app's (on localhost) and a
//! 200, 1 otherwise.
//!
//! `SCRIPTED_BROWSER_TRANSCRIPT=FILE` appends every URL visited to FILE (tests read the
//! callback URL from it to replay a code).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use url::Url;

const MAX_HOPS: usize = 20;

struct Response {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

fn get(url: &Url, cookies: &BTreeMap<String, String>) -> Result<Response, String> {
    if url.scheme() != "http" {
        return Err(format!("only http:// is supported, not {}", url.scheme()));
    }
    let host = url.host_str().ok_or("URL without host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    let mut stream =
        TcpStream::connect((host, port)).map_err(|e| format!("connect {host}:{port}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut req = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: scripted-browser\r\nAccept: text/html\r\nConnection: close\r\n"
    );
    if !cookies.is_empty() {
        let jar: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
    }
    req.push_str("\r\n");
    stream
        .write_all(req.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("response without a status line")?;
    let mut location = None;
    let mut set_cookies = Vec::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "location" => location = Some(value.trim().to_string()),
                "set-cookie" => set_cookies.push(value.trim().to_string()),
                _ => {}
            }
        }
    }
    Ok(Response {
        status,
        location,
        set_cookies,
        body: body.to_string(),
    })
}

fn run(start: &str) -> Result<(), String> {
    let transcript = std::env::var_os("SCRIPTED_BROWSER_TRANSCRIPT");
    let mut cookies = BTreeMap::new();
    let mut url = Url::parse(start).map_err(|e| format!("bad URL: {e}"))?;
    for _ in 0..MAX_HOPS {
        if let Some(path) = &transcript {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| e.to_string())?;
            writeln!(f, "{url}").map_err(|e| e.to_string())?;
        }
        let resp = get(&url, &cookies)?;
        for c in &resp.set_cookies {
            if let Some((k, v)) = c.split(';').next().and_then(|kv| kv.split_once('=')) {
                cookies.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        match (resp.status, resp.location) {
            (300..=399, Some(loc)) => {
                url = url.join(&loc).map_err(|e| format!("bad redirect: {e}"))?;
            }
            // The app's loopback redirect is always http://localhost:PORT/.
            (200, _) if url.host_str() == Some("localhost") => return Ok(()),
            (200, _) => {
                let snippet: String = resp.body.chars().take(400).collect();
                return Err(format!(
                    "stopped on a page that is not the app's: {snippet}"
                ));
            }
            (status, _) => {
                let snippet: String = resp.body.chars().take(400).collect();
                return Err(format!("{url} answered {status}: {snippet}"));
            }
        }
    }
    Err(format!("more than {MAX_HOPS} redirects"))
}

fn main() -> ExitCode {
    let Some(start) = std::env::args().nth(1) else {
        eprintln!("usage: scripted-browser URL");
        return ExitCode::from(2);
    };
    match run(&start) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scripted-browser: {e}");
            ExitCode::FAILURE
        }
    }
}
