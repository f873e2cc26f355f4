//! The one place the app starts a sync run: the Configure AAD Sync dialog, Sync now, the tray
//! and the daily schedule all call [`start_run`].
//!
//! A run happens on a background task; the caller returns at once. Progress reaches every window
//! as `sync://progress` events (at most ten a second) and the end as one `sync://finished` event,
//! since tray and scheduled runs have no JavaScript caller to answer. The run's [`CancelToken`]
//! stays in [`SyncRunner`] state so `cancel_sync` can stop it. Only one run at a time: a second
//! start is refused with the core's "already in progress" message, whether the first run is this
//! app's or the CLI's (the core's run lock sees both).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use dirsync::auth::Auth;
use dirsync::datadir::DataDir;
use dirsync::graph::GraphClient;
use dirsync::runs::{self, RunRecord, RunStatus, Trigger};
use dirsync::settings;
use dirsync::store::Store;
use dirsync::sync::{self, CancelToken, Phase, Progress, SyncError, SyncOptions};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::{error::Error, state::AppState};

/// Event carrying a [`ProgressDto`] while a run fetches and applies.
pub const PROGRESS_EVENT: &str = "sync://progress";
/// Event carrying a [`FinishedDto`] once a run has ended, whatever the outcome.
pub const FINISHED_EVENT: &str = "sync://finished";

/// Progress events are throttled to this interval (≤ 10 a second); phase changes always go out.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// How to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Dry run: compute what would change, apply nothing.
    pub preview: bool,
    /// Apply even when the deletion guard would stop the run (Allow deletes).
    pub allow_deletes: bool,
}

/// The run in progress, if any; managed state.
#[derive(Default)]
pub struct SyncRunner {
    current: Mutex<Option<Current>>,
}

struct Current {
    cancel: CancelToken,
    trigger: Trigger,
    preview: bool,
    last: Option<ProgressDto>,
    last_emit: Option<(Instant, Phase)>,
}

impl SyncRunner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Current>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the running run to stop. False when nothing runs in this app.
    pub fn cancel(&self) -> bool {
        match self.lock().as_ref() {
            Some(current) => {
                current.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// The latest progress of the run in progress in this app (for a page opened mid-run).
    pub fn progress(&self) -> Option<ProgressDto> {
        self.lock().as_ref().map(|c| {
            c.last.clone().unwrap_or(ProgressDto {
                run_id: None,
                trigger: c.trigger,
                preview: c.preview,
                phase: Phase::Fetching,
                full_round: false,
                pages: 0,
                users: 0,
                total: None,
                applied: 0,
            })
        })
    }

    pub fn is_running(&self) -> bool {
        self.lock().is_some()
    }
}

/// A progress report for the UI.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressDto {
    /// `None` until the core has recorded the run.
    pub run_id: Option<i64>,
    pub trigger: Trigger,
    pub preview: bool,
    pub phase: Phase,
    pub full_round: bool,
    pub pages: u64,
    /// Users received from Graph so far.
    pub users: u64,
    /// Fetching a full round: the tenant's user count when Graph gives it; applying: staged users.
    pub total: Option<u64>,
    /// Applying: users applied so far.
    pub applied: u64,
}

/// A run as the UI shows it (status line, summary, history).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDto {
    pub id: i64,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub preview: bool,
    pub allow_deletes: bool,
    pub full_round: bool,
    pub full_round_reason: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub pages: u64,
    pub users_seen: u64,
    pub deletion_threshold: Option<u64>,
    pub error: Option<String>,
}

