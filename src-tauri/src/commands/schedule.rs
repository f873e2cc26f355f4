//! The daily schedule in Settings: frequency, daily time, pause, start at login, notifications,
//! and what the status line shows (next run; whether the app must stay open).

use dirsync::settings;
use tauri::{AppHandle, Manager, Runtime};

use crate::scheduler::{self, ScheduleDto};
use crate::{error::Error, lifecycle, state::AppState};

#[tauri::command]
pub fn get_schedule<R: Runtime>(app: AppHandle<R>) -> Result<ScheduleDto, Error> {
    scheduler::snapshot(&app)
}

/// Saves the schedule settings (all or none), then turns the login item on or off.
#[tauri::command]
pub fn save_schedule<R: Runtime>(
    app: AppHandle<R>,
    mode: String,
    daily_at: String,
    paused: bool,
    notify_success: bool,
    start_at_login: bool,
) -> Result<ScheduleDto, Error> {
    {
        let state = app.state::<AppState>();
        let store = state.store()?;
        let tx = store
            .conn()
            .unchecked_transaction()
            .map_err(dirsync::store::StoreError::Sql)?;
        settings::set(&store, "sync_mode", &mode)?;
        settings::set(&store, "daily_at", &daily_at)?;
        settings::set(&store, "schedule_paused", bool_text(paused))?;
        settings::set(&store, "notify_success", bool_text(notify_success))?;
        tx.commit().map_err(dirsync::store::StoreError::Sql)?;
    }
    lifecycle::set_start_at_login(&app, start_at_login)?;
    scheduler::announce(&app);
    scheduler::snapshot(&app)
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}
