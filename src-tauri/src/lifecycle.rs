//! How the app starts, lives and ends: single instance, start at login, close-to-tray, Quit.
//!
//! - Closing the window hides it while a daily schedule is on and a tray shows the app (the first
//!   time with a notification saying so); otherwise closing quits. Without a tray host the
//!   schedule runs only while the window is open, and the UI says so.
//! - **Quit** (tray, or closing without a schedule) stops the schedule, cancels a running sync
//!   and waits for it to end safely (the core rolls a cancelled run back) before exiting.
//! - A second launch hands over to the running app, which brings its window forward.
//! - Start at login (tauri-plugin-autostart) launches the app with [`MINIMIZED_ARG`]: hidden in
//!   the tray when a tray exists.
//!
//! `DIRSYNC_E2E_NO_SINGLE_INSTANCE=1` skips the single-instance plugin, for test harnesses that
//! start several apps on one session bus; the single-instance handoff has its own test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dirsync::schedule::{self, Notification, ScheduleSettings, SyncMode};
use dirsync::settings;
use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime, Window, WindowEvent};

use crate::error::Error;
use crate::scheduler::{self, ScheduleView};
use crate::state::AppState;
use crate::sync_runner::SyncRunner;
use crate::tray;

/// The argument start-at-login launches the app with.
pub const MINIMIZED_ARG: &str = "--minimized";

/// The main window's label.
const MAIN: &str = "main";

/// How long Quit waits for a cancelled sync to stop before exiting anyway (a run killed at any
/// point is still safe: the directory and delta link change in one transaction).
const QUIT_PATIENCE: Duration = Duration::from_secs(60);

/// Remembers that the admin was told the app keeps running in the tray.
const CLOSE_EXPLAINED: &str = "close_to_tray_explained";

static QUITTING: AtomicBool = AtomicBool::new(false);

/// The desktop plugins, single-instance first (its docs ask for that). Real app only: they need
/// a session bus and a desktop, which the MockRuntime tests do not have.
pub fn plugins<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    let builder = if std::env::var("DIRSYNC_E2E_NO_SINGLE_INSTANCE").as_deref() == Ok("1") {
        builder
    } else {
        builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("another launch handed over; showing the window");
            show_main(app);
        }))
    };
    builder
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED_ARG]),
        ))
        .plugin(tauri_plugin_notification::init())
        .on_window_event(on_window_event)
}

/// Tray, schedule loop, and the hidden start after login.
pub fn setup<R: Runtime>(app: &AppHandle<R>) {
    app.manage(ScheduleView::default());
    #[cfg(all(desktop, not(test)))]
    tray::create(app);
    scheduler::spawn(app);
    if std::env::args().any(|a| a == MINIMIZED_ARG) && keeps_running_hidden(app) {
        if let Some(window) = app.get_webview_window(MAIN) {
            let _ = window.hide();
        }
    }
}

/// The app lives on with its window closed only while a daily schedule is on and a tray shows
/// it; otherwise nobody could reach it again.
fn keeps_running_hidden<R: Runtime>(app: &AppHandle<R>) -> bool {
    let active = app
        .state::<AppState>()
        .store()
        .ok()
        .and_then(|store| schedule::load(&store).ok())
        .is_some_and(|s| s.config.is_active());
    active && tray::available(app)
}

fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    if window.label() != MAIN {
        return;
    }
    api.prevent_close();
    let app = window.app_handle();
    if keeps_running_hidden(app) {
        tracing::info!("window closed: the daily sync keeps running in the tray");
        let _ = window.hide();
        explain_once(app);
    } else {
        quit(app.clone());
    }
}

/// For `App::run`: a sync is never cut off by an exit the app did not ask for.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    if let RunEvent::ExitRequested {
        code: None, api, ..
    } = event
    {
        if app
            .try_state::<SyncRunner>()
            .is_some_and(|r| r.is_running())
        {
            api.prevent_exit();
            quit(app.clone());
        }
    }
}

/// The first close-to-tray of this data directory says where the app went.
fn explain_once<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Ok(store) = state.store() else { return };
    if settings::get(&store, CLOSE_EXPLAINED).is_ok_and(|v| v == "true") {
        return;
    }
    if let Err(e) = settings::set(&store, CLOSE_EXPLAINED, "true") {
        tracing::warn!("cannot remember the close-to-tray notice: {e}");
    }
    drop(store);
    notify_text(
        app,
        "Directory Sync is still running",
        "The daily sync keeps running in the tray. To exit, choose Quit from the tray menu.",
    );
}

