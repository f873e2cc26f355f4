//! Dynamic groups and the sync scope against the Graph emulator, through `dirsync::sync::run` and
//! the public groups API: membership through add, change, soft delete, restore and scope changes;
//! rule edits recompute the group; preview and explain; a rule on an untracked attribute makes the
//! next run an announced full round.

mod sync_support;

use dirsync::groups::{self, GroupUpdate, GroupsError, Membership};
use dirsync::runs::{ChangeKind, EventKind, RunStatus, Trigger};
use dirsync::settings;
use dirsync::sync::SyncOptions;
use serde_json::{json, Value};
use sync_support::*;

const SENIOR_FINANCE: &str =
    r#"(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")"#;
const GROUP: &str = "Finance Senior Managers";

fn member(u: &Value) -> bool {
    u["userType"] == "Member"
}

fn senior_finance(u: &Value) -> bool {
    member(u) && u["jobTitle"] == "Senior Manager" && u["department"] == "Finance"
}

fn create(d: &Dir, name: &str, rule: &str) -> groups::RuleSaved {
    let mut store = d.store();
    let tx = store.conn_mut().transaction().unwrap();
    let saved = groups::create_dynamic(&tx, name, "", rule).unwrap();
    tx.commit().unwrap();
    saved
}

fn members(d: &Dir, name: &str) -> Vec<String> {
    d.memberships()[name].clone()
}

/// Joined/left records of `group` in a run, as (user, kind).
fn group_changes(d: &Dir, run: i64, group: &str) -> Vec<(String, ChangeKind)> {
    let mut out: Vec<(String, ChangeKind)> = d
        .changes(run)
        .into_iter()
        .filter(|c| c.group.as_deref() == Some(group))
        .map(|c| (c.user_id, c.kind))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn dynamic_membership_follows_add_change_soft_delete_and_restore() {
    let t = tenant(120, 25).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();

    let saved = create(&d, GROUP, SENIOR_FINANCE);
    let expected = tenant_where(&t, senior_finance);
    assert!(
        expected.len() >= 3,
        "the generated tenant has senior finance managers"
    );
    assert_eq!(saved.joined, expected);
    assert!(saved.left.is_empty() && !saved.full_round_required);
    assert_eq!(members(&d, GROUP), expected);
    let log = groups::changes(d.store().conn(), GROUP, 100).unwrap();
    assert_eq!(log.len(), expected.len());
    assert!(log
        .iter()
        .all(|c| c.cause == "created" && c.change == Membership::Joined));

    // A new hire who matches joins in the run that adds them, and the run logs it.
    let c = t.emu.control();
    let hire = c
        .add_user(
            json!({"displayName": "Nora Ledger", "userPrincipalName": "nora.ledger@contoso.example",
                          "jobTitle": "Senior Manager", "department": "Finance"}),
        )
        .unwrap();
    // A member who changes job leaves; another user who is promoted joins.
    let demoted = expected[0].clone();
    c.update_user(&demoted, json!({"jobTitle": "Advisor"}))
        .unwrap();
    let promoted = tenant_where(&t, |u| {
        member(u) && !senior_finance(u) && u["department"] != "Finance"
    })[0]
        .clone();
    c.update_user(
        &promoted,
        json!({"jobTitle": "Senior Manager", "department": "Finance"}),
    )
    .unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(!run.full_round);
    assert_eq!(members(&d, GROUP), tenant_where(&t, senior_finance));
    let mut want = vec![
        (hire.clone(), ChangeKind::Joined),
        (demoted.clone(), ChangeKind::Left),
        (promoted.clone(), ChangeKind::Joined),
    ];
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(group_changes(&d, run.id, GROUP), want);

    // Soft delete: the member leaves every group, the removal lists the groups.
    let gone = expected[1].clone();
    c.soft_delete(&gone).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.counts.removed, 1);
    let removed = d.changes_of(run.id, ChangeKind::Removed);
    assert_eq!(removed[0].user_id, gone);
    assert_eq!(
        removed[0].detail["groups"],
        json!(["Employee network", GROUP])
    );
    assert_eq!(
        group_changes(&d, run.id, GROUP),
        vec![(gone.clone(), ChangeKind::Left)]
    );
    assert!(groups::groups_of(d.store().conn(), &gone)
        .unwrap()
        .is_empty());
    assert_eq!(members(&d, GROUP), tenant_where(&t, senior_finance));

    // Restore: back in the directory and back in the group.
    c.restore(&gone).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.counts.added, 1);
    assert_eq!(
        group_changes(&d, run.id, GROUP),
        vec![(gone.clone(), ChangeKind::Joined)]
    );
    assert_eq!(
        groups::groups_of(d.store().conn(), &gone).unwrap(),
        vec!["Employee network".to_string(), GROUP.to_string()]
    );
    assert_eq!(members(&d, GROUP), tenant_where(&t, senior_finance));
}

