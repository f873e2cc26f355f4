//! Issue 8 through the real app: the daily schedule starts a run recorded with trigger
//! "schedule" (and notifies); closing the window hides it only where a tray shows the app,
//! otherwise it quits; Quit from the tray exits; a second launch hands over to the first (the
//! real single-instance plugin on the test's session bus) and brings its window forward; Start
//! at login writes and removes the autostart entry, which starts the app hidden in the tray.
//!
//! Xvfb has no panel: the tests that need one start a stand-in StatusNotifier host on their
//! session bus (`desktop::TrayHost`) and read and click the tray menu over D-Bus, as a panel
//! does. The window is closed with the window manager's close message over X11 (WebDriver's
//! "close window" destroys the webview instead of asking the window to close).

use std::ffi::OsString;
use std::path::Path;

use chrono::{Local, TimeDelta, Utc};
use dirsync::runs::{self, RunStatus, Trigger};
use dirsync::settings;
use dirsync::store::Store;
use dirsync_e2e::desktop::{AppProcess, NotificationServer, TrayHost, X11};
use dirsync_e2e::tenant::Tenant;
use dirsync_e2e::window::{self, Options, Window};

fn set(dir: &Path, pairs: &[(&str, &str)]) {
    let store = Store::open(&dir.join(dirsync::datadir::DATABASE_FILE)).unwrap();
    for (k, v) in pairs {
        settings::set(&store, k, v).unwrap();
    }
}

fn recurring(dir: &Path) {
    set(dir, &[("sync_mode", "recurring"), ("daily_at", "02:00")]);
}

/// The schedule loop ticks quickly and catches up at once, so a missed slot runs within a
/// second of start instead of two minutes.
fn fast_schedule() -> Options {
    Options {
        env: vec![
            ("DIRSYNC_SCHEDULE_TICK_MS".into(), OsString::from("300")),
            ("DIRSYNC_CATCH_UP_SECS".into(), OsString::from("0")),
        ],
        ..Options::default()
    }
}

/// A daily time that passed a moment ago today: two minutes ago, or midnight in the first two
/// minutes of the day (two minutes ago would be yesterday's slot, and the next one today).
fn passed_today() -> String {
    let now = Local::now();
    let earlier = now - TimeDelta::minutes(2);
    if earlier.date_naive() == now.date_naive() {
        earlier.format("%H:%M").to_string()
    } else {
        "00:00".to_string()
    }
}

