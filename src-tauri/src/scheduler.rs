//! The daily schedule inside the app: the core's `run_scheduler` loop on Tauri's tokio runtime,
//! with [`AppHost`] as its `ScheduleHost` (settings and history from the store, runs through
//! `sync_runner`, desktop notifications after scheduled runs).
//!
//! The loop only decides; `sync_runner::start_run` performs the run exactly as **Sync now**
//! does, with trigger `schedule`. The latest decision is kept in [`ScheduleView`] for the status
//! line and the tray, and each change is announced to the UI as a [`SCHEDULE_EVENT`].
//!
//! Two environment variables exist for tests that cannot wait for real time:
//! `DIRSYNC_SCHEDULE_TICK_MS` (how often the loop re-reads the clock; default 30 s) and
//! `DIRSYNC_CATCH_UP_SECS` (delay before a run missed while the app was closed; default 2 min).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Local, SecondsFormat, TimeDelta, Utc};
use dirsync::runs::{self, Trigger};
use dirsync::schedule::{
    self, next_due, notification_for, Decision, Idle, Observation, RunOutcomeKind, ScheduleHost,
    ScheduleState, SyncMode, SystemClock,
};
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Emitter, Listener, Manager, Runtime};
use tokio::sync::Notify;

use crate::error::Error;
use crate::state::AppState;
use crate::sync_runner::{self, RunOptions, FINISHED_EVENT};

/// Announces that the schedule or its next run changed; carries a [`ScheduleDto`].
pub const SCHEDULE_EVENT: &str = "schedule://changed";

const TICK_ENV: &str = "DIRSYNC_SCHEDULE_TICK_MS";
const CATCH_UP_ENV: &str = "DIRSYNC_CATCH_UP_SECS";
const DEFAULT_TICK: Duration = Duration::from_secs(30);

/// The scheduler's latest decision and the switch that stops it; managed state.
#[derive(Default)]
pub struct ScheduleView {
    decision: Mutex<Option<Decision>>,
    stop: Arc<Notify>,
}

impl ScheduleView {
    pub fn decision(&self) -> Option<Decision> {
        *self.decision.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `decision`; true when it differs from the previous one.
    fn set(&self, decision: Decision) -> bool {
        let mut current = self.decision.lock().unwrap_or_else(|p| p.into_inner());
        let changed = *current != Some(decision);
        *current = Some(decision);
        changed
    }

    /// Stops the loop (on Quit), so no run starts while the app exits.
    pub fn stop(&self) {
        self.stop.notify_one();
    }
}

/// The schedule as Settings, the status line and the tray show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDto {
    /// `one-time` or `recurring`.
    pub mode: &'static str,
    /// `HH:MM`, local time.
    pub daily_at: String,
    pub paused: bool,
    pub notify_success: bool,
    pub start_at_login: bool,
    /// A system tray host exists, so the app keeps running (and syncing) with its window closed.
    /// Without one, the schedule runs only while the window is open.
    pub tray_available: bool,
    /// When the next scheduled run starts (RFC 3339, UTC); none in one-time mode or paused.
    pub next_run: Option<String>,
    /// The next run catches up on a day missed while the app was closed or the machine slept.
    pub catch_up: bool,
}

/// The schedule now: settings, the latest decision of the running loop (or, before its first
/// tick, the decision it will make), and whether a tray host exists.
pub fn snapshot<R: Runtime>(app: &AppHandle<R>) -> Result<ScheduleDto, Error> {
    let settings = {
        let state = app.state::<AppState>();
        let store = state.store()?;
        schedule::load(&store)?
    };
    let decision = app
        .try_state::<ScheduleView>()
        .and_then(|view| view.decision())
        .filter(|d| decision_fits(d, &settings.config))
        .map(Ok)
        .unwrap_or_else(|| expected_decision(app, &settings.config))?;
    let (next_run, catch_up) = match decision {
        Decision::At { at, slot } => (Some(at), at != slot),
        Decision::RunNow { .. } => (Some(Utc::now()), false),
        Decision::Never(_) => (None, false),
    };
    let config = &settings.config;
    Ok(ScheduleDto {
        mode: config.mode.as_str(),
        daily_at: config.daily_at.format("%H:%M").to_string(),
        paused: config.paused,
        notify_success: settings.notify_success,
        start_at_login: settings.start_at_login,
        tray_available: crate::tray::available(app),
        next_run: next_run.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        catch_up,
    })
}

