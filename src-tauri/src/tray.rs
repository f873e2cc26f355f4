//! The system tray: a disabled line with the last run, **Sync now**, **Open Directory Sync**,
//! **Pause daily sync** / **Resume daily sync** and **Quit**; the tooltip (where the platform
//! shows one) says the last result and the next run.
//!
//! Linux desktops show tray icons through a StatusNotifier host (`org.kde.StatusNotifierWatcher`
//! on the session bus). Without one (a bare X server, GNOME without the AppIndicator extension)
//! libappindicator still "builds" an icon nobody can see, so [`available`] asks the bus instead of
//! trusting the build, and the app then quits on close instead of hiding where no one can find
//! it. Building the tray can also fail (no libayatana-appindicator): that is logged, not fatal.

use tauri::{AppHandle, Runtime};

/// The tray's id.
pub const TRAY_ID: &str = "main";

/// The D-Bus name a StatusNotifier host's watcher owns.
pub const WATCHER_NAME: &str = "org.kde.StatusNotifierWatcher";

/// True when a tray icon exists and something shows it, so the app may live on with its window
/// closed.
pub fn available<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.tray_by_id(TRAY_ID).is_some() && host_present()
}

/// Asks the session bus whether a StatusNotifier host is running.
#[cfg(target_os = "linux")]
pub fn host_present() -> bool {
    let ask = || -> zbus::Result<bool> {
        let bus = zbus::blocking::Connection::session()?;
        let dbus = zbus::blocking::fdo::DBusProxy::new(&bus)?;
        Ok(dbus.name_has_owner(WATCHER_NAME.try_into()?)?)
    };
    ask().unwrap_or_else(|e| {
        tracing::debug!("no session bus to look for a tray host on: {e}");
        false
    })
}

/// Windows and macOS always have a notification area / menu bar.
#[cfg(not(target_os = "linux"))]
pub fn host_present() -> bool {
    true
}

/// Brings the tray's text up to date (after a run, a schedule change). Does nothing when the
/// app has no tray.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(all(desktop, not(test)))]
    if let Some(menu) = tauri::Manager::try_state::<imp::TrayMenu<R>>(app) {
        menu.update(app, imp::texts(app));
    }
    #[cfg(not(all(desktop, not(test))))]
    let _ = app;
}

#[cfg(all(desktop, not(test)))]
pub use imp::create;

#[cfg(all(desktop, not(test)))]
mod imp {
    use chrono::{DateTime, Local, Utc};
    use dirsync::runs::{self, RunRecord, RunStatus, Trigger};
    use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
    use tauri::tray::TrayIconBuilder;
    use tauri::{AppHandle, Listener, Manager, Runtime};

    use super::TRAY_ID;
    use crate::state::AppState;
    use crate::sync_runner::{self, RunOptions, FINISHED_EVENT};

    /// The tray's text, from the history and the schedule.
    pub(super) struct Texts {
        last_run: String,
        pause: Option<&'static str>,
        tooltip: String,
    }

    pub(super) fn texts<R: Runtime>(app: &AppHandle<R>) -> Texts {
        let latest = app
            .state::<AppState>()
            .store()
            .ok()
            .and_then(|store| runs::latest(store.conn()).ok().flatten());
        let last_run = match &latest {
            Some(run) => format!("Last sync: {}", describe(run)),
            None => "No sync has run yet".to_string(),
        };
        let schedule = crate::scheduler::snapshot(app).ok();
        let pause = schedule.as_ref().and_then(|s| match (s.mode, s.paused) {
            ("recurring", false) => Some("Pause daily sync"),
            ("recurring", true) => Some("Resume daily sync"),
            _ => None,
        });
        let next = match &schedule {
            Some(s) if s.mode == "recurring" && s.paused => "Daily sync paused".to_string(),
            Some(s) => match s.next_run.as_deref().and_then(local_time) {
                Some(at) => format!("Next sync: {}", at.format("%a %H:%M")),
                None => "No daily sync".to_string(),
            },
            None => String::new(),
        };
        Texts {
            tooltip: format!("Directory Sync\n{last_run}\n{next}")
                .trim()
                .to_string(),
            last_run,
            pause,
        }
    }

