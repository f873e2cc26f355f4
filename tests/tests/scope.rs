//! Settings › Sync scope (issue 7) in the real window, on a tenant signed in and synced under the
//! default scope (members only): a broken rule is marked inline as you type; a rule that leaves out
//! the Finance department previews those people as leaving and what the next sync does with them;
//! Save asks first, then stores the rule; Sync now runs the full round, which removes them, or, when
//! they are more than the deletion guard allows, stops as Needs approval and removes nobody. Run
//! with the default guard, and with the guard lowered below their number.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs it.

use std::cell::Cell;
use std::time::Duration;

use dirsync::datadir::DataDir;
use dirsync::runs::{self, ChangeKind, RunRecord, RunStatus};
use dirsync::settings;
use dirsync::store::Store;
use dirsync_e2e::tenant::Tenant;
use dirsync_e2e::window::{self, Window};
use fantoccini::key::Key;
use serde_json::Value;

/// Members, except the Finance department.
const NARROWER: &str = r#"user.userType -eq "Member" -and -not (user.department -eq "Finance")"#;

fn store(w: &Window) -> Store {
    Store::open_in(&DataDir::at(w.data_dir()).unwrap()).unwrap()
}

/// Replaces the scope editor's text as a person does: select all, type over it.
async fn type_rule(w: &Window, rule: &str) {
    w.click("#scope-rule").await;
    w.press(&(Key::Control + "a")).await;
    w.press(rule).await;
}

