//! AAD sync history (issue 6) through the public API against the emulator: every status and
//! count recorded, the three log formats parsed back, the 30-day failure and its recovery
//! through Reset sync, no secret in any export, and retention.

mod sync_support;

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use dirsync::auth::{AuthError, TokenProvider};
use dirsync::graph::GraphClient;
use dirsync::runs::{self, ChangeKind, Format, RunKind, RunRecord, RunStatus, Trigger};
use dirsync::sync::{self, CancelToken, Clock, Progress, SyncOptions};
use graph_emulator::{FaultKind, FaultSpec};
use serde_json::{json, Value};
use sync_support::*;

fn export(d: &Dir, id: i64, format: Format) -> String {
    let mut out = Vec::new();
    runs::export(d.store().conn(), id, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn history(d: &Dir) -> Vec<RunRecord> {
    runs::list(d.store().conn(), 100, None).unwrap()
}

fn at(clock: &Clock) -> SyncOptions {
    SyncOptions {
        clock: clock.clone(),
        ..SyncOptions::new(Trigger::Manual)
    }
}

/// The text log's header as name → value, and its entry lines.
fn parse_text(log: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut lines = log.lines();
    let title = lines.next().unwrap();
    assert!(
        title.starts_with("Directory Sync - AAD sync history - run "),
        "{title}"
    );
    let mut header = BTreeMap::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .expect("header lines are `Name: value`");
        header.insert(name.to_string(), value.trim().to_string());
    }
    assert_eq!(lines.next(), Some("Events and changes:"));
    (header, lines.map(str::to_string).collect())
}

/// The UTC timestamp an entry line starts with.
fn stamp(line: &str) -> DateTime<Utc> {
    let ts = line.split_whitespace().next().unwrap();
    assert!(ts.ends_with('Z'), "not UTC: {line}");
    DateTime::parse_from_rfc3339(ts)
        .unwrap_or_else(|e| panic!("{line}: {e}"))
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_lands_in_the_history_with_its_counts() {
    let t = tenant(30, 8).await;
    let d = data_dir();
    let c = t.emu.control();
    let members = tenant_ids(&t).len() as u64;

    let first = d.sync(&t).await.unwrap();
    assert_eq!(first.status, RunStatus::Success);
    assert!(first.full_round);
    assert_eq!(first.full_round_reason.as_deref(), Some("first sync"));
    assert_eq!(first.delta_link_age_secs, None);
    assert_eq!((first.counts.added, first.counts.updated), (members, 0));
    assert!(first.counts.group_joined >= 1, "{:?}", first.counts);
    assert!(first.traffic.pages >= 4);

    // Incremental: one of each change.
    c.update_user(&c.user_id_at(0).unwrap(), json!({"city": "Tromsø"}))
        .unwrap();
    c.soft_delete(&c.user_id_at(1).unwrap()).unwrap();
    c.add_user(json!({"displayName": "History Person", "userType": "Member"}))
        .unwrap();
    c.inject_fault(FaultSpec {
        path_prefix: Some("/v1.0/users/delta".into()),
        ..FaultSpec::next(
            FaultKind::TooManyRequests {
                retry_after: Some("1.5".into()),
            },
            1,
        )
    });
    let incremental = d
        .sync_with(&t, SyncOptions::new(Trigger::Cli))
        .await
        .unwrap();
    assert_eq!(incremental.status, RunStatus::Success);
    assert!(!incremental.full_round);
    assert!(incremental.delta_link_age_secs.is_some());
    let counts = incremental.counts;
    assert_eq!((counts.added, counts.updated, counts.removed), (1, 1, 1));
    assert_eq!(
        (
            incremental.traffic.throttle_waits,
            incremental.traffic.retries
        ),
        (1, 1)
    );
    assert_eq!(
        d.changes_of(incremental.id, ChangeKind::Removed)[0]
            .reason
            .as_deref(),
        Some("soft")
    );

    c.update_user(&c.user_id_at(2).unwrap(), json!({"city": "Preview"}))
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
    assert_eq!(
        (preview.status, preview.counts.updated),
        (RunStatus::Preview, 1)
    );

    for i in 3..12 {
        c.hard_delete(&c.user_id_at(i).unwrap()).unwrap();
    }
    let guarded = d.sync(&t).await.unwrap();
    assert_eq!(guarded.status, RunStatus::NeedsApproval);
    assert_eq!(guarded.counts.removed, 9);
    assert!(guarded.deletion_threshold.unwrap() < 9);
    // Reject: nothing removed, the decision recorded once with the run.
    let conn = d.store();
    assert!(runs::reject_deletes(conn.conn(), guarded.id).unwrap());
    assert!(!runs::reject_deletes(conn.conn(), guarded.id).unwrap());
    let rejections = d.events(guarded.id);
    assert_eq!(
        rejections
            .iter()
            .filter(|e| e.message == runs::REJECTED)
            .count(),
        1
    );
    assert!(matches!(
        runs::reject_deletes(conn.conn(), preview.id),
        Err(runs::RunsError::NotAwaitingApproval(_))
    ));

    let cancel = CancelToken::new();
    cancel.cancel();
    let cancelled = sync::run(
        &d.data,
        &t.client,
        SyncOptions::new(Trigger::Schedule),
        |_: &Progress| {},
        cancel,
    )
    .await
    .unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);

    c.inject_fault(FaultSpec {
        path_prefix: Some("/v1.0/users/delta".into()),
        ..FaultSpec::next(FaultKind::GatewayTimeout, 50)
    });
    let err = d.sync(&t).await.unwrap_err();
    c.clear_faults();

    let rows = history(&d);
    let seen: Vec<(RunStatus, Trigger)> = rows.iter().map(|r| (r.status, r.trigger)).collect();
    assert_eq!(
        seen,
        [
            (RunStatus::Failed, Trigger::Manual),
            (RunStatus::Cancelled, Trigger::Schedule),
            (RunStatus::NeedsApproval, Trigger::Manual),
            (RunStatus::Preview, Trigger::Manual),
            (RunStatus::Success, Trigger::Cli),
            (RunStatus::Success, Trigger::Manual),
        ],
        "newest first"
    );
    let failed = &rows[0];
    assert_eq!(failed.error.as_deref(), Some(err.to_string().as_str()));
    assert_eq!(
        failed.counts,
        Default::default(),
        "a failed run applied nothing"
    );
    for r in &rows {
        assert_eq!(r.kind, RunKind::Sync);
        assert!(r.ended_at.is_some() && r.duration_secs().is_some(), "{r:?}");
    }
    assert_eq!(
        runs::latest(d.store().conn()).unwrap().unwrap().id,
        failed.id
    );
    assert_eq!(
        runs::get(d.store().conn(), incremental.id)
            .unwrap()
            .unwrap(),
        incremental
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_dies_stays_running_until_the_next_run_marks_it_interrupted() {
    let t = Arc::new(tenant(20, 4).await);
    let d = Arc::new(data_dir());
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let started_tx = Mutex::new(Some(started_tx));
    let release_rx = Mutex::new(release_rx);
    let doomed = {
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
    let running = history(&d);
    assert_eq!(running[0].status, RunStatus::Running);
    assert_eq!(running[0].ended_at, None);
    assert_eq!(running[0].duration_secs(), None);
    let text = export(&d, running[0].id, Format::Text);
    assert_eq!(parse_text(&text).0["Ended"], "still running");

    // The run's task is dropped mid-fetch, as when the process is killed.
    doomed.abort();
    release_tx.send(()).unwrap();
    assert!(doomed.await.unwrap_err().is_cancelled());
    assert_eq!(history(&d)[0].status, RunStatus::Running);

    let next = d.sync(&t).await.unwrap();
    assert_eq!(next.status, RunStatus::Success);
    let interrupted = runs::get(d.store().conn(), running[0].id).unwrap().unwrap();
    assert_eq!(interrupted.status, RunStatus::Failed);
    assert!(interrupted.error.unwrap().starts_with("Interrupted"));
}

#[tokio::test]
async fn text_jsonl_and_csv_exports_parse_back_to_the_same_records() {
    let t = tenant(20, 5).await;
    let d = data_dir();
    let c = t.emu.control();
    let first = d.sync(&t).await.unwrap();
    let changed = c.user_id_at(0).unwrap();
    let old_city = d
        .changes_of(first.id, ChangeKind::Added)
        .into_iter()
        .find(|a| a.user_id == changed)
        .unwrap()
        .detail["fields"]["City"]
        .as_str()
        .map(str::to_string);
    c.update_user(&changed, json!({"city": "Reykjavík, \"Old town\""}))
        .unwrap();
    c.soft_delete(&c.user_id_at(1).unwrap()).unwrap();
    c.add_user(json!({"displayName": "=cmd|' /C calc'!A0", "userType": "Member"}))
        .unwrap();
    c.inject_fault(FaultSpec {
        path_prefix: Some("/v1.0/users/delta".into()),
        ..FaultSpec::next(
            FaultKind::TooManyRequests {
                retry_after: Some("2".into()),
            },
            1,
        )
    });
    let run = d.sync(&t).await.unwrap();
    let events = d.events(run.id);
    let changes = d.changes(run.id);
    assert!(!events.is_empty() && changes.len() >= 3);

    // Text: header fields, then one line per event and change, in time order, UTC.
    let (header, lines) = parse_text(&export(&d, run.id, Format::Text));
    assert_eq!(header["Run"], run.id.to_string());
    assert_eq!(header["Status"], "Success");
    assert_eq!(header["Trigger"], "manual");
    assert_eq!(header["Started"], run.started_at);
    assert_eq!(header["Ended"], run.ended_at.clone().unwrap());
    assert!(header["Round"].starts_with("incremental"), "{header:?}");
    assert!(header["Delta link age"].ends_with(" s)"), "{header:?}");
    assert_eq!(
        header["Users"],
        "added 1, updated 1, removed 1, unchanged 0, failed 0"
    );
    assert_eq!(header["Pages fetched"], run.traffic.pages.to_string());
    assert_eq!(header["Throttling waits"], "1 (2.0 s in total)");
    assert_eq!(header["Error"], "none");
    assert_eq!(lines.len(), events.len() + changes.len());
    let stamps: Vec<_> = lines.iter().map(|l| stamp(l)).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("[throttled]")));
    let expected_city = format!(
        "City: {} → \"Reykjavík, \"Old town\"\"",
        old_city
            .as_deref()
            .map_or("(empty)".to_string(), |c| format!("\"{c}\""))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("[user updated]") && l.contains(&expected_city)),
        "{expected_city} in {lines:#?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("[user removed]") && l.contains("soft delete")));

    // JSON Lines: the run first, then every event and change as its own object.
    let jsonl = export(&d, run.id, Format::Jsonl);
    let records: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["record"], "run");
    assert_eq!(records[0]["id"], run.id);
    assert_eq!(records[0]["status"], "success");
    assert_eq!(records[0]["counts"]["updated"], 1);
    assert_eq!(records[0]["traffic"]["throttle_waits"], 1);
    let of = |kind: &str| records.iter().filter(|r| r["record"] == kind).count();
    assert_eq!((of("event"), of("change")), (events.len(), changes.len()));
    let updated = records
        .iter()
        .find(|r| r["record"] == "change" && r["kind"] == "updated")
        .unwrap();
    assert_eq!(updated["user_id"], changed.as_str());
    let city = updated["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "City")
        .unwrap();
    assert_eq!(city["new"], "Reykjavík, \"Old town\"");
    assert_eq!(city["old"].as_str(), old_city.as_deref());
    let added = records
        .iter()
        .find(|r| r["record"] == "change" && r["kind"] == "added")
        .unwrap();
    assert!(added["fields"].is_object());

    // CSV: fixed columns, quoting and formula defusing survive a real CSV reader.
    let csv_text = export(&d, run.id, Format::Csv);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        runs::CSV_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        (&rows[0][1], &rows[0][6]),
        ("run", run.id.to_string().as_str())
    );
    assert_eq!(
        rows.iter().filter(|r| &r[1] == "event").count(),
        events.len()
    );
    let city_row = rows
        .iter()
        .find(|r| &r[1] == "updated" && &r[4] == "City")
        .unwrap();
    assert_eq!(&city_row[2], changed.as_str());
    assert_eq!(&city_row[5], old_city.as_deref().unwrap_or(""));
    assert_eq!(&city_row[6], "Reykjavík, \"Old town\"");
    let removed = rows.iter().find(|r| &r[1] == "removed").unwrap();
    assert_eq!(&removed[7], "soft");
    let formula = rows
        .iter()
        .find(|r| &r[1] == "added" && r[6].contains("calc"))
        .expect("the added user's name is a row");
    assert!(formula[6].starts_with("'="), "defused: {:?}", &formula[6]);
    for r in &rows {
        stamp(&r[0]);
    }
}

#[tokio::test]
async fn an_expired_delta_link_fails_with_the_exact_message_and_reset_sync_recovers() {
    let t = tenant(12, 5).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    let later = Clock::offset(Duration::days(31));
    d.sync_with(&t, at(&later)).await.unwrap_err();
    let failed = runs::latest(d.store().conn()).unwrap().unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    for format in Format::ALL {
        let log = export(&d, failed.id, format);
        assert!(
            log.contains("DeltaLink older than 30 days is not supported."),
            "{format:?}: {log}"
        );
    }
    let (header, lines) = parse_text(&export(&d, failed.id, Format::Text));
    assert!(header["Error"].starts_with("DeltaLink older than 30 days is not supported."));
    assert!(
        header["Delta link age"].starts_with("31 days"),
        "{header:?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("[run failed] DeltaLink older than 30 days is not supported.")));

    // Someone left Azure AD meanwhile: only a full round with mark and sweep notices.
    let c = t.emu.control();
    let gone = c.user_id_at(3).unwrap();
    c.hard_delete(&gone).unwrap();

    let entry = sync::reset_by(&d.data, &d.store(), Trigger::Cli, &later).unwrap();
    assert_eq!((entry.kind, entry.trigger), (RunKind::Reset, Trigger::Cli));
    assert_eq!(entry.status, RunStatus::Success);
    assert!(entry.delta_link_age_secs.unwrap() >= 31 * 86_400);
    let (header, lines) = parse_text(&export(&d, entry.id, Format::Text));
    assert_eq!(header["Status"], "Reset sync");
    assert!(
        lines[0].contains("dropped the delta link stored"),
        "{lines:?}"
    );
    let status = sync::status(&d.data, &d.store(), &later).unwrap();
    assert!(status.next_run_full && !status.delta_link_too_old);
    assert_eq!(
        status.last_run.unwrap().id,
        failed.id,
        "a reset is not a run"
    );

    let recovered = d
        .sync_with(
            &t,
            SyncOptions {
                clock: later.clone(),
                ..SyncOptions::new(Trigger::Reset)
            },
        )
        .await
        .unwrap();
    assert_eq!(recovered.status, RunStatus::Success);
    assert!(recovered.full_round);
    assert!(recovered.full_round_reason.unwrap().contains("Reset sync"));
    assert!(
        recovered.deletion_threshold.is_some(),
        "still under the guard"
    );
    assert_eq!(recovered.counts.removed, 1);
    let swept = d.changes_of(recovered.id, ChangeKind::Removed);
    assert_eq!(
        (swept[0].user_id.as_str(), swept[0].reason.as_deref()),
        (gone.as_str(), Some("swept"))
    );
    assert_eq!(d.ids(), tenant_ids(&t));
    let order: Vec<(RunKind, RunStatus)> = history(&d).iter().map(|r| (r.kind, r.status)).collect();
    assert_eq!(
        order[..3],
        [
            (RunKind::Sync, RunStatus::Success),
            (RunKind::Reset, RunStatus::Success),
            (RunKind::Sync, RunStatus::Failed),
        ]
    );
    let text = export(&d, recovered.id, Format::Text);
    assert!(text.contains("swept after a full round"), "{text}");
}

/// A token provider whose failure message echoes everything a careless error could carry.
struct LeakyTokens;

const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJncmFwaCJ9.c2lnbmVkLWJ5LWVtdQ";
const PLANTED: &[&str] = &[
    JWT,
    "Zm9vYmFyYmF6",
    "0.AAAA-authcode-1234",
    "verifier-abcdefghijklmnop",
    "s3cr3t~ClientSecret",
    "DELTA-TOKEN-9f8e7d",
    "SKIP-TOKEN-1a2b3c",
    "rt-refresh-token-value",
];

#[async_trait::async_trait]
impl TokenProvider for LeakyTokens {
    async fn access_token(&self, _force_refresh: bool) -> Result<String, AuthError> {
        Err(AuthError::Identity {
            code: Some("AADSTS7000215".into()),
            message: format!(
                "token request failed: Authorization: Bearer {JWT}; Basic Zm9vYmFyYmF6 sent with \
                 code=0.AAAA-authcode-1234&code_verifier=verifier-abcdefghijklmnop&\
                 client_secret=s3cr3t~ClientSecret for https://graph.microsoft.com/v1.0/users/delta?\
                 $deltatoken=DELTA-TOKEN-9f8e7d and $skiptoken=SKIP-TOKEN-1a2b3c \
                 {{\"refresh_token\":\"rt-refresh-token-value\"}}"
            ),
        })
    }
}

#[tokio::test]
async fn no_token_code_verifier_or_secret_survives_in_any_export() {
    let t = tenant(10, 5).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    // A user whose data looks like credentials is exported redacted too.
    let c = t.emu.control();
    c.update_user(
        &c.user_id_at(0).unwrap(),
        json!({"city": "client_secret=s3cr3t~ClientSecret"}),
    )
    .unwrap();
    let changed = d.sync(&t).await.unwrap();

    let leaky = GraphClient::new(&t.emu.graph_url(), Arc::new(LeakyTokens)).unwrap();
    let err = sync::run(
        &d.data,
        &leaky,
        SyncOptions::new(Trigger::Manual),
        |_: &Progress| {},
        CancelToken::new(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("DELTA-TOKEN-9f8e7d"),
        "the plant reached the engine: {err}"
    );
    let failed = runs::latest(d.store().conn()).unwrap().unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    let stored = failed.error.clone().unwrap();
    assert!(stored.contains(runs::REDACTED), "{stored}");
    assert!(stored.contains("AADSTS7000215") || stored.contains("token request failed"));

    for id in [changed.id, failed.id] {
        for format in Format::ALL {
            let log = export(&d, id, format);
            for secret in PLANTED {
                assert!(
                    !log.contains(secret),
                    "{secret} survived in the {format:?} log of run {id}:\n{log}"
                );
            }
            assert!(!log.to_ascii_lowercase().contains("bearer ey"), "{log}");
        }
    }
    // Stored records are clean too, not only exports.
    for e in d.events(failed.id) {
        assert!(
            PLANTED.iter().all(|s| !e.message.contains(s)),
            "{}",
            e.message
        );
    }
}

#[tokio::test]
async fn retention_prunes_old_history_but_never_the_latest_successful_run() {
    let t = tenant(10, 5).await;
    let d = data_dir();
    let days_ago = |n: i64| Clock::offset(-Duration::days(n));
    let old_success = d.sync_with(&t, at(&days_ago(120))).await.unwrap();
    let old_preview = d
        .sync_with(
            &t,
            SyncOptions {
                preview: true,
                ..at(&days_ago(110))
            },
        )
        .await
        .unwrap();
    t.emu.control().inject_fault(FaultSpec {
        path_prefix: Some("/v1.0/users/delta".into()),
        ..FaultSpec::next(FaultKind::GatewayTimeout, 50)
    });
    d.sync_with(&t, at(&days_ago(100))).await.unwrap_err();
    t.emu.control().clear_faults();
    let old_failed = runs::latest(d.store().conn()).unwrap().unwrap();
    assert_eq!(old_failed.status, RunStatus::Failed);
    assert_eq!(runs::retention_days(&d.store()).unwrap(), 90);

    let store = d.store();
    let pruned = runs::prune(store.conn(), 90, Utc::now()).unwrap();
    assert_eq!(pruned, 2);
    let kept: Vec<i64> = history(&d).iter().map(|r| r.id).collect();
    assert_eq!(kept, [old_success.id], "the latest successful run stays");
    assert!(d.events(old_failed.id).is_empty() && d.changes(old_preview.id).is_empty());

    // A newer success takes over; the old one goes at the next run's start (setting: 10 days).
    dirsync::settings::set(&store, runs::RETENTION_SETTING, "10").unwrap();
    let reset = sync::reset_by(&d.data, &store, Trigger::Manual, &days_ago(20)).unwrap();
    let recent = d.sync_with(&t, at(&days_ago(20))).await.unwrap();
    assert_eq!(recent.status, RunStatus::Success);
    let now = d.sync(&t).await.unwrap();
    let kept: Vec<i64> = history(&d).iter().map(|r| r.id).collect();
    assert_eq!(
        kept,
        [now.id, recent.id],
        "reset entry and first run pruned at start"
    );
    assert!(!kept.contains(&reset.id));
    let next = d.sync(&t).await.unwrap();
    let kept: Vec<i64> = history(&d).iter().map(|r| r.id).collect();
    assert_eq!(kept, [next.id, now.id]);

    let err = dirsync::settings::set(&store, runs::RETENTION_SETTING, "0").unwrap_err();
    assert!(err.to_string().contains("whole number of days"), "{err}");
}

#[tokio::test]
async fn log_file_names_carry_the_run_and_its_date() {
    let t = tenant(5, 5).await;
    let d = data_dir();
    let run = d.sync(&t).await.unwrap();
    let date = &run.started_at[..10];
    assert_eq!(
        runs::file_name(&run, Format::Text),
        format!("dirsync-run-{}-{date}.log", run.id)
    );
    assert_eq!(
        runs::file_name(&run, Format::Csv),
        format!("dirsync-run-{}-{date}.csv", run.id)
    );
    let mut out = Vec::new();
    let err = runs::export(d.store().conn(), 9999, Format::Text, &mut out).unwrap_err();
    assert!(err.to_string().contains("no run 9999"), "{err}");
}
