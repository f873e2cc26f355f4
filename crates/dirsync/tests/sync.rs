//! The sync engine against the Graph emulator, through the public API.

mod sync_support;

use dirsync::runs::{ChangeKind, EventKind, RunStatus, Trigger};
use dirsync::sync::{self, SyncOptions};
use serde_json::json;
use sync_support::*;

#[tokio::test]
async fn first_sync_reads_every_page_and_fills_the_directory() {
    let t = tenant(40, 7).await;
    let d = data_dir();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.full_round);
    assert_eq!(run.full_round_reason.as_deref(), Some("first sync"));
    assert_eq!(d.ids(), tenant_ids(&t));
    assert_eq!(run.counts.added as usize, tenant_ids(&t).len());
    assert_eq!(run.counts.group_joined, run.counts.added);
    assert!(run.traffic.pages > 6, "{:?}", run.traffic);
    // Duplicates across pages (emulator quirk) are received but applied once.
    assert!(run.traffic.users_seen > run.counts.added);
    assert_eq!(d.memberships()["Employee network"], tenant_ids(&t));
    assert_eq!(
        d.changes_of(run.id, ChangeKind::Added).len() as u64,
        run.counts.added
    );
    assert_eq!(d.events_of(run.id, EventKind::FullRound).len(), 1);
    let status = d.status();
    assert!(!status.next_run_full);
    assert!(status.delta_link_at.is_some());
}

