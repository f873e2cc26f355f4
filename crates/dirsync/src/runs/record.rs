//! Reading and writing the `runs`, `run_changes` and `run_events` tables.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::redact::redact;
use super::{
    ChangeKind, ChangeRecord, EventKind, RunCounts, RunEvent, RunKind, RunRecord, RunStatus,
    RunTraffic, RunsError, Trigger,
};

const RUN_COLUMNS: &str =
    "id, trigger, status, preview, allow_deletes, full_round, full_round_reason,
    started_at, ended_at, delta_link_age_secs, added, updated, removed, unchanged, failed,
    group_joined, group_left, pages, users_seen, retries, throttle_waits, throttle_seconds,
    deletion_threshold, error, kind";

fn run_of(r: &Row) -> rusqlite::Result<(RunRecord, [String; 3])> {
    let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
    Ok((
        RunRecord {
            id: r.get(0)?,
            kind: RunKind::Sync,
            trigger: Trigger::Manual,
            status: RunStatus::Running,
            preview: r.get(3)?,
            allow_deletes: r.get(4)?,
            full_round: r.get(5)?,
            full_round_reason: r.get(6)?,
            started_at: r.get(7)?,
            ended_at: r.get(8)?,
            delta_link_age_secs: r.get(9)?,
            counts: RunCounts {
                added: n(10)?,
                updated: n(11)?,
                removed: n(12)?,
                unchanged: n(13)?,
                failed: n(14)?,
                group_joined: n(15)?,
                group_left: n(16)?,
            },
            traffic: RunTraffic {
                pages: n(17)?,
                users_seen: n(18)?,
                retries: n(19)?,
                throttle_waits: n(20)?,
                throttle_seconds: r.get(21)?,
            },
            deletion_threshold: r.get::<_, Option<i64>>(22)?.map(|v| v.max(0) as u64),
            error: r.get(23)?,
        },
        [r.get(1)?, r.get(2)?, r.get(24)?],
    ))
}

fn finish_run(
    (mut run, [trigger, status, kind]): (RunRecord, [String; 3]),
) -> Result<RunRecord, RunsError> {
    run.trigger = Trigger::parse(&trigger)?;
    run.status = RunStatus::parse(&status)?;
    run.kind = RunKind::parse(&kind)?;
    Ok(run)
}

/// Runs, newest first; `before` pages back from a run id.
pub fn list(
    conn: &Connection,
    limit: u32,
    before: Option<i64>,
) -> Result<Vec<RunRecord>, RunsError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id < ?1 ORDER BY id DESC LIMIT ?2");
    let rows = conn
        .prepare(&sql)?
        .query_map(params![before.unwrap_or(i64::MAX), limit], run_of)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_run).collect()
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<RunRecord>, RunsError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
    conn.query_row(&sql, [id], run_of)
        .optional()?
        .map(finish_run)
        .transpose()
}

/// The most recent sync run, if any (Reset sync entries are not runs).
pub fn latest(conn: &Connection) -> Result<Option<RunRecord>, RunsError> {
    let sql =
        format!("SELECT {RUN_COLUMNS} FROM runs WHERE kind = 'sync' ORDER BY id DESC LIMIT 1");
    conn.query_row(&sql, [], run_of)
        .optional()?
        .map(finish_run)
        .transpose()
}

/// A page of a run's change records, in the order they happened.
pub fn changes(
    conn: &Connection,
    run_id: i64,
    offset: u64,
    limit: u32,
) -> Result<Vec<ChangeRecord>, RunsError> {
    change_rows(
        conn,
        "SELECT seq, user_id, name, upn, kind, reason, group_name, detail FROM run_changes
         WHERE run_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
        params![run_id, limit, offset as i64],
    )
}

