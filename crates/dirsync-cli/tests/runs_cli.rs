//! `dirsync runs list|show|export`, `dirsync sync --reset` and the sync lines of `dirsync status`
//! against an in-process emulator.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use graph_emulator::{
    Emulator, EmulatorConfig, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET,
};
use serde_json::{json, Value};

const DIRSYNC: &str = env!("CARGO_BIN_EXE_dirsync");

async fn run(dir: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(DIRSYNC);
    c.args(args)
        .env("DIRSYNC_DATA_DIR", dir)
        .env("DIRSYNC_TOKEN_STORE", "file")
        .env_remove("BROWSER")
        .env_remove("DIRSYNC_CLIENT_SECRET")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || c.output().expect("dirsync runs"))
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

async fn signed_in(dir: &Path, emu: &Emulator) {
    for (k, v) in [
        ("authority", emu.authority()),
        ("tenant", emu.tenant_id()),
        ("client_id", CONFIDENTIAL_CLIENT_ID.to_string()),
        ("graph_url", emu.graph_url()),
    ] {
        ok(dir, &["config", "set", k, &v]).await;
    }
    let secret = dir.join("secret");
    std::fs::write(&secret, CONFIDENTIAL_CLIENT_SECRET).unwrap();
    ok(
        dir,
        &[
            "sign-in",
            "--app",
            "--client-secret-file",
            secret.to_str().unwrap(),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_list_show_and_export_in_every_format() {
    let emu = Emulator::start(EmulatorConfig {
        users: 15,
        seed: 11,
        page_size: 5,
        auto_approve: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(ok(dir, &["runs", "list"]).await.contains("No runs yet"));

    signed_in(dir, &emu).await;
    ok(dir, &["sync"]).await;
    let c = emu.control();
    let changed = c.user_id_at(0).unwrap();
    c.update_user(&changed, json!({"city": "Hammerfest"}))
        .unwrap();
    ok(dir, &["sync"]).await;

    let listed: Vec<Value> =
        serde_json::from_str(&ok(dir, &["runs", "list", "--json"]).await).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["status"], "success");
    assert_eq!(listed[0]["trigger"], "cli");
    assert_eq!(listed[0]["counts"]["updated"], 1);
    let id = listed[0]["id"].as_i64().unwrap();
    let table = ok(dir, &["runs", "list"]).await;
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].contains("Started (UTC)") && lines[0].contains("Status"));
    assert!(
        lines[1].trim_start().starts_with(&id.to_string()),
        "{table}"
    );
    assert!(lines[1].contains("Success"), "{table}");

    let shown = ok(dir, &["runs", "show", &id.to_string()]).await;
    assert!(shown.contains(&format!("run {id}")), "{shown}");
    assert!(shown.contains("[user updated]") && shown.contains("\"Hammerfest\""));
    let doc: Value =
        serde_json::from_str(&ok(dir, &["runs", "show", &id.to_string(), "--json"]).await).unwrap();
    assert_eq!(doc["run"]["id"], id);
    assert_eq!(doc["changes"][0]["kind"], "updated");
    assert_eq!(doc["changes"][0]["user_id"], changed.as_str());

    for format in ["text", "jsonl", "csv"] {
        let file = tmp.path().join(format!("run.{format}"));
        let said = ok(
            dir,
            &[
                "runs",
                "export",
                &id.to_string(),
                "--out",
                file.to_str().unwrap(),
                "--format",
                format,
            ],
        )
        .await;
        assert!(said.contains(&file.display().to_string()), "{said}");
        let body = std::fs::read_to_string(&file).unwrap();
        match format {
            "text" => assert!(body
                .lines()
                .any(|l| l.starts_with("Status:") && l.ends_with("Success"))),
            "jsonl" => {
                let first: Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
                assert_eq!(
                    (first["record"].as_str(), first["id"].as_i64()),
                    (Some("run"), Some(id))
                );
            }
            _ => {
                let mut r = csv::Reader::from_reader(body.as_bytes());
                let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
                assert!(rows.iter().any(|row| &row[1] == "updated"
                    && &row[4] == "City"
                    && &row[6] == "Hammerfest"));
            }
        }
    }
    // The default format is the text log.
    let file = tmp.path().join("default.log");
    ok(
        dir,
        &[
            "runs",
            "export",
            &id.to_string(),
            "--out",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .starts_with("Directory Sync - AAD sync history"));

    let out = run(
        dir,
        &["runs", "export", "999", "--out", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no run 999"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        dir,
        &[
            "runs",
            "export",
            &id.to_string(),
            "--out",
            "x",
            "--format",
            "xml",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_reset_asks_then_records_the_reset_and_runs_a_full_round() {
    let emu = Emulator::start(EmulatorConfig {
        users: 12,
        seed: 3,
        page_size: 5,
        auto_approve: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    signed_in(dir, &emu).await;
    ok(dir, &["sync"]).await;
    let status = ok(dir, &["status"]).await;
    assert!(
        status.contains("Last run:") && status.contains("Success"),
        "{status}"
    );
    assert!(status.contains("Delta link: 0 min old"), "{status}");

    // No terminal and no --yes: refused, nothing dropped.
    let out = run(dir, &["sync", "--reset"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("The stored delta link will be dropped."),
        "{err}"
    );
    assert!(err.contains("--yes"), "{err}");
    let v: Value = serde_json::from_str(&ok(dir, &["status", "--json"]).await).unwrap();
    assert!(v["sync"]["delta_link_age_secs"].is_i64(), "{v}");

    let gone = emu.control().user_id_at(2).unwrap();
    emu.control().hard_delete(&gone).unwrap();
    let out = ok(dir, &["sync", "--reset", "--yes", "--json"]).await;
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["run"]["trigger"], "reset");
    assert_eq!(v["run"]["full_round"], true);
    assert_eq!(v["run"]["counts"]["removed"], 1);

    let listed: Vec<Value> =
        serde_json::from_str(&ok(dir, &["runs", "list", "--json"]).await).unwrap();
    let kinds: Vec<(&str, &str)> = listed
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["trigger"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("sync", "reset"), ("reset", "cli"), ("sync", "cli")]
    );
    let shown = ok(dir, &["runs", "show", &listed[1]["id"].to_string()]).await;
    assert!(
        shown.contains("Reset sync: dropped the delta link stored"),
        "{shown}"
    );
}
