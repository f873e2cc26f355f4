//! The first sync, which applies the round while it is read (no stage): it must keep every promise
//! a staged round keeps. A preview applies nothing but records everything; a failure, a cancel or
//! a restart (410) mid-round leaves nothing half-applied; a user removed later in the same round
//! leaves no trace; dynamic groups made before the first sync are filled by it.

mod sync_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use dirsync::groups;
use dirsync::runs::{ChangeKind, EventKind, RunStatus, Trigger};
use dirsync::sync::{self, CancelToken, Phase, Progress, RunSummary, SyncError, SyncOptions};
use graph_emulator::{FaultKind, FaultSpec};
use serde_json::{json, Value};
use sync_support::*;

/// Runs a sync whose progress callback calls `at` once, the first time `when` holds.
async fn sync_acting(
    d: &Dir,
    t: &Tenant,
    opts: SyncOptions,
    cancel: CancelToken,
    when: impl Fn(&Progress) -> bool + Send + Sync + 'static,
    at: impl Fn() + Send + Sync + 'static,
) -> Result<RunSummary, SyncError> {
    let done = AtomicBool::new(false);
    sync::run(
        &d.data,
        &t.client,
        opts,
        move |p: &Progress| {
            if when(p) && !done.swap(true, Ordering::SeqCst) {
                at();
            }
        },
        cancel,
    )
    .await
}

/// Runs a first sync that deletes the last user of delta page `n` once `n` pages are read; the
/// emulator repeats that user on the next page, which then brings its removal. Returns the run and
/// the user.
async fn deleting_the_last_user_of_page(d: &Dir, t: &Tenant, n: u64) -> (RunSummary, String) {
    let mut page = t.client.get_delta_page("users/delta", &[]).await.unwrap();
    for _ in 1..n {
        let next = page.next_link.clone().unwrap();
        page = t.client.get_delta_page(&next, &[]).await.unwrap();
    }
    let last = page.value.last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(tenant_ids(t).contains(&last), "a user the sync stores");
    let c = t.emu.control().clone();
    let gone = last.clone();
    let run = sync_acting(
        d,
        t,
        manual(),
        CancelToken::new(),
        move |p| p.pages >= n,
        move || c.soft_delete(&gone).unwrap(),
    )
    .await
    .unwrap();
    (run, last)
}

fn manual() -> SyncOptions {
    SyncOptions::new(Trigger::Manual)
}

/// The run's records of `kind`, by user: their details.
fn records(d: &Dir, run: i64, kind: ChangeKind) -> BTreeMap<String, Value> {
    d.changes_of(run, kind)
        .into_iter()
        .map(|c| (c.user_id, c.detail))
        .collect()
}

/// Nothing of a first sync stayed: an empty directory, no delta link, and the next run is still
/// the first sync.
fn assert_untouched(d: &Dir) {
    assert!(d.ids().is_empty());
    assert!(d.memberships().values().all(Vec::is_empty));
    let status = d.status();
    assert!(status.delta_link_at.is_none());
    assert_eq!(status.full_round_reason.as_deref(), Some("first sync"));
}

#[tokio::test]
async fn a_first_sync_preview_records_everyone_and_applies_nothing() {
    let t = tenant(40, 7).await;
    let d = data_dir();
    let preview = d
        .sync_with(
            &t,
            SyncOptions {
                preview: true,
                ..manual()
            },
        )
        .await
        .unwrap();
    assert_eq!(preview.status, RunStatus::Preview);
    let everyone = tenant_ids(&t);
    assert_eq!(preview.counts.added as usize, everyone.len());
    assert_eq!(preview.counts.group_joined as usize, everyone.len());
    let added = records(&d, preview.id, ChangeKind::Added);
    assert_eq!(added.keys().cloned().collect::<Vec<_>>(), everyone);
    assert_eq!(
        d.changes_of(preview.id, ChangeKind::Joined).len(),
        everyone.len()
    );
    assert_untouched(&d);

    // The real run adds the same people with the same values the preview showed.
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(records(&d, run.id, ChangeKind::Added), added);
    assert!(added.values().all(|detail| detail["fields"].is_object()));
    assert_eq!(d.ids(), everyone);
}

