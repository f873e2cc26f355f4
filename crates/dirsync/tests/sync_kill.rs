//! A `kill -9` in the middle of a round (while reading pages, and inside the apply transaction)
//! followed by a rerun ends with the same directory as an uninterrupted run.
//!
//! The victim is this test binary itself, re-run as a child process in helper mode.

mod sync_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use dirsync::datadir::DataDir;
use dirsync::runs::{RunStatus, Trigger};
use dirsync::sync::{self, CancelToken, Phase, Progress, SyncOptions};
use serde_json::json;
use sync_support::*;

const ENV_URL: &str = "DIRSYNC_KILL_TEST_URL";
const ENV_TENANT: &str = "DIRSYNC_KILL_TEST_TENANT";
const ENV_DATA: &str = "DIRSYNC_KILL_TEST_DATA";
const ENV_PHASE: &str = "DIRSYNC_KILL_TEST_PHASE";
const ENV_MARKER: &str = "DIRSYNC_KILL_TEST_MARKER";

/// Helper mode (run only as the child of the test below): syncs, and at the requested point
/// writes the marker file and stops dead, waiting to be killed.
#[tokio::test]
#[ignore = "child process of kill_nine_mid_round_then_rerun_equals_an_uninterrupted_run"]
async fn kill_helper_child() {
    let url = std::env::var(ENV_URL).expect("run by the parent test only");
    let tenant_id = std::env::var(ENV_TENANT).unwrap();
    let data = DataDir::at(std::env::var(ENV_DATA).unwrap()).unwrap();
    let phase = std::env::var(ENV_PHASE).unwrap();
    let marker = PathBuf::from(std::env::var(ENV_MARKER).unwrap());
    let tokens = Arc::new(AppTokens::at(&url, &tenant_id));
    let client = test_client(&url, tokens, Arc::new(NoSleep::default()));
    let _ = sync::run(
        &data,
        &client,
        SyncOptions::new(Trigger::Schedule),
        move |p: &Progress| {
            let here = match phase.as_str() {
                "fetching" => p.phase == Phase::Fetching && p.pages >= 3,
                _ => p.phase == Phase::Applying,
            };
            if here {
                std::fs::write(&marker, b"here").unwrap();
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        },
        CancelToken::new(),
    )
    .await;
    panic!("the child should have been killed before the run ended");
}

async fn kill_child_at(t: &Tenant, data: &Path, phase: &str) {
    let marker = data.with_file_name(format!("marker-{phase}"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["kill_helper_child", "--exact", "--ignored", "--nocapture"])
        .env(ENV_URL, t.emu.graph_url())
        .env(ENV_TENANT, t.emu.tenant_id())
        .env(ENV_DATA, data)
        .env(ENV_PHASE, phase)
        .env(ENV_MARKER, &marker)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if marker.exists() {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no rollback, no unlock.
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_mid_round_then_rerun_equals_an_uninterrupted_run() {
    let t = tenant(60, 7).await;
    let victim = data_dir();
    let reference = data_dir();
    victim.sync(&t).await.unwrap();
    reference.sync(&t).await.unwrap();
    let synced = victim.export();

    let c = t.emu.control();
    c.update_user(&c.user_id_at(0).unwrap(), json!({"jobTitle": "Kill test"}))
        .unwrap();
    c.update_user(&c.user_id_at(1).unwrap(), json!({"city": "Reykjavík"}))
        .unwrap();
    c.soft_delete(&c.user_id_at(2).unwrap()).unwrap();
    c.hard_delete(&c.user_id_at(3).unwrap()).unwrap();
    for i in 0..12 {
        c.add_user(json!({"displayName": format!("Added {i}"), "city": "Turku"}))
            .unwrap();
    }

    for phase in ["fetching", "applying"] {
        kill_child_at(&t, victim.data.path(), phase).await;
        // Nothing of the killed round is visible.
        assert_eq!(victim.export(), synced, "after a kill while {phase}");
    }

    let rerun = victim.sync(&t).await.unwrap();
    assert_eq!(rerun.status, RunStatus::Success);
    assert!(!rerun.full_round);
    let interrupted: Vec<_> = dirsync::runs::list(victim.store().conn(), 10, None)
        .unwrap()
        .into_iter()
        .filter(|r| r.status == RunStatus::Failed)
        .collect();
    assert_eq!(interrupted.len(), 2);
    assert!(interrupted[0]
        .error
        .as_deref()
        .unwrap()
        .contains("Interrupted"));

    reference.sync(&t).await.unwrap();
    assert_eq!(victim.export(), reference.export());
    assert_eq!(victim.memberships(), reference.memberships());
    assert_ne!(victim.export(), synced);
}