#[tokio::test]
async fn changing_a_rule_recomputes_the_group_and_logs_who_joined_and_left() {
    let t = tenant(120, 40).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    create(&d, GROUP, SENIOR_FINANCE);
    let before = members(&d, GROUP);

    let finance = r#"user.department -eq "Finance" -and user.jobTitle -ne "Senior Manager""#;
    let mut store = d.store();
    let tx = store.conn_mut().transaction().unwrap();
    let saved = groups::update(
        &tx,
        GROUP,
        &GroupUpdate {
            name: Some("Finance staff".into()),
            description: Some("Finance without the senior managers".into()),
            rule: Some(finance.into()),
        },
    )
    .unwrap();
    tx.commit().unwrap();
    let after = tenant_where(&t, |u| {
        member(u) && u["department"] == "Finance" && u["jobTitle"] != "Senior Manager"
    });
    assert!(!after.is_empty());
    assert_eq!(saved.joined, after);
    assert_eq!(saved.left, before);
    assert_eq!(members(&d, "Finance staff"), after);
    let g = groups::get(store.conn(), "finance STAFF").unwrap();
    assert_eq!(g.rule.as_deref(), Some(finance));
    assert_eq!(g.description, "Finance without the senior managers");
    assert_eq!(g.member_count as usize, after.len());
    let log = groups::changes(store.conn(), "Finance staff", 1000).unwrap();
    let rule_changed = log.iter().filter(|c| c.cause == "rule changed").count();
    assert_eq!(rule_changed, after.len() + before.len());

    // An invalid rule is refused with its position, and nothing changes.
    let tx = store.conn_mut().transaction().unwrap();
    let err = groups::update(
        &tx,
        "Finance staff",
        &GroupUpdate {
            rule: Some(r#"user.department -eq "Finance" -and"#.into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    drop(tx);
    let GroupsError::InvalidRule { error, rendered } = err else {
        panic!("{err}")
    };
    assert_eq!(error.position, 34);
    assert!(
        rendered.ends_with(&format!("\n{}^", " ".repeat(34))),
        "{rendered}"
    );
    assert_eq!(members(&d, "Finance staff"), after);

    // Static groups have no rule; built-in groups cannot be edited.
    groups::create_static(store.conn(), "Hiking club", "").unwrap();
    let tx = store.conn_mut().transaction().unwrap();
    let rule_on_static = GroupUpdate {
        rule: Some(SENIOR_FINANCE.into()),
        ..Default::default()
    };
    assert!(matches!(
        groups::update(&tx, "Hiking club", &rule_on_static),
        Err(GroupsError::NotDynamic(..))
    ));
    assert!(matches!(
        groups::update(&tx, "Employee network", &rule_on_static),
        Err(GroupsError::Builtin(_))
    ));
    assert!(matches!(
        groups::create_dynamic(&tx, "finance staff", "", SENIOR_FINANCE),
        Err(GroupsError::Duplicate(_))
    ));
}

#[tokio::test]
async fn preview_counts_the_difference_against_the_saved_rule_and_explain_names_the_terms() {
    let t = tenant(120, 40).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let store = d.store();

    // A new group: everyone selected is an addition.
    let p = groups::preview_rule(store.conn(), SENIOR_FINANCE, None).unwrap();
    let expected = tenant_where(&t, senior_finance);
    assert_eq!(p.matches as usize, expected.len());
    assert_eq!((p.added as usize, p.removed), (expected.len(), 0));
    let mut sample: Vec<String> = p.sample.iter().map(|m| m.id.clone()).collect();
    sample.sort();
    assert_eq!(sample, expected);
    assert!(
        p.sample.windows(2).all(|w| w[0].name <= w[1].name),
        "by name"
    );
    assert!(p.untracked.is_empty());
    // Nothing was written.
    assert!(groups::list(store.conn()).unwrap().len() == 1);
    drop(store);

    create(&d, GROUP, SENIOR_FINANCE);
    let store = d.store();
    let wider = r#"user.department -eq "Finance""#;
    let p = groups::preview_rule(store.conn(), wider, Some(GROUP)).unwrap();
    let finance = tenant_where(&t, |u| member(u) && u["department"] == "Finance");
    assert_eq!(p.matches as usize, finance.len());
    assert_eq!(p.added as usize, finance.len() - expected.len());
    assert_eq!(p.removed, 0);
    let narrower = r#"user.jobTitle -eq "Senior Manager" -and user.department -eq "Finance" -and user.city -eq "Nowhere""#;
    let p = groups::preview_rule(store.conn(), narrower, Some(GROUP)).unwrap();
    assert_eq!(
        (p.matches, p.added, p.removed as usize),
        (0, 0, expected.len())
    );
    let mut gone: Vec<String> = p.removed_sample.iter().map(|m| m.id.clone()).collect();
    gone.sort();
    assert_eq!(gone, expected);

    // Explain: per comparison, matched or not, with the person's value.
    let who = &expected[0];
    let e = groups::explain_for(store.conn(), narrower, who).unwrap();
    assert!(!e.matched);
    let terms: Vec<(&str, bool, Option<&str>)> = e
        .terms
        .iter()
        .map(|t| (t.text.as_str(), t.matched, t.actual.as_deref()))
        .collect();
    let city = t.emu.control().user(who).unwrap().user["city"].clone();
    assert_eq!(
        terms,
        vec![
            (
                r#"user.jobTitle -eq "Senior Manager""#,
                true,
                Some("Senior Manager")
            ),
            (r#"user.department -eq "Finance""#, true, Some("Finance")),
            (r#"user.city -eq "Nowhere""#, false, city.as_str()),
        ]
    );
    // By UPN as well; unknown people and broken rules are errors that say so.
    let upn = t.emu.control().user(who).unwrap().user["userPrincipalName"]
        .as_str()
        .unwrap()
        .to_uppercase();
    assert!(
        groups::explain_for(store.conn(), SENIOR_FINANCE, &upn)
            .unwrap()
            .matched
    );
    assert!(matches!(
        groups::explain_for(store.conn(), SENIOR_FINANCE, "nobody"),
        Err(GroupsError::UnknownUser(_))
    ));
    assert!(matches!(
        groups::preview_rule(store.conn(), "user.departmnt -eq \"x\"", None),
        Err(GroupsError::InvalidRule { .. })
    ));

    // Member list with search.
    let page = groups::members(store.conn(), GROUP, "", 0, 100).unwrap();
    assert_eq!(page.total as usize, expected.len());
    let first = &page.items[0];
    let word = first.name.clone().unwrap();
    let word = word.split_whitespace().last().unwrap();
    let found = groups::members(store.conn(), GROUP, &word.to_lowercase(), 0, 100).unwrap();
    assert!(found.items.iter().any(|m| m.id == first.id));
    assert!(found.total >= 1 && found.total <= page.total);
    assert_eq!(
        groups::members(store.conn(), GROUP, "zz%_none", 0, 10)
            .unwrap()
            .total,
        0
    );
}

#[tokio::test]
async fn a_rule_on_an_untracked_attribute_makes_the_next_run_an_announced_full_round() {
    let t = tenant(60, 20).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let some_country = t.emu.control().users_snapshot()[3]["country"]
        .as_str()
        .unwrap()
        .to_string();
    let rule = format!(r#"user.country -eq "{some_country}""#);

    let p = groups::preview_rule(d.store().conn(), &rule, None).unwrap();
    assert_eq!(p.untracked, vec!["country".to_string()]);
    assert_eq!(p.matches, 0, "the directory does not hold countries yet");
    let saved = create(&d, "Same country", &rule);
    assert!(saved.full_round_required);
    assert_eq!(saved.untracked, vec!["country".to_string()]);
    let status = d.status();
    assert!(status.next_run_full);
    let reason = status.full_round_reason.unwrap();
    assert!(reason.contains("country"), "{reason}");

    let run = d.sync(&t).await.unwrap();
    assert!(run.full_round);
    let events = d.events_of(run.id, EventKind::FullRound);
    assert!(
        events[0].message.contains("country"),
        "{}",
        events[0].message
    );
    let requested = t
        .emu
        .control()
        .request_log()
        .into_iter()
        .filter(|r| r.path.ends_with("/users/delta"))
        .any(|r| r.query.as_deref().unwrap_or("").contains("country"));
    assert!(requested, "the round selected country");
    assert_eq!(
        members(&d, "Same country"),
        tenant_where(&t, |u| member(u) && u["country"] == some_country.as_str())
    );
    assert!(!d.status().next_run_full);
}

#[tokio::test]
async fn the_sync_scope_keeps_guests_out_and_a_scope_change_is_a_guarded_full_round() {
    let t = tenant(120, 30).await;
    let d = data_dir();
    let run = d.sync(&t).await.unwrap();
    let guests = tenant_where(&t, |u| u["userType"] == "Guest");
    assert!(!guests.is_empty());
    assert_eq!(d.ids(), tenant_where(&t, member));
    let info: Vec<String> = d
        .events_of(run.id, EventKind::Info)
        .into_iter()
        .map(|e| e.message)
        .collect();
    assert!(
        info.iter()
            .any(|m| m.starts_with(&format!("{} user(s) outside the sync scope", guests.len()))),
        "{info:?}"
    );

    // A member who becomes a guest leaves the directory and every group, "out of scope".
    let c = t.emu.control();
    let convert = tenant_where(&t, member)[5].clone();
    c.update_user(&convert, json!({"userType": "Guest"}))
        .unwrap();
    let run = d.sync(&t).await.unwrap();
    assert!(!run.full_round);
    assert_eq!(run.counts.removed, 1);
    let removed = d.changes_of(run.id, ChangeKind::Removed);
    assert_eq!(removed[0].user_id, convert);
    assert_eq!(removed[0].reason.as_deref(), Some("out of scope"));
    assert!(!d.ids().contains(&convert));

    // Previewing a wider scope: nobody stored is removed; the directory needs a full round.
    let everyone = r#"user.userType -in ["Member", "Guest"]"#;
    let p = groups::preview_scope(d.store().conn(), everyone).unwrap();
    assert!(p.changed);
    assert_eq!((p.removed, p.kept as usize), (0, d.ids().len()));
    // A preview run under it finds the guests without applying anything.
    let preview = d
        .sync_with(
            &t,
            SyncOptions {
                preview: true,
                scope: Some(everyone.into()),
                ..SyncOptions::new(Trigger::Manual)
            },
        )
        .await
        .unwrap();
    assert_eq!(preview.status, RunStatus::Preview);
    assert!(preview.full_round);
    assert_eq!(preview.counts.added as usize, guests.len() + 1);
    assert_eq!(d.ids(), tenant_where(&t, member));
    assert_eq!(
        settings::get(&d.store(), "sync_scope").unwrap(),
        groups::DEFAULT_SCOPE
    );
    // Applying it saves the scope with the directory changes.
    let run = d
        .sync_with(
            &t,
            SyncOptions {
                scope: Some(everyone.into()),
                ..SyncOptions::new(Trigger::Manual)
            },
        )
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!(d.ids(), tenant_where(&t, |_| true));
    assert_eq!(settings::get(&d.store(), "sync_scope").unwrap(), everyone);
    assert!(!d.status().next_run_full);

    // Narrowing it back through the setting: a full round under the deletion guard.
    let store = d.store();
    let p = groups::preview_scope(store.conn(), groups::DEFAULT_SCOPE).unwrap();
    assert_eq!(p.removed as usize, guests.len() + 1);
    let mut sample: Vec<String> = p.removed_sample.iter().map(|m| m.id.clone()).collect();
    sample.sort();
    let mut want = guests.clone();
    want.push(convert.clone());
    want.sort();
    assert_eq!(sample, want);
    assert!(settings::set(&store, "sync_scope", "user.userType -eq").is_err());
    groups::scope::set(store.conn(), groups::DEFAULT_SCOPE).unwrap();
    settings::set(&store, "deletion_guard_max", "2").unwrap();
    let reason = d.status().full_round_reason.unwrap();
    assert!(reason.contains("sync scope changed"), "{reason}");
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::NeedsApproval);
    assert_eq!(d.ids(), tenant_where(&t, |_| true), "nothing applied");
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
    assert!(run.full_round);
    assert_eq!(run.counts.removed as usize, guests.len() + 1);
    assert!(d
        .changes_of(run.id, ChangeKind::Removed)
        .iter()
        .all(|c| c.reason.as_deref() == Some("out of scope")));
    assert_eq!(d.ids(), tenant_where(&t, member));
}

#[test]
fn the_scope_setting_is_validated_by_the_rule_parser() {
    let dir = tempfile::tempdir().unwrap();
    let store = dirsync::store::Store::open(&dir.path().join("db.sqlite3")).unwrap();
    assert_eq!(
        settings::get(&store, "sync_scope").unwrap(),
        r#"user.userType -eq "Member""#
    );
    let err = settings::set(&store, "sync_scope", r#"user.userTyp -eq "Member""#).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("sync_scope") && msg.contains('^'), "{msg}");
    settings::set(&store, "sync_scope", r#"user.accountEnabled -eq true"#).unwrap();
    assert_eq!(
        groups::scope::current(store.conn()).unwrap(),
        "user.accountEnabled -eq true"
    );
}
