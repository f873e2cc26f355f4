//! Errors the CLI prints pass the same redaction as the history and its exports: a server that
//! echoes credentials into its error answer (Graph during a sync, the token endpoint during a
//! sign-in) never gets them onto stderr or into `--json` output.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use graph_emulator::{
    Emulator, EmulatorConfig, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET,
};

const DIRSYNC: &str = env!("CARGO_BIN_EXE_dirsync");

/// What the misbehaving server quotes back: an access token, a header and a refresh token.
const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl";
const REFRESH: &str = "0.AXkA-r3fr35h-t0k3n";
const SECRET: &str = "s3cr3t-v4lu3";

fn echoed() -> String {
    format!("request carried Authorization: Bearer {JWT}\nand refresh_token={REFRESH} client_secret={SECRET}")
}

/// Answers `/organization` (so an application sign-in can finish) and every other request with
/// 400: an OAuth error on token endpoints, an OData error elsewhere, both quoting credentials.
fn start_echoing_server(tenant_id: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tenant_id = tenant_id.clone();
            std::thread::spawn(move || answer(stream, &tenant_id));
        }
    });
    url
}

fn answer(stream: TcpStream, tenant_id: &str) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let (status, body) = if request_line.contains("/organization") {
        let org = serde_json::json!({ "value": [{ "id": tenant_id, "displayName": "Echo" }] });
        ("200 OK", org)
    } else if request_line.contains("/oauth2/") {
        let description = format!(
            "AADSTS53003: Access has been blocked by Conditional Access policies, the {}",
            echoed().replace('\n', " ")
        );
        let error = serde_json::json!({
            "error": "access_denied",
            "error_description": description,
            "error_codes": [53003],
        });
        ("400 Bad Request", error)
    } else {
        let error = serde_json::json!({ "error": { "code": "BadRequest", "message": echoed() } });
        ("400 Bad Request", error)
    };
    let body = body.to_string();
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

async fn run(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(DIRSYNC);
    cmd.args(args)
        .env("DIRSYNC_DATA_DIR", dir)
        .env("DIRSYNC_TOKEN_STORE", "file")
        .env_remove("BROWSER")
        .env_remove("DIRSYNC_CLIENT_SECRET")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output().expect("dirsync runs"))
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn config(dir: &Path, key: &str, value: &str) {
    let out = run(dir, &["config", "set", key, value]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The output says what went wrong, with `[redacted]` where the credentials were.
fn assert_redacted(what: &str, output: &str, plain: &str) {
    assert!(output.contains(plain), "{what} lost the error: {output}");
    assert!(output.contains("[redacted]"), "{what}: {output}");
    for secret in [JWT, REFRESH, SECRET, "Bearer eyJ"] {
        assert!(
            !output.contains(secret),
            "{what} shows {secret:?}: {output}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_and_a_failed_sign_in_print_their_errors_redacted() {
    let emu = Emulator::start(EmulatorConfig {
        users: 5,
        seed: 3,
        auto_approve: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let echoing = start_echoing_server(emu.tenant_id());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // Signed in as the application with the emulator's identity platform; Graph is the echoing
    // server.
    config(dir, "authority", &emu.authority()).await;
    config(dir, "tenant", &emu.tenant_id()).await;
    config(dir, "client_id", CONFIDENTIAL_CLIENT_ID).await;
    config(dir, "graph_url", &echoing).await;
    let secret = dir.join("secret");
    std::fs::write(&secret, CONFIDENTIAL_CLIENT_SECRET).unwrap();
    let secret = secret.to_str().unwrap();
    let out = run(dir, &["sign-in", "--app", "--client-secret-file", secret]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(dir, &["sync"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_redacted(
        "sync's stderr",
        &text(&out.stderr),
        "Microsoft Graph answered 400 BadRequest: request carried Authorization: [redacted]",
    );

    let out = run(dir, &["sync", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON document");
    assert_eq!(v["status"], "failed");
    assert_redacted(
        "sync --json",
        v["error"].as_str().unwrap(),
        "Microsoft Graph answered 400",
    );
    assert_redacted("sync --json's stderr", &text(&out.stderr), "BadRequest");

    // The history keeps the same redacted text.
    let out = run(dir, &["runs", "list", "--json"]).await;
    assert_redacted(
        "runs list",
        &text(&out.stdout),
        "Microsoft Graph answered 400",
    );

    // Sign-in against a token endpoint that echoes the request.
    config(dir, "authority", &echoing).await;
    let out = run(dir, &["sign-in", "--app", "--client-secret-file", secret]).await;
    assert!(!out.status.success());
    assert_redacted(
        "sign-in's stderr",
        &text(&out.stderr),
        "Conditional Access blocked the sign-in. Microsoft says: Access has been blocked",
    );
}
