//! Directory Sync desktop shell: a Tauri 2 window over the `dirsync` core.
//!
//! This crate only adapts: it opens the window, keeps the core's store in managed state
//! (`state`), exposes thin commands (`commands`) and turns core errors into the JSON the UI
//! reads (`error`). Everything the product does lives in the core crate.

pub mod commands;
pub mod demo;
pub mod error;
pub mod lifecycle;
pub mod save_path;
pub mod scheduler;
pub mod state;
pub mod sync_runner;
pub mod tray;

use tauri::{Builder, Runtime};

pub use error::Error;
pub use state::AppState;

/// Everything the app registers, independent of the runtime, so MockRuntime tests exercise the
/// same wiring as the real window.
pub fn build_app<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .manage(sync_runner::SyncRunner::default())
        .manage(commands::auth::SignInFlow::default())
        .manage(demo::DemoHost::default())
        .invoke_handler(commands::handler())
}

/// Starts the desktop app.
pub fn run() {
    init_tracing();
    if let Some(reason) = missing_display() {
        eprintln!("{reason}");
        std::process::exit(1);
    }
    // Dialogs only in the real app: the MockRuntime tests build without GTK.
    let builder = tauri::Builder::default().plugin(tauri_plugin_dialog::init());
    // Tray, schedule, single instance, start at login, close-to-tray (issue 8).
    let builder = lifecycle::plugins(builder).setup(|app| {
        lifecycle::setup(app.handle());
        // The demo tenant, when chosen, runs inside the app (issue 4).
        commands::auth::resume_demo(app.handle());
        Ok(())
    });
    let result = build_app(builder, AppState::open())
        .build(tauri::generate_context!())
        .map(|app| app.run(lifecycle::on_run_event));
    if let Err(e) = result {
        eprintln!("Directory Sync could not start: {e}");
        std::process::exit(1);
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// GTK aborts with a panic when there is no display; say so in one line instead.
fn missing_display() -> Option<&'static str> {
    let set = |var| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    let needs_display = cfg!(all(unix, not(target_os = "macos")));
    (needs_display && !set("DISPLAY") && !set("WAYLAND_DISPLAY")).then_some(
        "Directory Sync needs a graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set); \
         on a headless machine use the `dirsync` command line instead.",
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use dirsync::datadir::DataDir;
    use serde_json::{json, Value};
    use tauri::{
        ipc::{CallbackFn, InvokeBody},
        test::{get_ipc_response, mock_builder, INVOKE_KEY},
        webview::InvokeRequest,
        WebviewWindow,
    };

    use super::*;
    use crate::commands::names::COMMANDS;

    /// The real config and capabilities (so the ACL is enforced) on the mock runtime.
    fn window_in(dir: &std::path::Path) -> WebviewWindow<tauri::test::MockRuntime> {
        let state = AppState::open_in(DataDir::at(dir).unwrap());
        let app = build_app(mock_builder(), state)
            .build(tauri::generate_context!(test = true))
            .unwrap();
        // The real app creates its windows from the config when the event loop starts; here we
        // create the same `main` window by hand.
        let config = app
            .config()
            .app
            .windows
            .iter()
            .find(|w| w.label == "main")
            .expect("tauri.conf.json declares the main window")
            .clone();
        let window = tauri::WebviewWindowBuilder::from_config(&app, &config)
            .unwrap()
            .build()
            .unwrap();
        std::mem::forget(app); // the window needs the app alive for the whole test
        window
    }

    fn invoke(
        window: &WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Value> {
        let origin = if cfg!(windows) {
            "http://tauri.localhost"
        } else {
            "tauri://localhost"
        };
        get_ipc_response(
            window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: origin.parse().unwrap(),
                body: InvokeBody::from(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    #[test]
    fn app_info_reports_version_and_database_path() {
        let dir = tempfile::tempdir().unwrap();
        let window = window_in(dir.path());
        let info = invoke(&window, "app_info", json!({})).unwrap();
        assert_eq!(
            info,
            json!({
                "version": dirsync::VERSION,
                "dataDir": dir.path().display().to_string(),
                "databasePath": dir.path().join(dirsync::datadir::DATABASE_FILE).display().to_string(),
                "schemaVersion": dirsync::store::schema_version(),
            })
        );
    }

    #[test]
    fn a_refused_database_reaches_the_ui_as_code_and_message() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(dirsync::datadir::DATABASE_FILE);
        rusqlite_user_version(&db, 999);
        let window = window_in(dir.path());
        let err = invoke(&window, "app_info", json!({})).unwrap_err();
        assert_eq!(err["code"], "store_unavailable");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains("newer version"), "{message}");
        assert_eq!(
            err.as_object().unwrap().len(),
            2,
            "only code and message: {err}"
        );
    }

    #[test]
    fn every_command_is_registered_and_granted() {
        let dir = tempfile::tempdir().unwrap();
        let window = window_in(dir.path());
        for cmd in COMMANDS {
            // Arguments may be missing; what matters is that the call got past routing and the ACL.
            if let Err(e) = invoke(&window, cmd, json!({})) {
                let text = e.to_string();
                assert!(
                    !text.contains("not allowed") && !text.contains("not found"),
                    "{cmd} is missing from commands::handler() or capabilities/default.json: {text}"
                );
            }
        }
        let refused = invoke(&window, "no_such_command", json!({})).unwrap_err();
        assert!(refused.to_string().contains("not"), "{refused}");
    }

    #[test]
    fn the_capability_grants_exactly_the_app_commands() {
        let capability: Value =
            serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| p.starts_with("allow-"))
            .map(str::to_string)
            .collect();
        // tauri-build names the permission for `sync_now` `allow-sync-now`.
        let commands: BTreeSet<String> = COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        assert_eq!(granted, commands);
    }

    /// Sign-in (issue 4): the account area's JSON on a fresh data directory, and a sign-in
    /// refused for a missing client id reaching the UI as code and message.
    #[test]
    fn auth_status_and_sign_in_errors_have_the_ui_shape() {
        let dir = tempfile::tempdir().unwrap();
        let window = window_in(dir.path());
        let status = invoke(&window, "auth_status", json!({})).unwrap();
        assert_eq!(status["state"], "signed_out");
        assert_eq!(status["tenantConfigured"], false);
        assert_eq!(status["demo"], false);
        assert!(status["account"].is_null() && status["signIn"].is_null());
        assert!(["keychain", "file"].contains(&status["tokenStorage"].as_str().unwrap()));
        let err = invoke(&window, "start_sign_in", json!({})).unwrap_err();
        assert_eq!(err["code"], "sign_in_config", "{err}");
        assert!(err["message"].as_str().unwrap().contains("client"), "{err}");
        let settings = invoke(&window, "get_tenant_settings", json!({})).unwrap();
        assert_eq!(
            settings,
            json!({"authority": "https://login.microsoftonline.com", "tenant": "organizations",
                   "clientId": "", "graphUrl": "https://graph.microsoft.com", "demo": false})
        );
    }

    /// Why a sign-in is needed (stored when renewal failed for good, possibly quoting the
    /// identity platform) reaches the account area redacted.
    #[test]
    fn the_sign_in_required_reason_reaches_the_ui_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let store = dirsync::store::Store::open_in(&DataDir::at(dir.path()).unwrap()).unwrap();
        let account = dirsync::account::Account {
            mode: dirsync::account::AccountMode::User,
            authority: "https://login.microsoftonline.com".into(),
            tenant: "organizations".into(),
            client_id: "c".into(),
            graph_url: "https://graph.microsoft.com".into(),
            tenant_id: "t".into(),
            tenant_name: "Contoso".into(),
            user_id: None,
            username: Some("admin@contoso.com".into()),
            display_name: None,
            signed_in_at: chrono::Utc::now(),
            sign_in_required: None,
        };
        dirsync::account::save(&store, &account).unwrap();
        dirsync::account::mark_sign_in_required(
            &store,
            "renewal refused (invalid_grant) for refresh_token=0.AXkA-r3fr35h",
        )
        .unwrap();
        drop(store);
        let window = window_in(dir.path());
        let status = invoke(&window, "auth_status", json!({})).unwrap();
        assert_eq!(status["state"], "sign_in_required");
        assert_eq!(
            status["reason"],
            "renewal refused (invalid_grant) for refresh_token=[redacted]"
        );
    }

    /// Marks a database as written by a future schema version.
    fn rusqlite_user_version(path: &std::path::Path, version: u32) {
        let store = dirsync::store::Store::open(path).unwrap();
        store
            .conn()
            .pragma_update(None, "user_version", version)
            .unwrap();
    }
}