impl From<&RunRecord> for RunDto {
    fn from(r: &RunRecord) -> Self {
        Self {
            id: r.id,
            trigger: r.trigger,
            status: r.status,
            preview: r.preview,
            allow_deletes: r.allow_deletes,
            full_round: r.full_round,
            full_round_reason: r.full_round_reason.clone(),
            started_at: r.started_at.clone(),
            ended_at: r.ended_at.clone(),
            added: r.counts.added,
            updated: r.counts.updated,
            removed: r.counts.removed,
            unchanged: r.counts.unchanged,
            failed: r.counts.failed,
            pages: r.traffic.pages,
            users_seen: r.traffic.users_seen,
            deletion_threshold: r.deletion_threshold,
            error: r.error.clone(),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FinishedDto {
    pub trigger: Trigger,
    /// The run record; absent when the run failed before the core recorded it (e.g. the CLI
    /// held the run lock).
    pub run: Option<RunDto>,
    /// For failures: the shell's error code (`sign_in_required`, `sync_in_progress`, …).
    pub error_code: Option<String>,
    pub error: Option<String>,
}

/// Starts a run in the background and returns at once; see the module docs for its events.
/// Refused with the core's "already in progress" error while another run (this app's or the
/// CLI's) holds the run lock, and with "sign-in required" when nobody is signed in.
pub fn start_run<R: Runtime>(
    app: &AppHandle<R>,
    trigger: Trigger,
    options: RunOptions,
) -> Result<(), Error> {
    let state = app.state::<AppState>();
    let dir = state.data_dir()?.clone();
    let runner = app.state::<SyncRunner>();
    let mut current = runner.lock();
    if current.is_some() {
        return Err(SyncError::RunInProgress(None).into());
    }
    let client = {
        let store = state.store()?;
        if let Some(who) = sync::running(&dir, store.conn()).map_err(SyncError::Io)? {
            return Err(SyncError::RunInProgress(Some(who)).into());
        }
        graph_client(&dir, &store)?
    };
    let cancel = CancelToken::new();
    *current = Some(Current {
        cancel: cancel.clone(),
        trigger,
        preview: options.preview,
        last: None,
        last_emit: None,
    });
    drop(current);

    let opts = SyncOptions {
        preview: options.preview,
        allow_deletes: options.allow_deletes,
        ..SyncOptions::new(trigger)
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let reporter = app.clone();
        let on_progress = move |p: &Progress| report(&reporter, trigger, options.preview, p);
        let result = sync::run(&dir, &client, opts, on_progress, cancel).await;
        let finished = finished(&dir, trigger, result);
        match &finished.run {
            Some(run) => tracing::info!(run = run.id, status = ?run.status, "sync run ended"),
            None => tracing::warn!(error = ?finished.error, "sync run did not start"),
        }
        // Clear before announcing, so a listener may start the next run right away.
        *app.state::<SyncRunner>().lock() = None;
        if let Err(e) = app.emit(FINISHED_EVENT, &finished) {
            tracing::warn!("cannot announce the end of the sync run: {e}");
        }
    });
    Ok(())
}

/// The Graph client for the signed-in account and the configured Graph URL.
fn graph_client(dir: &DataDir, store: &Store) -> Result<GraphClient, Error> {
    let graph_url = settings::get(store, "graph_url")?;
    let tokens = Auth::new(dir.clone())
        .and_then(|auth| auth.token_provider())
        .map_err(|e| {
            if e.is_sign_in_required() {
                Error::Sync(SyncError::SignInRequired(format!(
                    "{e}; sign in with Microsoft first"
                )))
            } else {
                Error::Invalid(format!("cannot start the sync: {e}"))
            }
        })?;
    GraphClient::new(&graph_url, tokens)
        .map_err(|e| Error::Invalid(format!("cannot start the sync: {e}")))
}

fn report<R: Runtime>(app: &AppHandle<R>, trigger: Trigger, preview: bool, p: &Progress) {
    let dto = ProgressDto {
        run_id: Some(p.run_id),
        trigger,
        preview,
        phase: p.phase,
        full_round: p.full_round,
        pages: p.pages,
        users: p.users,
        total: p.total,
        applied: p.applied,
    };
    let runner = app.state::<SyncRunner>();
    let mut current = runner.lock();
    let Some(current) = current.as_mut() else {
        return;
    };
    current.last = Some(dto.clone());
    let now = Instant::now();
    let due = match current.last_emit {
        Some((at, phase)) => phase != p.phase || now.duration_since(at) >= PROGRESS_INTERVAL,
        None => true,
    };
    if due {
        current.last_emit = Some((now, p.phase));
        if let Err(e) = app.emit(PROGRESS_EVENT, &dto) {
            tracing::debug!("cannot send sync progress: {e}");
        }
    }
}

fn finished(dir: &DataDir, trigger: Trigger, result: Result<RunRecord, SyncError>) -> FinishedDto {
    match result {
        Ok(run) => FinishedDto {
            trigger,
            run: Some(RunDto::from(&run)),
            error_code: None,
            error: None,
        },
        Err(e) => {
            // The core recorded the failure as the latest run unless it failed before starting one
            // (the history keeps the redacted text, so compare with that).
            let error = Error::Sync(e);
            let message = error.message();
            let recorded = Store::open_in(dir)
                .ok()
                .and_then(|s| runs::latest(s.conn()).ok().flatten())
                .filter(|r| r.status == RunStatus::Failed && r.error.as_deref() == Some(&*message));
            FinishedDto {
                trigger,
                run: recorded.as_ref().map(RunDto::from),
                error_code: Some(error.code().to_string()),
                error: Some(message),
            }
        }
    }
}