/// Up to `limit` of a run's change records after `after_seq`, in order: a cursor that stays
/// cheap however many records the run has (an OFFSET walks every record it skips).
pub(crate) fn changes_after(
    conn: &Connection,
    run_id: i64,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<ChangeRecord>, RunsError> {
    change_rows(
        conn,
        "SELECT seq, user_id, name, upn, kind, reason, group_name, detail FROM run_changes
         WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        params![run_id, after_seq, limit],
    )
}

fn change_rows(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<ChangeRecord>, RunsError> {
    let rows = conn
        .prepare_cached(sql)?
        .query_map(params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(seq, user_id, name, upn, kind, reason, group, detail)| {
            Ok(ChangeRecord {
                seq,
                user_id,
                name,
                upn,
                kind: ChangeKind::parse(&kind)?,
                reason,
                group,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect()
}

/// Every event of a run, in order.
pub fn events(conn: &Connection, run_id: i64) -> Result<Vec<RunEvent>, RunsError> {
    let rows = conn
        .prepare(
            "SELECT seq, at, kind, message, attempt, seconds FROM run_events WHERE run_id = ?1 ORDER BY seq",
        )?
        .query_map([run_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<f64>>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(seq, at, kind, message, attempt, seconds)| {
            Ok(RunEvent {
                seq,
                at,
                kind: EventKind::parse(&kind)?,
                message,
                attempt,
                seconds,
            })
        })
        .collect()
}

/// Opens a run record in status `running`.
pub(crate) fn start(
    conn: &Connection,
    trigger: Trigger,
    preview: bool,
    allow_deletes: bool,
    now: &str,
) -> Result<i64, RunsError> {
    conn.execute(
        "INSERT INTO runs (trigger, status, preview, allow_deletes, started_at) VALUES (?1, 'running', ?2, ?3, ?4)",
        params![trigger.as_str(), preview, allow_deletes, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn add_event(
    conn: &Connection,
    run_id: i64,
    at: &str,
    kind: EventKind,
    message: &str,
    attempt: Option<i64>,
    seconds: Option<f64>,
) -> Result<(), RunsError> {
    conn.execute(
        "INSERT INTO run_events (run_id, seq, at, kind, message, attempt, seconds)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_events WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6)",
        params![run_id, at, kind.as_str(), redact(message), attempt, seconds],
    )?;
    Ok(())
}

pub(crate) fn insert_change(
    conn: &Connection,
    run_id: i64,
    c: &ChangeRecord,
) -> Result<(), RunsError> {
    conn.prepare_cached(
        "INSERT INTO run_changes (run_id, seq, user_id, name, upn, kind, reason, group_name, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        run_id,
        c.seq,
        c.user_id,
        c.name,
        c.upn,
        c.kind.as_str(),
        c.reason.as_deref().map(redact),
        c.group,
        c.detail.to_string()
    ])?;
    Ok(())
}

/// Closes a run record with its final figures.
pub(crate) fn finish(conn: &Connection, run: &RunRecord) -> Result<(), RunsError> {
    conn.execute(
        "UPDATE runs SET status = ?2, full_round = ?3, full_round_reason = ?4, ended_at = ?5,
            delta_link_age_secs = ?6, added = ?7, updated = ?8, removed = ?9, unchanged = ?10, failed = ?11,
            group_joined = ?12, group_left = ?13, pages = ?14, users_seen = ?15, retries = ?16,
            throttle_waits = ?17, throttle_seconds = ?18, deletion_threshold = ?19, error = ?20
         WHERE id = ?1",
        params![
            run.id,
            run.status.as_str(),
            run.full_round,
            run.full_round_reason,
            run.ended_at,
            run.delta_link_age_secs,
            run.counts.added as i64,
            run.counts.updated as i64,
            run.counts.removed as i64,
            run.counts.unchanged as i64,
            run.counts.failed as i64,
            run.counts.group_joined as i64,
            run.counts.group_left as i64,
            run.traffic.pages as i64,
            run.traffic.users_seen as i64,
            run.traffic.retries as i64,
            run.traffic.throttle_waits as i64,
            run.traffic.throttle_seconds,
            run.deletion_threshold.map(|v| v as i64),
            run.error.as_deref().map(redact),
        ],
    )?;
    Ok(())
}

/// Marks runs left `running` by a process that died as failed; nothing of them was applied.
pub(crate) fn mark_interrupted(conn: &Connection, now: &str) -> Result<u64, RunsError> {
    let n = conn.execute(
        "UPDATE runs SET status = 'failed', ended_at = ?1,
            error = 'Interrupted: the app or CLI stopped during the run. Nothing was applied; the next run starts from the previous state.'
         WHERE status = 'running'",
        [now],
    )?;
    Ok(n as u64)
}

/// Records a Reset sync in the history: an entry of kind `reset`, finished at once, with the age
/// of the delta link it dropped and an event saying what the next run will do.
pub(crate) fn record_reset(
    conn: &Connection,
    trigger: Trigger,
    now: &str,
    dropped_age_secs: Option<i64>,
    message: &str,
) -> Result<RunRecord, RunsError> {
    conn.execute(
        "INSERT INTO runs (kind, trigger, status, started_at, ended_at, delta_link_age_secs)
         VALUES ('reset', ?1, 'success', ?2, ?2, ?3)",
        params![trigger.as_str(), now, dropped_age_secs],
    )?;
    let id = conn.last_insert_rowid();
    add_event(conn, id, now, EventKind::Info, message, None, None)?;
    get(conn, id)?.ok_or(RunsError::NotFound(id))
}

/// The event message that records a rejection (see [`reject_deletes`]).
pub const REJECTED: &str = "Deletes rejected by the admin: nothing was removed. The next sync stops again while these users are missing from Azure AD.";

/// Records that the admin rejected the removals a Needs approval run stopped at. Nothing changes
/// in the directory; the run keeps its status and gains an event saying so. Returns whether this
/// is the first rejection of the run.
pub fn reject_deletes(conn: &Connection, run_id: i64) -> Result<bool, RunsError> {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let run = get(conn, run_id)?.ok_or(RunsError::NotFound(run_id))?;
    if run.status != RunStatus::NeedsApproval {
        return Err(RunsError::NotAwaitingApproval(run_id));
    }
    if events(conn, run_id)?.iter().any(|e| e.message == REJECTED) {
        return Ok(false);
    }
    add_event(conn, run_id, &at, EventKind::Info, REJECTED, None, None)?;
    Ok(true)
}
