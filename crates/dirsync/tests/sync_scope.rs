//! The sync scope as Settings shows it, against the Graph emulator: the scope in force and whether
//! it was applied, and a scope preview whose removals and deletion-guard verdict are what the next
//! sync then does (Needs approval over the guard, the same removals within it).

mod sync_support;

use dirsync::groups::{self, scope, GroupsError};
use dirsync::runs::{ChangeKind, RunStatus};
use dirsync::settings;
use sync_support::*;

/// Members, except the Finance department.
const NO_FINANCE: &str = r#"user.userType -eq "Member" -and -not (user.department -eq "Finance")"#;

#[tokio::test]
async fn a_scope_preview_foretells_the_guarded_full_round() {
    let t = tenant(150, 40).await;
    let d = data_dir();
    let store = d.store();
    // Before any run: the default, not applied yet.
    let s = scope::state(store.conn()).unwrap();
    assert_eq!(s.rule, groups::DEFAULT_SCOPE);
    assert!(s.is_default && s.pending && s.applied.is_none());

    d.sync(&t).await.unwrap();
    let s = scope::state(store.conn()).unwrap();
    assert_eq!(s.applied.as_deref(), Some(groups::DEFAULT_SCOPE));
    assert!(s.is_default && !s.pending);

    let members = tenant_where(&t, |u| u["userType"] == "Member");
    let leaving = tenant_where(&t, |u| {
        u["userType"] == "Member" && u["department"] == "Finance"
    });
    assert!(
        leaving.len() >= 2,
        "the generated tenant has Finance members"
    );
    let p = groups::preview_scope(store.conn(), NO_FINANCE).unwrap();
    assert!(p.changed);
    assert_eq!(
        (p.kept as usize, p.removed as usize),
        (members.len() - leaving.len(), leaving.len())
    );
    let mut sample: Vec<String> = p.removed_sample.iter().map(|m| m.id.clone()).collect();
    sample.sort();
    assert_eq!(sample, leaving);
    // The guard's defaults: 500 removals, 20% of the directory.
    assert_eq!(
        p.guard_threshold as usize,
        500.min(members.len() * 20 / 100)
    );
    assert_eq!(p.guard_stops, leaving.len() > p.guard_threshold as usize);

    // A guard lower than the removals: the preview says the round stops, and it does.
    let low = leaving.len() - 1;
    settings::set(&store, "deletion_guard_max", &low.to_string()).unwrap();
    let p = groups::preview_scope(store.conn(), NO_FINANCE).unwrap();
    assert_eq!(
        p.guard_threshold as usize,
        low.min(members.len() * 20 / 100)
    );
    assert!(p.guard_stops);
    scope::set(store.conn(), NO_FINANCE).unwrap();
    let s = scope::state(store.conn()).unwrap();
    assert_eq!(s.rule, NO_FINANCE);
    assert!(!s.is_default && s.pending);
    assert_eq!(s.applied.as_deref(), Some(groups::DEFAULT_SCOPE));
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::NeedsApproval);
    assert!(run.full_round);
    assert_eq!(run.counts.removed, p.removed);
    assert_eq!(d.ids(), members, "nothing applied");

    // Within the guard: the preview says it goes through, and it removes exactly those people.
    settings::set(&store, "deletion_guard_max", &leaving.len().to_string()).unwrap();
    settings::set(&store, "deletion_guard_percent", "100").unwrap();
    let p = groups::preview_scope(store.conn(), NO_FINANCE).unwrap();
    assert!(!p.guard_stops);
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    let mut removed: Vec<String> = d
        .changes_of(run.id, ChangeKind::Removed)
        .into_iter()
        .map(|c| c.user_id)
        .collect();
    removed.sort();
    assert_eq!(removed, leaving);
    let s = scope::state(store.conn()).unwrap();
    assert!(!s.pending);
    let p = groups::preview_scope(store.conn(), NO_FINANCE).unwrap();
    assert!(!p.changed && p.removed == 0);
}

#[tokio::test]
async fn a_damaged_deletion_guard_setting_is_named() {
    let d = data_dir();
    let store = d.store();
    store
        .conn()
        .execute(
            "INSERT INTO settings (key, value) VALUES ('deletion_guard_percent', 'lots')",
            [],
        )
        .unwrap();
    let err = groups::preview_scope(store.conn(), groups::DEFAULT_SCOPE).unwrap_err();
    assert!(
        matches!(&err, GroupsError::BadSetting { key: "deletion_guard_percent", value } if value == "lots"),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("dirsync config set deletion_guard_percent"));
}