/// The loop's decision is stale once the settings say otherwise (until its next tick).
fn decision_fits(decision: &Decision, config: &schedule::ScheduleConfig) -> bool {
    match decision {
        Decision::Never(Idle::OneTime) => config.mode == SyncMode::OneTime,
        Decision::Never(Idle::Paused) => config.mode == SyncMode::Recurring && config.paused,
        Decision::Never(Idle::NoValidTime) => config.is_active(),
        Decision::At { slot, .. } | Decision::RunNow { slot } => {
            config.is_active() && slot.with_timezone(&Local).time() == config.daily_at
        }
    }
}

/// What the loop decides at its next tick after a settings change: a schedule just switched on
/// or moved starts with the next slot (the change itself never starts a run).
fn expected_decision<R: Runtime>(
    app: &AppHandle<R>,
    config: &schedule::ScheduleConfig,
) -> Result<Decision, Error> {
    let covered = {
        let state = app.state::<AppState>();
        let store = state.store()?;
        runs::schedule_covered_through(store.conn())?
    };
    let now = Utc::now();
    let obs = Observation {
        now,
        awake_since: now,
        covered_through: covered.max(Some(now)),
    };
    Ok(next_due(config, &obs, &Local))
}

/// Tells the UI (and the tray) that the schedule changed.
pub fn announce<R: Runtime>(app: &AppHandle<R>) {
    match snapshot(app) {
        Ok(dto) => {
            if let Err(e) = app.emit(SCHEDULE_EVENT, &dto) {
                tracing::debug!("cannot announce the schedule: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot read the schedule: {e}"),
    }
    crate::tray::refresh(app);
}

/// Starts the schedule loop on Tauri's runtime; it runs until [`ScheduleView::stop`].
pub fn spawn<R: Runtime>(app: &AppHandle<R>) {
    if app.try_state::<ScheduleView>().is_none() {
        app.manage(ScheduleView::default());
    }
    let stop = app.state::<ScheduleView>().stop.clone();
    let every = env_number(TICK_ENV).map_or(DEFAULT_TICK, Duration::from_millis);
    let host = AppHost {
        app: app.clone(),
        catch_up: env_number(CATCH_UP_ENV).map(|s| TimeDelta::seconds(s as i64)),
        login_seen: None,
    };
    tauri::async_runtime::spawn(async move {
        schedule::run_scheduler(SystemClock, Local, host, every, stop.notified()).await;
        tracing::info!("schedule: stopped");
    });
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            tracing::warn!("{name}={value:?} is not a whole number; ignoring it");
            None
        }
    }
}

/// The app side of the schedule.
pub struct AppHost<R: Runtime> {
    app: AppHandle<R>,
    catch_up: Option<TimeDelta>,
    /// Whether the OS login item was last made to exist (`lifecycle::login_item_wanted`).
    login_seen: Option<bool>,
}

impl<R: Runtime> ScheduleHost for AppHost<R> {
    type Error = Error;

    fn state(&mut self) -> Result<ScheduleState, Error> {
        let (settings, last_run) = {
            let state = self.app.state::<AppState>();
            let store = state.store()?;
            let settings = schedule::load(&store)?;
            (settings, runs::schedule_covered_through(store.conn())?)
        };
        let login = crate::lifecycle::login_item_wanted(&settings);
        if self.login_seen != Some(login) {
            self.login_seen = Some(login);
            crate::lifecycle::follow_login_setting(&self.app, login);
        }
        let mut config = settings.config;
        if let Some(delay) = self.catch_up {
            config.catch_up_delay = delay;
        }
        Ok(ScheduleState { config, last_run })
    }

    fn decided(&mut self, decision: &Decision) {
        let view = self.app.state::<ScheduleView>();
        if view.set(*decision) {
            announce(&self.app);
        }
    }

    fn run_scheduled(&mut self, slot: DateTime<Utc>) -> impl Future<Output = ()> + Send {
        let app = self.app.clone();
        async move {
            let outcome = run_and_wait(&app).await;
            tracing::info!("schedule: the run for the slot at {slot} ended: {outcome:?}");
            let notify_success = {
                let state = app.state::<AppState>();
                let settings = state.store().map(|s| schedule::load(&s));
                matches!(settings, Ok(Ok(s)) if s.notify_success)
            };
            if let Some(outcome) = outcome {
                if let Some(n) =
                    notification_for(&outcome, Trigger::Schedule.as_str(), notify_success)
                {
                    crate::lifecycle::notify(&app, &n);
                }
            }
            announce(&app);
        }
    }
}