/// How long [`show_main`] waits for the window to be shown and restored before focusing it.
const SHOW_PATIENCE: Duration = Duration::from_secs(2);

/// Shows, restores and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let _ = window.show();
    let _ = window.unminimize();
    // Show and restore take effect a round trip later, and on Linux (tao) a focus request for a
    // window that is still hidden or minimized is dropped: focus once they took effect.
    tauri::async_runtime::spawn(async move {
        let deadline = Instant::now() + SHOW_PATIENCE;
        let pending =
            || !window.is_visible().unwrap_or(true) || window.is_minimized().unwrap_or(false);
        while pending() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = window.set_focus();
    });
}

/// **Pause daily sync** / **Resume daily sync**.
pub fn toggle_pause<R: Runtime>(app: &AppHandle<R>) {
    let result = (|| -> Result<(), Error> {
        let state = app.state::<AppState>();
        let store = state.store()?;
        let paused = schedule::load(&store)?.config.paused;
        settings::set(
            &store,
            "schedule_paused",
            if paused { "false" } else { "true" },
        )?;
        Ok(())
    })();
    match result {
        Ok(()) => scheduler::announce(app),
        Err(e) => notify_text(app, "Could not change the daily sync", &e.to_string()),
    }
}

/// Whether the OS should start the app at login: Start at login is on and the sync is
/// Recurring (One-time has nothing to run after a reboot; the setting is kept for when the
/// admin chooses Recurring again).
pub fn login_item_wanted(settings: &ScheduleSettings) -> bool {
    settings.start_at_login && settings.config.mode == SyncMode::Recurring
}

/// Turns start at login on or off (after the schedule's mode was saved): the OS entry first,
/// then the setting, so the setting never claims what the OS does not do.
pub fn set_start_at_login<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> Result<(), Error> {
    let state = app.state::<AppState>();
    let mut wanted = schedule::load(&*state.store()?)?;
    wanted.start_at_login = enabled;
    apply_login_item(app, login_item_wanted(&wanted)).map_err(Error::Invalid)?;
    let store = state.store()?;
    settings::set(
        &store,
        "start_at_login",
        if enabled { "true" } else { "false" },
    )?;
    Ok(())
}

/// Makes the OS login item match the settings, whoever wrote them (Settings, the Sync Frequency
/// step, `dirsync config set`). The schedule loop calls this when it sees
/// [`login_item_wanted`] change.
pub fn follow_login_setting<R: Runtime>(app: &AppHandle<R>, wanted: bool) {
    if let Err(e) = apply_login_item(app, wanted) {
        tracing::warn!("{e}");
    }
}

fn apply_login_item<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> Result<(), String> {
    use tauri_plugin_autostart::ManagerExt;
    if app
        .try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .is_none()
    {
        return Ok(()); // MockRuntime tests: no plugin, no OS entry.
    }
    let launcher = app.autolaunch();
    let is_enabled = launcher.is_enabled().unwrap_or(!enabled);
    let done = match (enabled, is_enabled) {
        (true, false) => launcher.enable(),
        (false, true) => launcher.disable(),
        _ => Ok(()),
    };
    done.map_err(|e| {
        let what = if enabled { "turn on" } else { "turn off" };
        format!("cannot {what} start at login: {e}")
    })
}

/// Exits: stops the schedule, cancels a running sync and waits until it stopped safely.
pub fn quit<R: Runtime>(app: AppHandle<R>) {
    if QUITTING.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Some(view) = app.try_state::<ScheduleView>() {
        view.stop();
    }
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.hide();
    }
    tauri::async_runtime::spawn(async move {
        let Some(runner) = app.try_state::<SyncRunner>() else {
            app.exit(0);
            return;
        };
        if runner.cancel() {
            tracing::info!("Quit: cancelling the running sync and waiting for it to stop");
            let deadline = Instant::now() + QUIT_PATIENCE;
            while runner.is_running() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if runner.is_running() {
                tracing::warn!("Quit: the sync did not stop within {QUIT_PATIENCE:?}; exiting anyway (nothing half-applied is kept)");
            }
        }
        app.exit(0);
    });
}

/// Shows a desktop notification (no-op where the notification plugin is not loaded).
pub fn notify<R: Runtime>(app: &AppHandle<R>, n: &Notification) {
    notify_text(app, &n.title, &n.body);
}

pub fn notify_text<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_none()
    {
        tracing::info!("(no notifications) {title}: {body}");
        return;
    }
    tracing::info!("notification: {title}");
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!("cannot show the notification '{title}': {e}");
    }
}