async fn settings_page(w: &Window) {
    w.open_page("settings").await;
    w.find("#schedule:not([aria-busy])").await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_missed_daily_slot_runs_once_with_trigger_schedule() {
    let started_on = Local::now().date_naive();
    let tenant = Tenant::start(12);
    let notifications = NotificationServer::start().await;
    let prepare = |dir: &Path| {
        tenant.signed_in_and_synced(dir);
        // The last sync was two days ago and the daily time passed two minutes ago, while the
        // app was closed: the app catches up once when it starts.
        let store = Store::open(&dir.join(dirsync::datadir::DATABASE_FILE)).unwrap();
        let two_days_ago = (Utc::now() - TimeDelta::days(2)).to_rfc3339();
        store
            .conn()
            .execute(
                "UPDATE runs SET started_at = ?1, ended_at = ?1",
                [two_days_ago],
            )
            .unwrap();
        set(
            dir,
            &[("sync_mode", "recurring"), ("daily_at", &passed_today())],
        );
    };
    window::run_opts("schedule_catch_up", fast_schedule(), prepare, async |w| {
        let store = Store::open(&w.data_dir().join(dirsync::datadir::DATABASE_FILE)).unwrap();
        let run = wait_for_run(&store, |r| {
            r.trigger == Trigger::Schedule && r.status != RunStatus::Running
        })
        .await;
        assert_eq!(run.status, RunStatus::Success, "{run:?}");
        let all = runs::list(store.conn(), 10, None).unwrap();
        let scheduled = all
            .iter()
            .filter(|r| r.trigger == Trigger::Schedule)
            .count();
        assert_eq!(
            scheduled, 1,
            "one catch-up run, not one per missed day: {all:?}"
        );
        // The status line and Settings show the next run: tomorrow at the daily time (or
        // "today" if midnight passed while the test ran).
        let day = if Local::now().date_naive() == started_on {
            "tomorrow"
        } else {
            "today"
        };
        // The run is recorded a moment before the scheduler names the next slot: wait for it.
        let next_sync = format!("Next sync {day}");
        w.wait_for_text_containing("#status-next", &next_sync).await;
        settings_page(w).await;
        w.wait_for_text_containing("#schedule-status", &next_sync)
            .await;
        w.client()
            .execute(
                "document.getElementById('schedule').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        w.snapshot("daily-sync").await;
        // A routine success does not notify unless asked.
        assert!(
            notifications.shown().is_empty(),
            "{:?}",
            notifications.shown()
        );
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_scheduled_run_that_needs_sign_in_notifies() {
    let notifications = NotificationServer::start().await;
    let tenant = Tenant::start(5);
    let prepare = |dir: &Path| {
        // Configured and synced once long ago, but nobody is signed in any more.
        tenant.signed_in_and_synced(dir);
        let auth = dirsync::auth::Auth::with_token_store(
            dirsync::datadir::DataDir::at(dir).unwrap(),
            dirsync::auth::TokenStorePreference::File,
        )
        .unwrap();
        tenant
            .block_on(async move { auth.sign_out().await })
            .expect("sign-out succeeds");
        let store = Store::open(&dir.join(dirsync::datadir::DATABASE_FILE)).unwrap();
        let two_days_ago = (Utc::now() - TimeDelta::days(2)).to_rfc3339();
        store
            .conn()
            .execute(
                "UPDATE runs SET started_at = ?1, ended_at = ?1",
                [two_days_ago],
            )
            .unwrap();
        set(
            dir,
            &[("sync_mode", "recurring"), ("daily_at", &passed_today())],
        );
    };
    window::run_opts("schedule_sign_in", fast_schedule(), prepare, async |_w| {
        let body = notifications
            .wait_for("Sign in again to keep syncing")
            .await;
        assert!(body.contains("sign in"), "{body}");
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn without_a_tray_host_closing_quits_and_the_ui_says_to_keep_the_window_open() {
    window::run_with("close_without_tray", recurring, async |w| {
        settings_page(w).await;
        let note = w.text("#schedule-needs-window").await;
        assert!(note.contains("Keep this window open"), "{note}");
        close_and_expect_exit(w).await;
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn without_a_schedule_closing_quits_even_with_a_tray_host() {
    let _host = TrayHost::start().await;
    window::run("close_one_time", async |w| {
        settings_page(w).await;
        assert!(
            w.find("#sync-mode-one-time")
                .await
                .is_selected()
                .await
                .unwrap(),
            "one-time is the default"
        );
        close_and_expect_exit(w).await;
    })
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn with_a_tray_closing_hides_the_window_the_tray_reopens_it_and_quit_exits() {
    let host = TrayHost::start().await;
    let notifications = NotificationServer::start().await;
    window::run_with("close_to_tray", recurring, async |w| {
        settings_page(w).await;
        assert!(
            !w.find("#schedule-needs-window")
                .await
                .is_displayed()
                .await
                .unwrap(),
            "with a tray, the window need not stay open"
        );
        let app = AppProcess::find(&w.data_dir()).await;
        let x = X11::open();
        let window = x.main_window(app).await;
        x.wait_shown(window, true).await;

        // The tray menu, as the panel shows it.
        let menu = host.menu().await;
        let labels: Vec<&str> = menu.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "No sync has run yet",
                "Sync now",
                "Open Directory Sync",
                "Pause daily sync",
                "Quit"
            ],
            "{menu:?}"
        );
        assert!(!menu[0].enabled, "the last-run line is not clickable");

        // Close: the window hides, the app stays, and says so the first time.
        x.request_close(window);
        x.wait_shown(window, false).await;
        assert!(app.running(), "closing with a tray must not quit");
        let body = notifications
            .wait_for("Directory Sync is still running")
            .await;
        assert!(body.contains("Quit"), "{body}");

        // Pause from the tray: the menu offers Resume, Settings shows it paused.
        host.click("Pause daily sync").await;
        wait_for_menu_entry(&host, "Resume daily sync").await;

        // Open Directory Sync brings the window back, with the pause shown.
        host.click("Open Directory Sync").await;
        x.wait_shown(window, true).await;
        settings_page(w).await;
        assert!(w
            .find("#schedule-paused")
            .await
            .is_selected()
            .await
            .unwrap());

        // A second launch hands over: it exits at once and the hidden window comes forward.
        host.click("Resume daily sync").await;
        wait_for_menu_entry(&host, "Pause daily sync").await;
        x.request_close(window);
        x.wait_shown(window, false).await;
        hand_over(w, &x, app, window).await;
        assert_eq!(
            notifications.shown().len(),
            1,
            "the close notice is shown only once"
        );

        // Quit really exits.
        host.click("Quit").await;
        app.wait_exit("Quit in the tray menu").await;
    })
    .await;
}

/// Launches the app a second time: that launch exits with success, the running app's window is
/// shown with the keyboard focus, and there is still one app.
async fn hand_over(w: &Window, x: &X11, app: AppProcess, window: x11::xlib::Window) {
    let second = app.launch_again().await;
    assert!(
        second.success(),
        "the second launch exits cleanly: {second}"
    );
    x.wait_shown(window, true).await;
    x.wait_focused(window).await;
    assert_eq!(
        AppProcess::all_for(&w.data_dir()),
        vec![app],
        "still one app"
    );
}

async fn close_and_expect_exit(w: &Window) {
    let app = AppProcess::find(&w.data_dir()).await;
    let x = X11::open();
    let window = x.main_window(app).await;
    x.request_close(window);
    app.wait_exit("closing the window").await;
}

async fn wait_for_menu_entry(host: &TrayHost, label: &str) {
    let deadline = std::time::Instant::now() + dirsync_e2e::desktop::PATIENCE;
    loop {
        let menu = host.menu().await;
        if menu.iter().any(|e| e.label == label) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the tray menu never offered {label:?}: {menu:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn wait_for_run(store: &Store, wanted: impl Fn(&runs::RunRecord) -> bool) -> runs::RunRecord {
    let deadline = std::time::Instant::now() + dirsync_e2e::desktop::PATIENCE * 2;
    loop {
        let all = runs::list(store.conn(), 20, None).unwrap();
        if let Some(run) = all.iter().find(|r| wanted(r)) {
            return run.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no such run appeared; history: {all:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn quit_during_a_sync_cancels_it_and_waits_until_it_stopped() {
    let host = TrayHost::start().await;
    let tenant = Tenant::start(30);
    let prepare = |dir: &Path| {
        tenant.signed_in_and_synced(dir);
    };
    window::run_with("quit_during_sync", prepare, async |w| {
        let store = Store::open(&w.data_dir().join(dirsync::datadir::DATABASE_FILE)).unwrap();
        let app = AppProcess::find(&w.data_dir()).await;
        // Every Graph page now takes seconds: the run is still going when Quit comes.
        tenant
            .emulator()
            .control()
            .inject_fault(graph_emulator::faults::FaultSpec {
                kind: graph_emulator::faults::FaultKind::Slow { millis: 1500 },
                count: Some(100),
                fraction: None,
                path_prefix: None,
            });
        host.click("Sync now").await;
        let running = wait_for_run(&store, |r| r.status == RunStatus::Running).await;
        host.click("Quit").await;
        app.wait_exit("Quit during a sync").await;
        // The app exited only after the run had stopped and recorded how it ended.
        let run = runs::get(store.conn(), running.id).unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Cancelled, "{run:?}");
        assert!(run.ended_at.is_some(), "{run:?}");
    })
    .await;
}

/// Single instance (issue 8) with the real plugin on the test's session bus: a second launch
/// exits at once with success and brings the running app's window forward, restored and
/// focused, even when it was iconified and another program had the focus.
#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_second_launch_hands_over_and_brings_the_iconified_window_forward() {
    window::run("single_instance", async |w| {
        w.wait_for_page("directory").await;
        let app = AppProcess::find(&w.data_dir()).await;
        let x = X11::open();
        let window = x.main_window(app).await;
        x.wait_shown(window, true).await;

        // Another program has the focus, and the window is iconified.
        let other = x.another_program_with_focus("Another program").await;
        x.iconify(window);
        x.wait_shown(window, false).await;
        assert!(!x.has_focus(window));

        hand_over(w, &x, app, window).await;
        assert!(!x.has_focus(other));
        // The page itself is shown and has the focus again.
        let page = w
            .client()
            .execute(
                "return [document.visibilityState, document.hasFocus()]",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(page, serde_json::json!(["visible", true]));
    })
    .await;
}

/// Start at login (issue 8), offered once Recurring is chosen: turning it on writes the XDG
/// autostart entry that starts this very app with `--minimized`; One-time or turning it off
/// removes it. The app's HOME is the test's temp dir (auto-launch writes
/// `$HOME/.config/autostart`).
#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn start_at_login_writes_the_autostart_entry_and_removes_it() {
    window::run("start_at_login", async |w| {
        let entry = w
            .home()
            .join(".config/autostart")
            .join("Directory Sync.desktop");
        let store = Store::open(&w.data_dir().join(dirsync::datadir::DATABASE_FILE)).unwrap();
        let app = AppProcess::find(&w.data_dir()).await;
        let exe = std::fs::read_link(format!("/proc/{}/exe", app.pid)).unwrap();
        settings_page(w).await;
        let login = w.find("#schedule-login").await;
        assert!(
            !login.is_displayed().await.unwrap(),
            "offered only with Recurring"
        );

        w.click("#sync-mode-recurring").await;
        wait_displayed(w, "#schedule-login").await;
        w.click("#schedule-login").await;
        wait_for_file(&entry, true).await;
        let desktop = std::fs::read_to_string(&entry).unwrap();
        let exec = desktop
            .lines()
            .find_map(|l| l.strip_prefix("Exec="))
            .unwrap_or_else(|| panic!("no Exec line:\n{desktop}"));
        assert_eq!(
            exec.split_whitespace().collect::<Vec<_>>(),
            [exe.to_str().unwrap(), "--minimized"],
            "{desktop}"
        );
        assert!(desktop.contains("Type=Application"), "{desktop}");
        assert_eq!(settings::get(&store, "start_at_login").unwrap(), "true");

        // One-time has nothing to run after a reboot: the entry goes, the choice is kept and
        // comes back with Recurring.
        w.click("#sync-mode-one-time").await;
        wait_for_file(&entry, false).await;
        assert_eq!(settings::get(&store, "start_at_login").unwrap(), "true");
        w.click("#sync-mode-recurring").await;
        wait_for_file(&entry, true).await;

        // Shown as on after the page is drawn again.
        w.open_page("directory").await;
        settings_page(w).await;
        assert!(w.find("#schedule-login").await.is_selected().await.unwrap());

        w.click("#schedule-login").await;
        wait_for_file(&entry, false).await;
        assert_eq!(settings::get(&store, "start_at_login").unwrap(), "false");
    })
    .await;
}

/// What the autostart entry starts: `dirsync-app --minimized` with a daily schedule and a tray
/// comes up hidden in the tray, running, and Open Directory Sync shows the window.
#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn started_at_login_the_app_waits_hidden_in_the_tray() {
    let host = TrayHost::start().await;
    let options = Options {
        args: vec!["--minimized".into()],
        ..Options::default()
    };
    window::run_opts("start_minimized", options, recurring, async |w| {
        let app = AppProcess::find(&w.data_dir()).await;
        let x = X11::open();
        let window = x.main_window(app).await;
        // Up, with its page drawn and its tray item registered, and the window never shown.
        w.wait_for_page("directory").await;
        host.item().await;
        assert!(
            !x.is_shown(window),
            "started at login, the window stays hidden"
        );
        host.click("Open Directory Sync").await;
        x.wait_shown(window, true).await;
        x.wait_focused(window).await;
    })
    .await;
}

async fn wait_displayed(w: &Window, css: &str) {
    let deadline = std::time::Instant::now() + dirsync_e2e::desktop::PATIENCE;
    while !w.find(css).await.is_displayed().await.unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "`{css}` is still hidden"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn wait_for_file(path: &Path, exists: bool) {
    let deadline = std::time::Instant::now() + dirsync_e2e::desktop::PATIENCE;
    while path.exists() != exists {
        assert!(
            std::time::Instant::now() < deadline,
            "{} {}",
            path.display(),
            if exists {
                "was never written"
            } else {
                "is still there"
            }
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
