//! AAD sync history (issue 6) in the real window: the Sync page lists the runs, a failed run shows
//! its error with Reset sync next to it, the download icon saves the run's log (to the
//! `DIRSYNC_SAVE_PATH` override, since the GTK save dialog cannot be driven), and Reset sync asks
//! first and is then recorded in the history.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs it under Xvfb with `--ignored`.

use std::cell::Cell;
use std::path::Path;

use dirsync::auth::{Auth, TokenStorePreference};
use dirsync::datadir::DataDir;
use dirsync::graph::GraphClient;
use dirsync::runs::{self, RunKind, RunRecord, Trigger};
use dirsync::sync::{self, CancelToken, Clock, SyncOptions};
use dirsync_e2e::tenant::Tenant;
use dirsync_e2e::window::{self, Options};

/// A sync 31 days after the first: refused by the 30-day rule, recorded as a Failed run.
fn expired_run(tenant: &Tenant, dir: &Path) -> RunRecord {
    let data = DataDir::at(dir).unwrap();
    let auth = Auth::with_token_store(data.clone(), TokenStorePreference::File).unwrap();
    let client = GraphClient::new(
        &tenant.emulator().graph_url(),
        auth.token_provider().unwrap(),
    )
    .unwrap();
    let opts = SyncOptions {
        clock: Clock::offset(chrono::Duration::days(31)),
        ..SyncOptions::new(Trigger::Schedule)
    };
    let err = tenant.block_on(async move {
        sync::run(&data, &client, opts, |_| {}, CancelToken::new())
            .await
            .unwrap_err()
    });
    assert!(
        matches!(err, sync::SyncError::DeltaLinkTooOld { .. }),
        "{err}"
    );
    let store = dirsync::store::Store::open_in(&DataDir::at(dir).unwrap()).unwrap();
    runs::latest(store.conn()).unwrap().unwrap()
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn the_history_pane_downloads_a_run_log_and_resets_sync() {
    let tenant = Tenant::start(25);
    let saves = tempfile::tempdir().unwrap();
    let first = Cell::new((0i64, String::new()));
    let failed = Cell::new((0i64, String::new()));
    let options = Options {
        env: vec![("DIRSYNC_SAVE_PATH".into(), saves.path().into())],
        ..Default::default()
    };
    window::run_opts(
        "history_download_and_reset",
        options,
        |dir| {
            let run = tenant.signed_in_and_synced(dir);
            first.set((run.id, run.started_at[..10].to_string()));
            let run = expired_run(&tenant, dir);
            failed.set((run.id, run.started_at[..10].to_string()));
        },
        async |w| {
            let (first_id, date) = first.take();
            let (failed_id, failed_date) = failed.take();
            w.open_page("sync").await;
            let row = |id: i64| format!("#history-table tr[data-run-id=\"{id}\"]");
            w.wait_for_text(&format!("{} .badge", row(first_id)), "Success")
                .await;
            w.wait_for_text(&format!("{} .badge", row(failed_id)), "Failed")
                .await;
            // One line, cut with an ellipsis when long; the whole error is its tooltip.
            let error = w
                .find(&format!("tr[data-for-run=\"{failed_id}\"] .history-error"))
                .await
                .attr("title")
                .await
                .unwrap()
                .unwrap_or_default();
            assert!(
                error.starts_with("DeltaLink older than 30 days is not supported."),
                "{error}"
            );
            w.snapshot("history").await;

            // Download the first run's log: the file lands in the override directory.
            w.click(&format!("button[aria-label=\"Download log of run {first_id}\"]"))
                .await;
            let said = w
                .wait_for_text_containing(".history-notice", "Saved the log")
                .await;
            let file = saves
                .path()
                .join(format!("dirsync-run-{first_id}-{date}.log"));
            assert!(said.contains(&file.display().to_string()), "{said}");
            let log = std::fs::read_to_string(&file).unwrap();
            let header: Vec<&str> = log.lines().take_while(|l| !l.is_empty()).collect();
            assert!(header[0].ends_with(&format!("run {first_id} (times in UTC)")));
            assert!(header.contains(&"Status:               Success"), "{log}");
            assert!(header.iter().any(|l| l.starts_with("Round:") && l.contains("first sync")));
            assert!(log.contains("[user added]"), "{log}");

            // The failed run's log, as CSV this time.
            let format = w.find("#history-format").await;
            format.select_by_value("csv").await.unwrap();
            w.click(&format!("button[aria-label=\"Download log of run {failed_id}\"]"))
                .await;
            w.wait_for_text_containing(".history-notice", &format!("run {failed_id} to"))
                .await;
            let csv = std::fs::read_to_string(
                saves
                    .path()
                    .join(format!("dirsync-run-{failed_id}-{failed_date}.csv")),
            )
            .unwrap();
            assert!(csv.starts_with("timestamp,record,user_id,upn,field,old,new,reason,message"));
            assert!(csv.contains("DeltaLink older than 30 days is not supported."));

            // Selecting a run shows its per-user changes.
            w.click(&format!("{} td:nth-child(2)", row(first_id))).await;
            w.wait_for_text_containing(".history-detail", &format!("Changes in run {first_id}"))
                .await;
            w.wait_for_text_containing(".history-detail", "added").await;

            // Reset sync next to the failed run asks first, then lands in the history.
            w.click(&format!("tr[data-for-run=\"{failed_id}\"] button")).await;
            let question = w.text(".history-confirm #reset-text").await;
            assert_eq!(
                question,
                "The stored delta link will be dropped. The next sync reads every user again \
                 and removes users that no longer exist in Azure AD, still under the deletion guard."
            );
            w.click("#history-reset-confirm").await;
            w.wait_for_text_containing(".history-notice", "Reset sync done").await;
            w.wait_for_text("#history-table tbody tr:first-child .badge", "Reset sync")
                .await;
            let store = dirsync::store::Store::open_in(&DataDir::at(w.data_dir()).unwrap()).unwrap();
            let entry = runs::list(store.conn(), 1, None).unwrap().remove(0);
            assert_eq!((entry.kind, entry.trigger), (RunKind::Reset, Trigger::Manual));
            assert!(sync::status(&DataDir::at(w.data_dir()).unwrap(), &store, &Clock::system())
                .unwrap()
                .next_run_full);
        },
    )
    .await;
}
