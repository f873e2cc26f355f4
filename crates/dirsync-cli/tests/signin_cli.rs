//! `dirsync sign-in | sign-out | status` against an in-process emulator: the browser flow with
//! the scripted browser (BROWSER), `--no-browser`, client credentials, and exit codes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use graph_emulator::{Emulator, EmulatorConfig};

const DIRSYNC: &str = env!("CARGO_BIN_EXE_dirsync");

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        auto_approve: true,
        users: 8,
        seed: 3,
        port: 0,
        ..Default::default()
    })
    .await
    .expect("emulator starts")
}

/// A `dirsync` command on `data_dir`, on the file token store, with no inherited browser or secret.
fn dirsync(data_dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(DIRSYNC);
    c.args(args)
        .env("DIRSYNC_DATA_DIR", data_dir)
        .env("DIRSYNC_TOKEN_STORE", "file")
        .env_remove("BROWSER")
        .env_remove("DIRSYNC_CLIENT_SECRET")
        .stdin(Stdio::null());
    c
}

/// Runs off the async runtime so the in-process emulator keeps serving.
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("dirsync runs"))
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn configure(dir: &Path, emu: &Emulator, client_id: &str) {
    for (k, v) in [
        ("authority", emu.authority()),
        ("tenant", emu.tenant_id()),
        ("client_id", client_id.to_string()),
        ("graph_url", emu.graph_url()),
    ] {
        let out = run(dirsync(dir, &["config", "set", k, &v])).await;
        assert!(
            out.status.success(),
            "config set {k}: {}",
            text(&out.stderr)
        );
    }
}

/// The scripted browser from the graph-emulator crate, built on demand in this target dir.
fn scripted_browser() -> PathBuf {
    let profile_dir = Path::new(DIRSYNC).parent().unwrap().to_path_buf();
    let bin = profile_dir.join(format!("scripted-browser{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "graph-emulator",
                "--bin",
                "scripted-browser",
                "--target-dir",
            ])
            .arg(profile_dir.parent().unwrap())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building scripted-browser failed");
    }
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_the_browser_then_status_and_sign_out() {
    let emu = emulator().await;
    let tmp = tempfile::tempdir().unwrap();
    configure(tmp.path(), &emu, &emu.client_id()).await;

    let out = run(dirsync(tmp.path(), &["status"])).await;
    assert_eq!(out.status.code(), Some(4), "not signed in yet");
    assert!(text(&out.stdout).contains("Not signed in"));

    let mut cmd = dirsync(tmp.path(), &["sign-in"]);
    cmd.env("BROWSER", scripted_browser());
    let out = run(cmd).await;
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "sign-in failed: {}{}",
        stdout,
        text(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("Signed in as {} (", emu.admin_upn()))
            && stdout.contains("· tenant Contoso"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Open this URL"),
        "the browser opened, so no URL is printed"
    );

    let out = run(dirsync(tmp.path(), &["status", "--json"])).await;
    assert!(out.status.success());
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "signed_in");
    assert_eq!(status["account"]["username"], emu.admin_upn().as_str());
    assert_eq!(status["account"]["tenant_id"], emu.tenant_id().as_str());
    assert_eq!(status["account"]["tenant_name"], "Contoso");
    assert_eq!(status["token_storage"]["file"]["fallback"], false);
    let json_text = text(&out.stdout);
    assert!(!json_text.contains("refresh_token") && !json_text.contains("access_token"));

    let out = run(dirsync(tmp.path(), &["status"])).await;
    assert!(text(&out.stdout).contains(&format!("Signed in as {}", emu.admin_upn())));

    let out = run(dirsync(tmp.path(), &["sign-out"])).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!tmp.path().join("refresh-token").exists());
    let out = run(dirsync(tmp.path(), &["status", "--json"])).await;
    assert_eq!(out.status.code(), Some(4));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "signed_out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_browser_prints_the_url_and_waits() {
    let emu = emulator().await;
    let tmp = tempfile::tempdir().unwrap();
    configure(tmp.path(), &emu, &emu.client_id()).await;

    let mut cmd = dirsync(tmp.path(), &["sign-in", "--no-browser"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (url, rest) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.starts_with("Open this URL"), "{first}");
        let url = lines.next().unwrap().unwrap();
        (url, lines)
    })
    .await
    .unwrap();
    assert!(url.contains("/oauth2/v2.0/authorize?"), "{url}");

    // The user opens it: the scripted browser follows it to the loopback.
    let browser = scripted_browser();
    let ok = tokio::task::spawn_blocking(move || Command::new(browser).arg(url).status().unwrap())
        .await
        .unwrap();
    assert!(ok.success());

    let (status, remaining) = tokio::task::spawn_blocking(move || {
        let remaining: Vec<String> = rest.map_while(Result::ok).collect();
        (child.wait().unwrap(), remaining.join("\n"))
    })
    .await
    .unwrap();
    assert!(status.success());
    assert!(
        remaining.contains(&format!("Signed in as {}", emu.admin_upn())),
        "{remaining}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_timeout_and_consent_errors_exit_non_zero_with_a_clear_message() {
    let emu = emulator().await;
    let tmp = tempfile::tempdir().unwrap();
    configure(tmp.path(), &emu, graph_emulator::NO_CONSENT_CLIENT_ID).await;

    let mut cmd = dirsync(tmp.path(), &["sign-in"]);
    cmd.env("BROWSER", scripted_browser());
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("AADSTS65001") && err.contains("Global Administrator"),
        "{err}"
    );
    assert!(err.contains("/adminconsent?client_id="), "{err}");

    // Nobody answers: the listener gives up.
    let out = run(dirsync(
        tmp.path(),
        &["sign-in", "--no-browser", "--timeout", "1"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("timed out"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_sign_in_reads_the_secret_from_the_environment_or_a_file_only() {
    let emu = emulator().await;
    let tmp = tempfile::tempdir().unwrap();
    configure(tmp.path(), &emu, graph_emulator::CONFIDENTIAL_CLIENT_ID).await;

    // No secret anywhere: a usage error naming where to put it.
    let out = run(dirsync(tmp.path(), &["sign-in", "--app"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("DIRSYNC_CLIENT_SECRET"));
    // There is no way to pass the secret itself as an argument.
    let out = run(dirsync(
        tmp.path(),
        &["sign-in", "--app", "--client-secret", "x"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(2));

    let mut cmd = dirsync(tmp.path(), &["sign-in", "--app"]);
    cmd.env(
        "DIRSYNC_CLIENT_SECRET",
        graph_emulator::CONFIDENTIAL_CLIENT_SECRET,
    );
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!(
        "Signed in as application {} · tenant Contoso",
        graph_emulator::CONFIDENTIAL_CLIENT_ID
    )));

    let secret_file = tmp.path().join("client-secret");
    std::fs::write(&secret_file, graph_emulator::CONFIDENTIAL_CLIENT_SECRET).unwrap();
    let out = run(dirsync(
        tmp.path(),
        &[
            "sign-in",
            "--app",
            "--client-secret-file",
            secret_file.to_str().unwrap(),
        ],
    ))
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(dirsync(
        tmp.path(),
        &["config", "get", "client_secret_file"],
    ))
    .await;
    assert_eq!(text(&out.stdout).trim(), secret_file.to_str().unwrap());
    let out = run(dirsync(tmp.path(), &["status", "--json"])).await;
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["account"]["mode"], "app");
    assert!(!text(&out.stdout).contains(graph_emulator::CONFIDENTIAL_CLIENT_SECRET));
}
