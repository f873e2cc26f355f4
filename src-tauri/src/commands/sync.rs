//! Sync from the UI: start (Next, Preview, Allow deletes), cancel, status for the status line,
//! the changes of a Preview or Needs approval run, and the Sync Frequency settings.

use dirsync::runs::{self, ChangeKind, Trigger};
use dirsync::settings;
use dirsync::sync::{self, Clock};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::sync_runner::{self, ProgressDto, RunDto, RunOptions, SyncRunner};
use crate::{error::Error, state::AppState};

/// Starts a run started by the admin; progress and the end arrive as `sync://` events.
#[tauri::command]
pub async fn start_sync<R: Runtime>(
    app: AppHandle<R>,
    preview: Option<bool>,
    allow_deletes: Option<bool>,
) -> Result<(), Error> {
    let options = RunOptions {
        preview: preview.unwrap_or(false),
        allow_deletes: allow_deletes.unwrap_or(false),
    };
    sync_runner::start_run(&app, Trigger::Manual, options)
}

/// Asks the run in progress to stop; false when this app is not running one.
#[tauri::command]
pub fn cancel_sync(runner: State<'_, SyncRunner>) -> bool {
    runner.cancel()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusDto {
    /// The run in progress in this app, with its latest progress.
    pub progress: Option<ProgressDto>,
    /// Another process (the CLI) holds the run lock.
    pub running_elsewhere: bool,
    pub last_run: Option<RunDto>,
    pub next_run_full: bool,
    pub full_round_reason: Option<String>,
    pub delta_link_too_old: bool,
}

/// What the status line shows: the run in progress, the last run, what the next run will do.
#[tauri::command]
pub fn sync_status(
    state: State<'_, AppState>,
    runner: State<'_, SyncRunner>,
) -> Result<SyncStatusDto, Error> {
    let store = state.store()?;
    let status = sync::status(state.data_dir()?, &store, &Clock::system())?;
    let progress = runner.progress();
    Ok(SyncStatusDto {
        running_elsewhere: progress.is_none() && status.running.is_some(),
        progress,
        last_run: status.last_run.as_ref().map(RunDto::from),
        next_run_full: status.next_run_full,
        full_round_reason: status.full_round_reason,
        delta_link_too_old: status.delta_link_too_old,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChangeDto {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeDto {
    pub user_id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub kind: ChangeKind,
    pub reason: Option<String>,
    /// Updated: each field's old → new value.
    pub changes: Vec<FieldChangeDto>,
}

/// Change records scanned per request at most, so a 100,000-user preview stays responsive.
const SCAN_PAGE: u32 = 1000;

/// Up to `limit` changes of `kind` (added, updated, removed; all when absent) of a run, from the
/// change record after `after` on: what a Preview would do, who a Needs approval run would remove.
#[tauri::command]
pub fn sync_changes(
    state: State<'_, AppState>,
    run_id: i64,
    kind: Option<ChangeKind>,
    limit: Option<usize>,
) -> Result<Vec<ChangeDto>, Error> {
    let limit = limit.unwrap_or(50).min(500);
    let store = state.store()?;
    let mut out = Vec::new();
    let mut offset = 0u64;
    while out.len() < limit {
        let page = runs::changes(store.conn(), run_id, offset, SCAN_PAGE)?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        out.extend(
            page.into_iter()
                .filter(|c| kind.is_none_or(|k| c.kind == k))
                .map(change_dto),
        );
    }
    out.truncate(limit);
    Ok(out)
}

fn change_dto(c: runs::ChangeRecord) -> ChangeDto {
    let changes = c.detail["changes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|ch| FieldChangeDto {
                    field: ch["field"].as_str().unwrap_or_default().to_string(),
                    old: ch["old"].as_str().map(str::to_string),
                    new: ch["new"].as_str().map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    ChangeDto {
        user_id: c.user_id,
        name: c.name,
        upn: c.upn,
        kind: c.kind,
        reason: c.reason,
        changes,
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncFrequency {
    /// `one-time` or `recurring`.
    pub mode: String,
    /// HH:MM, local time.
    pub daily_at: String,
    pub start_at_login: bool,
}

#[tauri::command]
pub fn get_sync_frequency(state: State<'_, AppState>) -> Result<SyncFrequency, Error> {
    let store = state.store()?;
    Ok(SyncFrequency {
        mode: settings::get(&store, "sync_mode")?,
        daily_at: settings::get(&store, "daily_at")?,
        start_at_login: settings::get(&store, "start_at_login")? == "true",
    })
}

/// Saves Sync Frequency: `sync_mode`, `daily_at` and `start_at_login`, all or none.
#[tauri::command]
pub fn save_sync_frequency(
    state: State<'_, AppState>,
    mode: String,
    daily_at: String,
    start_at_login: bool,
) -> Result<SyncFrequency, Error> {
    let store = state.store()?;
    let tx = store
        .conn()
        .unchecked_transaction()
        .map_err(dirsync::store::StoreError::Sql)?;
    settings::set(&store, "sync_mode", &mode)?;
    settings::set(&store, "daily_at", &daily_at)?;
    settings::set(&store, "start_at_login", bool_text(start_at_login))?;
    tx.commit().map_err(dirsync::store::StoreError::Sql)?;
    Ok(SyncFrequency {
        mode,
        daily_at,
        start_at_login,
    })
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}
