//! AAD sync history: the runs, a run's per-user changes, a run's log file saved through the native
//! save dialog, Reset sync, and rejecting the removals a Needs approval run stopped at.
//! (Allow deletes starts a run through `start_sync` with `allowDeletes`.)

use dirsync::runs::{self, ChangeKind, ChangeRecord, Format, RunKind, RunRecord, RunStatus};
use dirsync::store::Store;
use dirsync::sync::{self, Clock};
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Runtime, State};

use crate::save_path::{self, SaveRequest};
use crate::{error::Error, state::AppState};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRunDto {
    pub id: i64,
    /// `sync` or `reset` (a Reset sync entry).
    pub kind: RunKind,
    pub trigger: String,
    pub status: RunStatus,
    /// The label to show: Success, Failed, Needs approval, ..., or Reset sync.
    pub status_label: &'static str,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub duration_secs: Option<i64>,
    pub full_round: bool,
    pub full_round_reason: Option<String>,
    pub delta_link_age_secs: Option<i64>,
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub group_joined: u64,
    pub group_left: u64,
    pub error: Option<String>,
    /// A Needs approval run that is the latest run and whose removals were not rejected: the
    /// pane offers Allow deletes and Reject.
    pub awaiting_approval: bool,
    /// The error is the 30-day rule: the pane offers Reset sync next to it.
    pub delta_link_too_old: bool,
}

fn run_dto(r: RunRecord, awaiting_approval: bool) -> HistoryRunDto {
    let status_label = match r.kind {
        RunKind::Reset => "Reset sync",
        RunKind::Sync => r.status.label(),
    };
    HistoryRunDto {
        duration_secs: r.duration_secs(),
        delta_link_too_old: r
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with(sync::DELTA_LINK_TOO_OLD)),
        id: r.id,
        kind: r.kind,
        trigger: r.trigger.to_string(),
        status: r.status,
        status_label,
        started_at: r.started_at,
        ended_at: r.ended_at,
        full_round: r.full_round,
        full_round_reason: r.full_round_reason,
        delta_link_age_secs: r.delta_link_age_secs,
        added: r.counts.added,
        updated: r.counts.updated,
        removed: r.counts.removed,
        unchanged: r.counts.unchanged,
        failed: r.counts.failed,
        group_joined: r.counts.group_joined,
        group_left: r.counts.group_left,
        error: r.error.as_deref().map(|e| runs::redact(e).into_owned()),
        awaiting_approval,
    }
}

/// Runs of the history, newest first; `before` pages back from a run id.
#[tauri::command]
pub fn history_runs(
    state: State<'_, AppState>,
    limit: Option<u32>,
    before: Option<i64>,
) -> Result<Vec<HistoryRunDto>, Error> {
    let store = state.store()?;
    let conn = store.conn();
    let latest = runs::latest(conn)?.map(|r| r.id);
    let rows = runs::list(conn, limit.unwrap_or(50).min(500), before)?;
    rows.into_iter()
        .map(|r| {
            let awaiting = r.status == RunStatus::NeedsApproval
                && Some(r.id) == latest
                && !runs::events(conn, r.id)?
                    .iter()
                    .any(|e| e.message == runs::REJECTED);
            Ok(run_dto(r, awaiting))
        })
        .collect()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDto {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryChangeDto {
    pub seq: i64,
    pub user_id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub kind: ChangeKind,
    /// Removed: soft, hard, swept, out of scope; failed: the error.
    pub reason: Option<String>,
    /// Joined / left: the group.
    pub group: Option<String>,
    /// Added: each mapped field's value (as `new`); updated: each changed field, old → new.
    pub fields: Vec<FieldDto>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn change_dto(c: ChangeRecord) -> HistoryChangeDto {
    let fields = match c.kind {
        ChangeKind::Added => c.detail["fields"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| FieldDto {
                        field: k.clone(),
                        old: None,
                        new: text(v),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ChangeKind::Updated => c.detail["changes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|ch| FieldDto {
                        field: text(&ch["field"]).unwrap_or_default(),
                        old: text(&ch["old"]),
                        new: text(&ch["new"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    HistoryChangeDto {
        seq: c.seq,
        user_id: c.user_id,
        name: c.name,
        upn: c.upn,
        kind: c.kind,
        reason: c.reason,
        group: c.group,
        fields,
    }
}

/// A page of a run's per-user changes, in order.
#[tauri::command]
pub fn history_changes(
    state: State<'_, AppState>,
    run_id: i64,
    offset: Option<u64>,
    limit: Option<u32>,
) -> Result<Vec<HistoryChangeDto>, Error> {
    let store = state.store()?;
    let page = runs::changes(
        store.conn(),
        run_id,
        offset.unwrap_or(0),
        limit.unwrap_or(100).min(1000),
    )?;
    Ok(page.into_iter().map(change_dto).collect())
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedLogDto {
    pub path: String,
}

/// Saves run `run_id`'s log (`text`, `jsonl` or `csv`; text by default) where the admin picks in
/// the native save dialog (or `DIRSYNC_SAVE_PATH`). `None` when the dialog was cancelled.
#[tauri::command]
pub async fn export_run_log<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    run_id: i64,
    format: Option<String>,
) -> Result<Option<SavedLogDto>, Error> {
    let format = match format.as_deref() {
        None => Format::Text,
        Some(f) => Format::parse(f).ok_or_else(|| {
            Error::Invalid(format!("unknown log format '{f}': use text, jsonl or csv"))
        })?,
    };
    let data_dir = state.data_dir()?.clone();
    let run = {
        let store = state.store()?;
        runs::get(store.conn(), run_id)?.ok_or(runs::RunsError::NotFound(run_id))?
    };
    let request = SaveRequest::new(runs::file_name(&run, format))
        .title(format!("Save the log of run {run_id}"))
        .filter(format.label(), &[format.extension()]);
    let Some(path) = save_path::choose(&app, &request).await? else {
        return Ok(None);
    };
    // A connection of its own (WAL readers do not block the app) on a blocking worker.
    let target = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let store = Store::open_in(&data_dir)?;
        save_path::write_file(&target, |w| {
            runs::export(store.conn(), run_id, format, w).map(|_| ())
        })
    })
    .await
    .map_err(|e| Error::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    })??;
    Ok(Some(SavedLogDto {
        path: path.display().to_string(),
    }))
}

/// Reset sync: drops the stored delta link (recorded in the history); the next run is a full
/// round with mark and sweep, still under the deletion guard.
#[tauri::command]
pub fn reset_sync(state: State<'_, AppState>) -> Result<HistoryRunDto, Error> {
    let store = state.store()?;
    let entry = sync::reset_by(
        state.data_dir()?,
        &store,
        dirsync::runs::Trigger::Manual,
        &Clock::system(),
    )?;
    Ok(run_dto(entry, false))
}

/// Reject on a Needs approval run: nothing is removed; the decision is recorded in the run.
#[tauri::command]
pub fn reject_deletes(state: State<'_, AppState>, run_id: i64) -> Result<(), Error> {
    let store = state.store()?;
    runs::reject_deletes(store.conn(), run_id)?;
    Ok(())
}