/// Waits until the run after `previous` has ended (the app runs it in the background).
async fn run_after(w: &Window, previous: i64) -> RunRecord {
    for _ in 0..600 {
        if let Some(run) = runs::latest(store(w).conn()).unwrap() {
            if run.id > previous && run.status != RunStatus::Running {
                return run;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run started on the Sync page did not end within a minute");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_narrower_sync_scope_is_previewed_saved_and_applied_by_the_next_sync() {
    narrower_scope("a_narrower_sync_scope_is_applied", None).await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_narrower_sync_scope_over_the_deletion_guard_needs_approval() {
    narrower_scope("a_narrower_sync_scope_needs_approval", Some(1)).await;
}

/// The scenario, with `deletion_guard_max` set to `guard_max` (default 500 when `None`).
async fn narrower_scope(name: &str, guard_max: Option<usize>) {
    let tenant = Tenant::start(160);
    let snapshot = tenant.emulator().control().users_snapshot();
    let members: Vec<&Value> = snapshot
        .iter()
        .filter(|u| u["userType"] == "Member")
        .collect();
    // Who the narrower scope leaves out of the directory synced under the default one.
    let leaving: Vec<(String, String)> = members
        .iter()
        .filter(|u| u["department"] == "Finance")
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["displayName"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let (n, kept) = (leaving.len(), members.len() - leaving.len());
    assert!(n >= 2, "the generated tenant has Finance members");
    // The deletion guard: at most `deletion_guard_max` removals (500 by default), and at most
    // `deletion_guard_percent` (20 by default) of the directory.
    let threshold = guard_max.unwrap_or(500).min(members.len() * 20 / 100);
    let stops = n > threshold;
    eprintln!(
        "{n} of {} members leave; the deletion guard allows {threshold}",
        members.len()
    );
    let first_run = Cell::new(0i64);

    window::run_with(
        name,
        |dir| {
            first_run.set(tenant.signed_in_and_synced(dir).id);
            if let Some(max) = guard_max {
                let store = Store::open_in(&DataDir::at(dir).unwrap()).unwrap();
                settings::set(&store, "deletion_guard_max", &max.to_string()).unwrap();
            }
        },
        async |w| {
            w.open_page("settings").await;
            w.wait_for_text_containing("#scope-current", "user.userType -eq \"Member\"")
                .await;
            assert!(w.text("#scope-current").await.contains("the default"));

            // A broken rule: marked inline as you type, and nothing to preview or save.
            type_rule(w, "user.department -eq").await;
            let error = w
                .wait_for_text_containing("#scope-rule-error", "at position 19")
                .await;
            assert!(
                error.ends_with(&format!("user.department -eq\n{}^", " ".repeat(19))),
                "{error:?}"
            );
            let preview = w.find("#scope-preview-button").await;
            assert!(!preview.is_enabled().await.unwrap());
            assert!(!w.find("#scope-save").await.is_enabled().await.unwrap());

            // The narrower rule: Preview shows who leaves and what the next sync does.
            type_rule(w, NARROWER).await;
            for _ in 0..300 {
                if preview.is_enabled().await.unwrap() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(!w
                .find("#scope-rule-error")
                .await
                .is_displayed()
                .await
                .unwrap());
            w.click("#scope-preview-button").await;
            w.wait_for_text(
                "#scope-counts",
                &format!("Keeps {kept} people · {n} leave the directory"),
            )
            .await;
            let listed = w.text("#scope-leaving").await;
            let shown = leaving
                .iter()
                .filter(|(_, name)| listed.contains(name.as_str()))
                .count();
            assert_eq!(shown, n.min(10), "{listed}");
            let next = w.text("#scope-next-sync").await;
            assert!(next.contains("full round"), "{next}");
            let verdict = if stops {
                "more than the deletion guard allows"
            } else {
                "within the deletion guard"
            };
            assert!(next.contains(verdict), "{next}");
            w.client()
                .execute(
                    "document.querySelector('#sync-scope').scrollIntoView()",
                    vec![],
                )
                .await
                .unwrap();
            if guard_max.is_none() {
                w.snapshot("settings-scope").await;
            }

            // Save asks first, saying what the next sync will do; the rule is then stored.
            w.click("#scope-save").await;
            let ask = w.text("#scope-confirm-text").await;
            assert!(
                ask.contains("full round") && ask.contains(&format!("removes the {n} people")),
                "{ask}"
            );
            assert!(ask.contains("deletion guard"), "{ask}");
            assert_eq!(
                settings::get(&store(w), "sync_scope").unwrap(),
                r#"user.userType -eq "Member""#,
                "nothing is stored before the confirmation"
            );
            w.click("#scope-confirm-save").await;
            w.wait_for_text(
                "#scope-status",
                "Saved. The next sync is a full round under this scope.",
            )
            .await;
            assert_eq!(settings::get(&store(w), "sync_scope").unwrap(), NARROWER);
            let current = w.text("#scope-current").await;
            assert!(current.contains(NARROWER) && current.contains("Not applied yet"));

            // Preview on the Sync page: the same full round, nothing applied, its history row
            // says Preview and its records name who would leave.
            let before = dirsync::directory::all_ids(store(w).conn()).unwrap();
            w.open_page("sync").await;
            w.click("#sync-preview").await;
            let preview = run_after(w, first_run.get()).await;
            assert_eq!(preview.status, RunStatus::Preview, "{preview:?}");
            assert_eq!(preview.counts.removed as usize, n, "{preview:?}");
            assert_eq!(
                dirsync::directory::all_ids(store(w).conn()).unwrap(),
                before,
                "a preview applies nothing"
            );
            let row = format!("#history-table tr[data-run-id=\"{}\"] .badge", preview.id);
            w.wait_for_text(&row, "Preview").await;

            // Sync now: a full round under the new scope, through the deletion guard.
            w.click("#sync-now").await;
            let run = run_after(w, preview.id).await;
            assert!(run.full_round, "{run:?}");
            let after = dirsync::directory::all_ids(store(w).conn()).unwrap();
            let row = format!("#history-table tr[data-run-id=\"{}\"] .badge", run.id);
            if stops {
                assert_eq!(run.status, RunStatus::NeedsApproval, "{run:?}");
                assert_eq!(run.counts.removed as usize, n);
                assert_eq!(after, before, "nothing is applied");
                w.wait_for_text(&row, "Needs approval").await;
            } else {
                assert_eq!(run.status, RunStatus::Success, "{run:?}");
                assert_eq!(run.counts.removed as usize, n);
                let mut expected: Vec<&String> = before
                    .iter()
                    .filter(|id| !leaving.iter().any(|(gone, _)| gone == *id))
                    .collect();
                expected.sort();
                assert_eq!(after.iter().collect::<Vec<_>>(), expected);
                let removed = runs::changes(store(w).conn(), run.id, 0, 1000).unwrap();
                let out_of_scope = removed
                    .iter()
                    .filter(|c| {
                        c.kind == ChangeKind::Removed && c.reason.as_deref() == Some("out of scope")
                    })
                    .count();
                assert_eq!(out_of_scope, n);
                w.wait_for_text(&row, "Success").await;
            }
        },
    )
    .await;
}
