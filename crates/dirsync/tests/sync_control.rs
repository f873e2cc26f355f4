//! One run at a time, and Cancel, through the public API against the emulator.

mod sync_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use dirsync::runs::{RunStatus, Trigger};
use dirsync::sync::{self, CancelToken, Phase, Progress, SyncError, SyncOptions};
use serde_json::json;
use sync_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_is_refused_while_one_is_in_progress() {
    let t = Arc::new(tenant(20, 5).await);
    let d = Arc::new(data_dir());
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let started_tx = Mutex::new(Some(started_tx));
    let release_rx = Mutex::new(release_rx);
    let first = {
        let (t, d) = (t.clone(), d.clone());
        tokio::spawn(async move {
            sync::run(
                &d.data,
                &t.client,
                SyncOptions::new(Trigger::Schedule),
                move |p: &Progress| {
                    if p.pages == 1 {
                        if let Some(tx) = started_tx.lock().unwrap().take() {
                            tx.send(()).unwrap();
                            // Hold the run here until the test has tried a second one.
                            release_rx.lock().unwrap().recv().unwrap();
                        }
                    }
                },
                CancelToken::new(),
            )
            .await
        })
    };
    tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
        .await
        .unwrap();

    let err = d
        .sync_with(&t, SyncOptions::new(Trigger::Cli))
        .await
        .unwrap_err();
    let SyncError::RunInProgress(Some(holder)) = &err else {
        panic!("expected RunInProgress, got {err}");
    };
    assert_eq!(holder.trigger, "schedule");
    assert!(err.to_string().contains("already in progress"), "{err}");
    assert!(matches!(
        sync::reset(&d.data, &d.store()),
        Err(SyncError::RunInProgress(_))
    ));
    assert_eq!(d.status().running.unwrap().run_id, holder.run_id);

    release_tx.send(()).unwrap();
    let run = first.await.unwrap().unwrap();
    assert_eq!((run.id, run.status), (holder.run_id, RunStatus::Success));
    assert!(d.status().running.is_none());
    assert_eq!(d.sync(&t).await.unwrap().status, RunStatus::Success);
}

#[tokio::test]
async fn cancel_while_reading_or_applying_leaves_everything_as_before() {
    let t = tenant(30, 4).await;
    let d = data_dir();

    // First sync cancelled after two pages: nothing applied, still a first sync next time.
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let run = sync::run(
        &d.data,
        &t.client,
        SyncOptions::new(Trigger::Manual),
        move |p: &Progress| {
            if p.pages >= 2 {
                c2.cancel();
            }
        },
        cancel,
    )
    .await
    .unwrap();
    assert_eq!(run.status, RunStatus::Cancelled);
    assert!(d.ids().is_empty());
    assert_eq!(d.status().full_round_reason.as_deref(), Some("first sync"));

    d.sync(&t).await.unwrap();
    let before = d.export();
    let c = t.emu.control();
    c.update_user(&c.user_id_at(0).unwrap(), json!({"city": "Narvik"}))
        .unwrap();
    c.hard_delete(&c.user_id_at(1).unwrap()).unwrap();

    // Cancelled while applying: the transaction is rolled back.
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let saw_apply = Arc::new(AtomicBool::new(false));
    let saw = saw_apply.clone();
    let run = sync::run(
        &d.data,
        &t.client,
        SyncOptions::new(Trigger::Manual),
        move |p: &Progress| {
            if p.phase == Phase::Applying {
                saw.store(true, Ordering::SeqCst);
                c2.cancel();
            }
        },
        cancel,
    )
    .await
    .unwrap();
    assert!(saw_apply.load(Ordering::SeqCst));
    assert_eq!(run.status, RunStatus::Cancelled);
    assert_eq!(run.counts, Default::default());
    assert_eq!(d.export(), before);
    assert!(d.changes(run.id).is_empty());

    let run = d.sync(&t).await.unwrap();
    assert_eq!((run.counts.updated, run.counts.removed), (1, 1));
}