#[tokio::test]
async fn a_first_sync_failing_midway_applies_nothing_and_keeps_its_events() {
    let t = tenant(30, 4).await;
    let d = data_dir();
    let c = t.emu.control().clone();
    // Three pages in, the service stays down past the retry budget.
    let err = sync_acting(
        &d,
        &t,
        manual(),
        CancelToken::new(),
        |p| p.pages >= 3,
        move || {
            c.inject_fault(FaultSpec {
                path_prefix: Some("/v1.0/users/delta".into()),
                ..FaultSpec::next(FaultKind::GatewayTimeout, 50)
            })
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("try again later"), "{err}");
    assert_untouched(&d);
    let failed = dirsync::runs::latest(d.store().conn()).unwrap().unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(d.changes(failed.id).is_empty());
    // The retries happened while the directory was being written; they are still recorded.
    assert!(!d.events_of(failed.id, EventKind::Retry).is_empty());
    assert_eq!(d.events_of(failed.id, EventKind::Failed).len(), 1);

    t.emu.control().clear_faults();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(d.ids(), tenant_ids(&t));
}

#[tokio::test]
async fn a_410_midway_through_a_first_sync_starts_it_over_without_doubles() {
    let t = tenant(30, 4).await;
    let d = data_dir();
    let c = t.emu.control().clone();
    let run = sync_acting(
        &d,
        &t,
        manual(),
        CancelToken::new(),
        |p| p.pages >= 3,
        move || {
            c.add_user(json!({
                "displayName": "Late Arrival",
                "userPrincipalName": "late.arrival@contoso.example",
                "userType": "Member"
            }))
            .unwrap();
            c.set_delta_reset(true);
        },
    )
    .await
    .unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.full_round_reason.as_deref().unwrap().contains("410"));
    assert_eq!(d.events_of(run.id, EventKind::FullRound).len(), 2);
    let everyone = tenant_ids(&t);
    assert_eq!(d.ids(), everyone);
    assert_eq!(run.counts.added as usize, everyone.len());
    assert_eq!(records(&d, run.id, ChangeKind::Added).len(), everyone.len());
    assert_eq!(
        d.changes_of(run.id, ChangeKind::Joined).len(),
        everyone.len()
    );
}

#[tokio::test]
async fn a_user_deleted_while_the_first_sync_reads_leaves_no_trace() {
    let t = tenant(30, 4).await;
    let d = data_dir();
    // The emulator repeats the last user of a page on the next full page (page 2 is empty), as
    // Graph may: that user, deleted meanwhile, comes back as a removal in the same round.
    let (run, last) = deleting_the_last_user_of_page(&d, &t, 1).await;
    assert_eq!(run.status, RunStatus::Success);
    assert!(!d.ids().contains(&last));
    assert_eq!(d.ids(), tenant_ids(&t));
    assert!(d.changes(run.id).iter().all(|c| c.user_id != last));
    assert_eq!(run.counts.removed, 0);
    assert_eq!(run.counts.added as usize, d.ids().len());
}

#[tokio::test]
async fn a_first_sync_fills_the_search_index_as_it_loads() {
    // Enough pages for the full-text index to catch up during the load (every 20 pages). The
    // emulator repeats each page's last user on the next full page, so users already indexed are
    // written again; the one repeated right after the first catch-up is deleted meanwhile, so it
    // comes back as the removal of an indexed user.
    let t = tenant(150, 3).await;
    let d = data_dir();
    let (run, last) = deleting_the_last_user_of_page(&d, &t, 20).await;
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.traffic.pages > 40, "{} pages", run.traffic.pages);
    assert!(!d.ids().contains(&last));
    assert_eq!(d.ids(), tenant_ids(&t));
    d.assert_index_matches_table();
    let store = d.store();
    let members: Vec<_> = t
        .emu
        .control()
        .users_snapshot()
        .into_iter()
        .filter(|u| u["userType"] == "Member")
        .collect();
    for user in members {
        let id = user["id"].as_str().unwrap();
        let upn = user["userPrincipalName"].as_str().unwrap();
        let query = dirsync::directory::Query {
            text: upn.to_string(),
            ..Default::default()
        };
        let found: Vec<String> = dirsync::directory::search(store.conn(), &query)
            .unwrap()
            .items
            .into_iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(
            found.contains(&id.to_string()),
            id != last,
            "{upn}: {found:?}"
        );
    }
}

#[tokio::test]
async fn cancel_while_a_first_sync_applies_leaves_nothing() {
    let t = tenant(30, 4).await;
    let d = data_dir();
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let run = sync_acting(
        &d,
        &t,
        manual(),
        cancel,
        |p| p.phase == Phase::Applying,
        move || c2.cancel(),
    )
    .await
    .unwrap();
    assert_eq!(run.status, RunStatus::Cancelled);
    assert_eq!(run.counts, Default::default());
    assert!(d.changes(run.id).is_empty());
    let cancelled = d.events_of(run.id, EventKind::Cancelled);
    assert!(
        cancelled[0].message.contains("while applying"),
        "{cancelled:?}"
    );
    assert_untouched(&d);
}

#[tokio::test]
async fn dynamic_groups_made_before_the_first_sync_are_filled_by_it() {
    const RULE: &str =
        r#"(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")"#;
    const GROUP: &str = "Finance Senior Managers";
    let t = tenant(120, 30).await;
    let d = data_dir();
    {
        let mut store = d.store();
        let tx = store.conn_mut().transaction().unwrap();
        groups::create_dynamic(&tx, GROUP, "", RULE).unwrap();
        tx.commit().unwrap();
    }
    let run = d.sync(&t).await.unwrap();
    let expected = tenant_where(&t, |u| {
        u["userType"] == "Member"
            && u["jobTitle"] == "Senior Manager"
            && u["department"] == "Finance"
    });
    assert!(!expected.is_empty());
    assert_eq!(d.memberships()[GROUP], expected);
    let mut joined: Vec<String> = d
        .changes_of(run.id, ChangeKind::Joined)
        .into_iter()
        .filter(|c| c.group.as_deref() == Some(GROUP))
        .map(|c| c.user_id)
        .collect();
    joined.sort();
    assert_eq!(joined, expected);
    assert_eq!(
        run.counts.group_joined as usize,
        tenant_ids(&t).len() + expected.len()
    );
}