    fn local_time(rfc3339: &str) -> Option<DateTime<Local>> {
        rfc3339
            .parse::<DateTime<Utc>>()
            .ok()
            .map(|t| t.with_timezone(&Local))
    }

    fn describe(run: &RunRecord) -> String {
        let status = match run.status {
            RunStatus::Running => "running",
            RunStatus::Success => "success",
            RunStatus::Failed => "failed",
            RunStatus::NeedsApproval => "needs approval",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Preview => "preview",
        };
        match local_time(&run.started_at) {
            Some(at) if at.date_naive() == Local::now().date_naive() => {
                format!("{status}, today {}", at.format("%H:%M"))
            }
            Some(at) => format!("{status}, {}", at.format("%b %-d %H:%M")),
            None => status.to_string(),
        }
    }

    const SYNC_NOW: &str = "sync-now";
    const OPEN: &str = "open";
    const PAUSE: &str = "pause";
    const QUIT: &str = "quit";

    /// The menu items whose text changes.
    pub struct TrayMenu<R: Runtime> {
        last_run: MenuItem<R>,
        pause: MenuItem<R>,
    }

    impl<R: Runtime> TrayMenu<R> {
        pub(super) fn update(&self, app: &AppHandle<R>, t: Texts) {
            let _ = self.last_run.set_text(&t.last_run);
            let _ = self.pause.set_text(t.pause.unwrap_or("Pause daily sync"));
            let _ = self.pause.set_enabled(t.pause.is_some());
            if let Some(tray) = app.tray_by_id(TRAY_ID) {
                // Unsupported on Linux (the call is a no-op there).
                let _ = tray.set_tooltip(Some(&t.tooltip));
            }
        }
    }

    /// Builds the tray. A failure (or a panic inside libappindicator's loader) is logged and the
    /// app carries on without a tray.
    pub fn create<R: Runtime>(app: &AppHandle<R>) {
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(app)));
        match built {
            Ok(Ok(())) => {
                let handle = app.clone();
                app.listen(FINISHED_EVENT, move |_| super::refresh(&handle));
                super::refresh(app);
            }
            Ok(Err(e)) => tracing::warn!("no tray icon: {e}"),
            Err(_) => tracing::warn!("no tray icon: the tray library failed to load"),
        }
    }

    fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
        let t = texts(app);
        let last_run = MenuItem::with_id(app, "last-run", &t.last_run, false, None::<&str>)?;
        let sync_now = MenuItem::with_id(app, SYNC_NOW, "Sync now", true, None::<&str>)?;
        let open = MenuItem::with_id(app, OPEN, "Open Directory Sync", true, None::<&str>)?;
        let pause = MenuItem::with_id(
            app,
            PAUSE,
            t.pause.unwrap_or("Pause daily sync"),
            t.pause.is_some(),
            None::<&str>,
        )?;
        let quit = MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?;
        let menu = Menu::with_items(
            app,
            &[
                &last_run,
                &PredefinedMenuItem::separator(app)?,
                &sync_now,
                &open,
                &pause,
                &PredefinedMenuItem::separator(app)?,
                &quit,
            ],
        )?;
        let mut builder = TrayIconBuilder::with_id(TRAY_ID)
            .menu(&menu)
            .tooltip(&t.tooltip)
            .on_menu_event(on_menu_event);
        if let Some(icon) = app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        builder.build(app)?;
        app.manage(TrayMenu { last_run, pause });
        Ok(())
    }

    fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
        match event.id.as_ref() {
            SYNC_NOW => {
                if let Err(e) = sync_runner::start_run(app, Trigger::Manual, RunOptions::default())
                {
                    // No window may be showing: say it where the admin is looking.
                    crate::lifecycle::notify_text(app, "Sync could not start", &e.message());
                }
            }
            OPEN => crate::lifecycle::show_main(app),
            PAUSE => crate::lifecycle::toggle_pause(app),
            QUIT => crate::lifecycle::quit(app.clone()),
            _ => {}
        }
    }
}