/// Starts a scheduled run through `sync_runner` and waits for its `sync://finished` event.
/// `None` when another run was already going (it covers the slot; nothing to report).
async fn run_and_wait<R: Runtime>(app: &AppHandle<R>) -> Option<RunOutcomeKind> {
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    // Only one run at a time, so the next `finished` event after a successful start is ours.
    let listener = app.once(FINISHED_EVENT, move |event| {
        let _ = tx.send(event.payload().to_string());
    });
    match sync_runner::start_run(app, Trigger::Schedule, RunOptions::default()) {
        Ok(()) => {
            let payload = rx.await.ok()?;
            outcome_of(&serde_json::from_str(&payload).unwrap_or(Value::Null))
        }
        Err(e) => {
            app.unlisten(listener);
            tracing::warn!("schedule: the run could not start: {}", e.message());
            match e.code() {
                "sync_in_progress" => None,
                "sign_in_required" => Some(RunOutcomeKind::SignInRequired),
                _ => Some(RunOutcomeKind::Failed {
                    reason: dirsync_sentence(&e.message()),
                }),
            }
        }
    }
}

/// Reads a `sync://finished` payload (`sync_runner::FinishedDto`) into the notification's terms.
fn outcome_of(finished: &Value) -> Option<RunOutcomeKind> {
    let code = finished["errorCode"].as_str();
    if code == Some("sync_in_progress") {
        return None;
    }
    if code == Some("sign_in_required") {
        return Some(RunOutcomeKind::SignInRequired);
    }
    let run = &finished["run"];
    let count = |k: &str| run[k].as_u64().unwrap_or(0);
    let reason = || {
        let text = run["error"]
            .as_str()
            .or(finished["error"].as_str())
            .unwrap_or("The sync stopped without saying why.");
        dirsync_sentence(text)
    };
    Some(match run["status"].as_str() {
        Some("success") => RunOutcomeKind::Success {
            added: count("added"),
            updated: count("updated"),
            removed: count("removed"),
        },
        Some("needs_approval") => RunOutcomeKind::NeedsApproval {
            removals: count("removed"),
        },
        Some("cancelled") => RunOutcomeKind::Cancelled,
        _ => RunOutcomeKind::Failed { reason: reason() },
    })
}

/// Core messages are clauses; a notification body reads better as sentences.
fn dirsync_sentence(text: &str) -> String {
    let text = text.trim();
    let mut s: String = text
        .chars()
        .take(1)
        .flat_map(char::to_uppercase)
        .chain(text.chars().skip(1))
        .collect();
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finished_events_map_to_notification_outcomes() {
        let cases = [
            (
                json!({"run": {"status": "success", "added": 2, "updated": 1, "removed": 0}}),
                Some(RunOutcomeKind::Success {
                    added: 2,
                    updated: 1,
                    removed: 0,
                }),
            ),
            (
                json!({"run": {"status": "needs_approval", "removed": 40}}),
                Some(RunOutcomeKind::NeedsApproval { removals: 40 }),
            ),
            (
                json!({"run": {"status": "failed", "error": "graph answered 503"}, "errorCode": "sync_failed", "error": "graph answered 503"}),
                Some(RunOutcomeKind::Failed {
                    reason: "Graph answered 503.".into(),
                }),
            ),
            (
                json!({"run": null, "errorCode": "sign_in_required", "error": "Sign-in required: expired"}),
                Some(RunOutcomeKind::SignInRequired),
            ),
            (
                json!({"run": null, "errorCode": "sync_in_progress", "error": "A sync is already in progress"}),
                None,
            ),
            (
                json!({"run": {"status": "cancelled"}}),
                Some(RunOutcomeKind::Cancelled),
            ),
            (
                json!({"run": null, "errorCode": "sync_failed", "error": "cannot use the data directory: disk full"}),
                Some(RunOutcomeKind::Failed {
                    reason: "Cannot use the data directory: disk full.".into(),
                }),
            ),
        ];
        for (finished, expected) in cases {
            assert_eq!(outcome_of(&finished), expected, "{finished}");
        }
    }
}
