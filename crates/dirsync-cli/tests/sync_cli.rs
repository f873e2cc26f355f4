//! `dirsync sync` against an in-process emulator: exit codes 0/2/3/4, preview output, JSON.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use graph_emulator::{
    Emulator, EmulatorConfig, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET,
};
use serde_json::{json, Value};

const DIRSYNC: &str = env!("CARGO_BIN_EXE_dirsync");

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
async fn run(dir: &Path, args: &[&str]) -> Output {
    let cmd = dirsync(dir, args);
    let mut cmd = cmd;
    tokio::task::spawn_blocking(move || cmd.output().expect("dirsync runs"))
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Points the data dir at the emulator and signs in as the application.
async fn signed_in(dir: &Path, emu: &Emulator) {
    for (k, v) in [
        ("authority", emu.authority()),
        ("tenant", emu.tenant_id()),
        ("client_id", CONFIDENTIAL_CLIENT_ID.to_string()),
        ("graph_url", emu.graph_url()),
    ] {
        let out = run(dir, &["config", "set", k, &v]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let secret = dir.join("secret");
    std::fs::write(&secret, CONFIDENTIAL_CLIENT_SECRET).unwrap();
    let out = run(
        dir,
        &[
            "sign-in",
            "--app",
            "--client-secret-file",
            secret.to_str().unwrap(),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_exit_codes_preview_and_approval() {
    let emu = Emulator::start(EmulatorConfig {
        users: 20,
        seed: 5,
        page_size: 6,
        auto_approve: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let out = run(dir, &["sync", "--bogus"]).await;
    assert_eq!(out.status.code(), Some(2));

    let out = run(dir, &["sync"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("dirsync sign-in"));

    signed_in(dir, &emu).await;
    let out = run(dir, &["sync", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["run"]["status"], "success");
    assert_eq!(v["run"]["trigger"], "cli");
    // Everyone the default sync scope selects: members, not guests.
    let members = emu
        .control()
        .users_snapshot()
        .iter()
        .filter(|u| u["userType"] == "Member")
        .count();
    assert_eq!(v["run"]["counts"]["added"], members);

    let c = emu.control();
    let a = c.user_id_at(0).unwrap();
    let old_city = c.user(&a).unwrap().user["city"]
        .as_str()
        .map(str::to_string);
    c.update_user(&a, json!({"city": "Longyearbyen"})).unwrap();
    let out = run(dir, &["sync", "--preview"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("Preview (nothing applied): 0 added, 1 updated"),
        "{stdout}"
    );
    let expected = format!(
        "City: {} -> Longyearbyen",
        old_city.as_deref().unwrap_or("(empty)")
    );
    assert!(stdout.contains(&expected), "{stdout}");

    // 20% of 20 = 4: five removals stop the run.
    for i in 1..=5 {
        c.hard_delete(&c.user_id_at(i).unwrap()).unwrap();
    }
    let out = run(dir, &["sync"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("- ")).count(),
        5,
        "{stdout}"
    );
    assert!(stdout.contains("--allow-deletes"));

    let out = run(dir, &["sync", "--allow-deletes", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["run"]["counts"]["removed"], 5);
    assert_eq!(v["run"]["counts"]["updated"], 1);
}