#[tokio::test]
async fn incremental_round_adds_changes_and_renames_keep_identity() {
    let t = tenant(20, 6).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let c = t.emu.control();
    let a = c.user_id_at(0).unwrap();
    let b = c.user_id_at(1).unwrap();
    let old_title = c.user(&a).unwrap().user["jobTitle"].clone();
    c.update_user(&a, json!({"jobTitle": "Chief Tester"}))
        .unwrap();
    c.update_user(
        &b,
        json!({"userPrincipalName": "renamed@contoso.example", "displayName": "Renamed Person"}),
    )
    .unwrap();
    let new_id = c
        .add_user(json!({"displayName": "New Hire", "userPrincipalName": "new.hire@contoso.example", "city": "Oslo"}))
        .unwrap();

    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(!run.full_round);
    assert_eq!(
        (run.counts.added, run.counts.updated, run.counts.removed),
        (1, 2, 0)
    );
    assert_eq!(d.ids(), tenant_ids(&t));

    let updated = d.changes_of(run.id, ChangeKind::Updated);
    let title = updated
        .iter()
        .find(|c| c.user_id == a)
        .expect("job title change recorded");
    let change = &title.detail["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "jobTitle")
        .expect("jobTitle old -> new")
        .clone();
    assert_eq!(change["old"], old_title);
    assert_eq!(change["new"], "Chief Tester");
    let store = d.store();
    let entry = dirsync::directory::get(store.conn(), &b).unwrap().unwrap();
    assert_eq!(entry.upn.as_deref(), Some("renamed@contoso.example"));
    let added = d.changes_of(run.id, ChangeKind::Added);
    assert_eq!(added[0].user_id, new_id);
    assert_eq!(added[0].detail["fields"]["City"], "Oslo");
    assert!(
        dirsync::groups::member_ids(store.conn(), "Employee network")
            .unwrap()
            .contains(&new_id)
    );

    // Nothing changed: an empty incremental round.
    let run = d.sync(&t).await.unwrap();
    assert_eq!(
        (run.counts.added, run.counts.updated, run.counts.removed),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn soft_and_hard_deletes_leave_every_group_and_restore_comes_back() {
    let t = tenant(20, 5).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let c = t.emu.control();
    let soft = c.user_id_at(2).unwrap();
    let hard = c.user_id_at(3).unwrap();
    {
        let store = d.store();
        dirsync::groups::create_static(store.conn(), "Hiking club", "").unwrap();
        dirsync::groups::add_members(store.conn(), "Hiking club", &[soft.clone(), hard.clone()])
            .unwrap();
    }
    c.soft_delete(&soft).unwrap();
    c.hard_delete(&hard).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(run.counts.removed, 2);
    assert_eq!(run.counts.group_left, 4);
    let removed = d.changes_of(run.id, ChangeKind::Removed);
    let reason_of = |id: &str| {
        removed
            .iter()
            .find(|r| r.user_id == id)
            .unwrap()
            .reason
            .clone()
    };
    assert_eq!(reason_of(&soft).as_deref(), Some("soft"));
    assert_eq!(reason_of(&hard).as_deref(), Some("hard"));
    let store = d.store();
    assert!(dirsync::groups::groups_of(store.conn(), &soft)
        .unwrap()
        .is_empty());
    assert!(dirsync::groups::groups_of(store.conn(), &hard)
        .unwrap()
        .is_empty());
    assert!(dirsync::groups::member_ids(store.conn(), "Hiking club")
        .unwrap()
        .is_empty());
    assert_eq!(d.ids(), tenant_ids(&t));

    c.restore(&soft).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.counts.added, 1);
    assert!(d.ids().contains(&soft));
    assert!(d.memberships()["Employee network"].contains(&soft));
}

#[tokio::test]
async fn throttling_server_errors_and_broken_responses_are_retried() {
    use graph_emulator::{FaultKind, FaultSpec};
    let t = tenant(30, 4).await;
    let reference = data_dir();
    reference.sync(&t).await.unwrap();

    let c = t.emu.control();
    let d = data_dir();
    for kind in [
        FaultKind::TooManyRequests {
            retry_after: Some("2.128".into()),
        },
        FaultKind::ServiceUnavailable { retry_after: None },
        FaultKind::GatewayTimeout,
        FaultKind::ConnectionReset,
        FaultKind::TruncatedJson,
        FaultKind::ServiceUnavailable {
            retry_after: Some("1".into()),
        },
    ] {
        c.inject_fault(FaultSpec {
            path_prefix: Some("/v1.0/users/delta".into()),
            ..FaultSpec::next(kind, 1)
        });
    }
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(d.export(), reference.export());
    assert_eq!(run.traffic.retries, 6, "{:?}", d.events(run.id));
    assert_eq!(run.traffic.throttle_waits, 1);
    assert!((run.traffic.throttle_seconds - 2.128).abs() < 1e-9);
    let throttled = d.events_of(run.id, EventKind::Throttled);
    assert_eq!(throttled[0].seconds, Some(2.128));
    assert!(t
        .sleeps
        .0
        .lock()
        .unwrap()
        .contains(&std::time::Duration::from_millis(2128)));
    // Events never carry links or tokens.
    for e in d.events(run.id) {
        assert!(
            !e.message.contains("token=") && !e.message.contains("http"),
            "{}",
            e.message
        );
    }
}

#[tokio::test]
async fn a_failure_that_outlasts_the_retry_budget_applies_nothing() {
    use graph_emulator::{FaultKind, FaultSpec};
    let t = tenant(20, 4).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let before = d.export();
    let c = t.emu.control();
    c.update_user(&c.user_id_at(0).unwrap(), json!({"city": "Bergen"}))
        .unwrap();
    c.hard_delete(&c.user_id_at(1).unwrap()).unwrap();
    // The first page succeeds, then the service stays down.
    c.inject_fault(FaultSpec {
        path_prefix: Some("/v1.0/users/delta".into()),
        ..FaultSpec::next(FaultKind::GatewayTimeout, 50)
    });
    let err = d.sync(&t).await.unwrap_err();
    assert!(err.to_string().contains("try again later"), "{err}");
    assert_eq!(d.export(), before);
    let store = d.store();
    let failed = dirsync::runs::latest(store.conn()).unwrap().unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(failed.error.unwrap().contains("unavailable"));
    c.clear_faults();
    let run = d.sync(&t).await.unwrap();
    assert!(!run.full_round);
    assert_eq!((run.counts.updated, run.counts.removed), (1, 1));
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_mid_round() {
    let t = tenant(30, 4).await;
    let d = data_dir();
    let control = t.emu.control().clone();
    let advanced = std::sync::atomic::AtomicBool::new(false);
    let run = sync::run(
        &d.data,
        &t.client,
        SyncOptions::new(Trigger::Manual),
        move |p: &sync::Progress| {
            if p.pages == 3 && !advanced.swap(true, std::sync::atomic::Ordering::SeqCst) {
                control.advance_clock(chrono::Duration::hours(2));
            }
        },
        sync::CancelToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(
        t.tokens.refreshes.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(d.events_of(run.id, EventKind::TokenRenewed).len(), 1);
    assert_eq!(d.ids(), tenant_ids(&t));
}

#[tokio::test]
async fn sync_state_not_found_starts_a_full_round_and_sweeps() {
    let t = tenant(20, 6).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let c = t.emu.control();
    // Graph forgets delta tokens after 7 days; a user deleted meanwhile is simply absent.
    c.advance_clock(chrono::Duration::days(8));
    let gone = c.user_id_at(4).unwrap();
    c.hard_delete(&gone).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.full_round);
    assert!(
        run.full_round_reason
            .as_deref()
            .unwrap()
            .contains("syncStateNotFound"),
        "{:?}",
        run.full_round_reason
    );
    assert_eq!(run.counts.removed, 1);
    let removed = d.changes_of(run.id, ChangeKind::Removed);
    assert_eq!(
        (removed[0].user_id.as_str(), removed[0].reason.as_deref()),
        (gone.as_str(), Some("swept"))
    );
    assert_eq!(d.events_of(run.id, EventKind::Swept).len(), 1);
    assert_eq!(d.ids(), tenant_ids(&t));
    assert_eq!(run.counts.unchanged as usize, tenant_ids(&t).len());
}

#[tokio::test]
async fn gone_410_starts_a_full_round_and_sweeps() {
    let t = tenant(20, 6).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let c = t.emu.control();
    c.set_delta_reset(true);
    let gone = c.user_id_at(5).unwrap();
    c.hard_delete(&gone).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert!(run.full_round);
    assert!(run.full_round_reason.as_deref().unwrap().contains("410"));
    assert_eq!(run.counts.removed, 1);
    assert_eq!(d.ids(), tenant_ids(&t));
}

#[tokio::test]
async fn a_delta_link_older_than_30_days_is_refused_until_reset() {
    let t = tenant(10, 5).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let before = d.export();
    let later = sync::Clock::offset(chrono::Duration::days(31));
    let opts = SyncOptions {
        clock: later.clone(),
        ..SyncOptions::new(Trigger::Schedule)
    };
    let err = d.sync_with(&t, opts.clone()).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("DeltaLink older than 30 days is not supported."),
        "{err}"
    );
    assert!(matches!(
        err,
        sync::SyncError::DeltaLinkTooOld { age_days: 31 }
    ));
    assert_eq!(d.export(), before);
    let store = d.store();
    let failed = dirsync::runs::latest(store.conn()).unwrap().unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(failed
        .error
        .unwrap()
        .contains("DeltaLink older than 30 days is not supported."));
    assert!(
        sync::status(&d.data, &store, &later)
            .unwrap()
            .delta_link_too_old
    );

    sync::reset(&d.data, &store).unwrap();
    let run = d
        .sync_with(
            &t,
            SyncOptions {
                clock: later,
                ..SyncOptions::new(Trigger::Reset)
            },
        )
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.full_round);
    assert_eq!(run.trigger, Trigger::Reset);
    assert_eq!(d.export(), before);
}

#[tokio::test]
async fn the_deletion_guard_stops_mass_removals_until_allowed() {
    let t = tenant(30, 8).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let before = d.export();
    let c = t.emu.control();
    // 20% of the 29 members (the tenant's one guest is outside the sync scope) = 5: removing 7
    // needs approval.
    let doomed: Vec<String> = (0..7).map(|i| c.user_id_at(i).unwrap()).collect();
    for id in &doomed {
        c.hard_delete(id).unwrap();
    }
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::NeedsApproval);
    assert_eq!(run.deletion_threshold, Some(5));
    assert_eq!(run.counts.removed, 7);
    let mut would: Vec<String> = d
        .changes_of(run.id, ChangeKind::Removed)
        .into_iter()
        .map(|c| c.user_id)
        .collect();
    would.sort();
    let mut expected = doomed.clone();
    expected.sort();
    assert_eq!(would, expected);
    assert!(run.error.as_deref().unwrap().contains("Allow deletes"));
    assert_eq!(d.export(), before);
    // Still stopped on the next attempt: the deltaLink did not move.
    assert_eq!(d.sync(&t).await.unwrap().status, RunStatus::NeedsApproval);

    let run = d
        .sync_with(
            &t,
            SyncOptions {
                allow_deletes: true,
                ..SyncOptions::new(Trigger::Manual)
            },
        )
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(run.counts.removed, 7);
    assert_eq!(d.ids(), tenant_ids(&t));

    // The threshold is configurable.
    let store = d.store();
    dirsync::settings::set(&store, "deletion_guard_percent", "100").unwrap();
    dirsync::settings::set(&store, "deletion_guard_max", "1").unwrap();
    c.hard_delete(&c.user_id_at(10).unwrap()).unwrap();
    c.hard_delete(&c.user_id_at(11).unwrap()).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(
        (run.status, run.deletion_threshold),
        (RunStatus::NeedsApproval, Some(1))
    );
}

#[tokio::test]
async fn preview_shows_changes_and_applies_nothing() {
    let t = tenant(15, 5).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let before = d.export();
    let status_before = d.status();
    let c = t.emu.control();
    let a = c.user_id_at(0).unwrap();
    c.update_user(&a, json!({"city": "Tromsø"})).unwrap();
    c.soft_delete(&c.user_id_at(1).unwrap()).unwrap();
    c.add_user(json!({"displayName": "Preview Person"}))
        .unwrap();

    let preview = d
        .sync_with(
            &t,
            SyncOptions {
                preview: true,
                ..SyncOptions::new(Trigger::Manual)
            },
        )
        .await
        .unwrap();
    assert_eq!(preview.status, RunStatus::Preview);
    assert_eq!(
        (
            preview.counts.added,
            preview.counts.updated,
            preview.counts.removed
        ),
        (1, 1, 1)
    );
    let upd = d.changes_of(preview.id, ChangeKind::Updated);
    let city = upd[0].detail["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "City")
        .unwrap()
        .clone();
    assert_eq!(city["new"], "Tromsø");
    assert!(city["old"].is_string());
    assert_eq!(d.export(), before);
    assert_eq!(d.status().delta_link_at, status_before.delta_link_at);

    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.counts, preview.counts);
    assert_ne!(d.export(), before);
}

#[tokio::test]
async fn a_widened_mapping_makes_the_next_run_a_full_round() {
    let t = tenant(12, 5).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let store = d.store();
    let outcome = dirsync::mapping::set_field(store.conn(), "Employee id", "employeeId").unwrap();
    assert!(outcome.full_round_required);
    let status = d.status();
    assert!(status.next_run_full);
    assert!(status.full_round_reason.unwrap().contains("employeeId"));
    t.emu.control().clear_request_log();
    let run = d.sync(&t).await.unwrap();
    assert!(run.full_round);
    assert_eq!(run.counts.removed, 0);
    let first_delta = t
        .emu
        .control()
        .request_log()
        .into_iter()
        .find(|r| r.path.ends_with("/users/delta"))
        .unwrap();
    assert!(first_delta.query.unwrap().contains("employeeId"));
    let any = t.emu.control().user_id_at(0).unwrap();
    let entry = dirsync::directory::get(store.conn(), &any)
        .unwrap()
        .unwrap();
    let expected = t.emu.control().user(&any).unwrap().user["employeeId"].clone();
    assert_eq!(
        serde_json::to_value(&entry)
            .unwrap()
            .to_string()
            .contains(expected.as_str().unwrap_or("\u{0}")),
        expected.is_string()
    );
    assert!(!d.status().next_run_full);
}
