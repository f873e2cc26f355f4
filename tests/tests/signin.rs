//! Sign-in (issue 4): the test tenant fixture through the core, and the real window: Sign in
//! with Microsoft shows who and which tenant, survives a restart, Sign out brings the button
//! back; the welcome panel on a fresh data directory; Cancel while the browser is open.
//!
//! The window tests are ignored by a plain `cargo test`; `cargo xtask test` runs them.

use std::path::{Path, PathBuf};

use dirsync::auth::{Auth, SignInState, TokenStorePreference, FALLBACK_FILE};
use dirsync::datadir::DataDir;
use dirsync::runs::RunStatus;
use dirsync::settings;
use dirsync::store::Store;
use dirsync_e2e::tenant::{scripted_browser, Tenant};
use dirsync_e2e::window::{self, Options, Window};

/// The fixture other window tests build on: configure, sign in (scripted browser, token file),
/// sync; the data directory then reads as signed in with the users synced.
#[test]
fn the_tenant_fixture_signs_in_and_syncs() {
    let tenant = Tenant::start(30);
    let dir = tenant.data_dir();
    tenant.configure(dir);
    let auth =
        Auth::with_token_store(DataDir::at(dir).unwrap(), TokenStorePreference::File).unwrap();
    assert_eq!(auth.status().unwrap().state, SignInState::SignedOut);

    let signed_in = tenant.sign_in(dir);
    assert_eq!(
        signed_in.account.username.as_deref(),
        Some(tenant.emulator().admin_upn().as_str())
    );
    assert_eq!(auth.status().unwrap().state, SignInState::SignedIn);
    assert_eq!(
        tenant.expected_account().tenant_name,
        signed_in.account.tenant_name
    );

    let run = tenant.sync(dir);
    assert_eq!(run.status, RunStatus::Success);
    // The default sync scope keeps members (guests are out of scope).
    let members = tenant
        .emulator()
        .control()
        .users_snapshot()
        .iter()
        .filter(|u| u["userType"] == "Member")
        .count();
    assert!(members > 0);
    assert_eq!(run.counts.added as usize, members);
}

/// Options for a window on `dir` with the scripted browser (or one that never answers).
fn app_on(dir: &Path, browser: PathBuf) -> Options {
    Options {
        data_dir: Some(dir.to_path_buf()),
        browser: Some(browser),
        // Two app starts in one test: never let the second hand over to a lingering first.
        env: vec![("DIRSYNC_E2E_NO_SINGLE_INSTANCE".into(), "1".into())],
        ..Options::default()
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn sign_in_with_microsoft_shows_who_and_which_tenant_and_survives_a_restart() {
    let tenant = Tenant::start(20);
    let expected = tenant.expected_account().clone();
    let upn = expected.username.clone().unwrap();
    let name = expected.display_name.clone().unwrap();
    assert_eq!(upn, tenant.emulator().admin_upn());
    let dir = tenant.data_dir().to_path_buf();
    tenant.configure(&dir);
    let options = app_on(&dir, scripted_browser());

    window::run_opts(
        "signin_click",
        options.clone(),
        |_| {},
        async |w: &Window| {
            // A configured tenant: no welcome panel, the account area offers the sign-in.
            w.find("#account[data-state=\"signed_out\"]").await;
            w.find("#welcome[hidden]").await;
            assert_eq!(w.text("#sign-in").await, "Sign in with Microsoft");
            w.click("#sign-in").await;
            w.wait_for_text("#account-name", &name).await;
            let line = w.text("#account-tenant").await;
            assert_eq!(line, format!("{} · {upn}", expected.tenant_name));
            assert_eq!(w.text("#sign-out").await, "Sign out");
            w.snapshot("signed-in").await;
        },
    )
    .await;
    assert!(
        dir.join(FALLBACK_FILE).is_file(),
        "the refresh token went to the token file"
    );

    // A new app on the same data: still signed in; Sign out brings the button back.
    window::run_opts(
        "signin_restart",
        options,
        |_| {},
        async |w: &Window| {
            w.wait_for_text("#account-name", &name).await;
            w.open_page("settings").await;
            w.wait_for_text_containing("#tenant-status", &expected.tenant_name)
                .await;
            w.click("#sign-out").await;
            w.find("#account[data-state=\"signed_out\"]").await;
            assert_eq!(w.text("#sign-in").await, "Sign in with Microsoft");
            w.wait_for_text("#tenant-status", "Not signed in.").await;
        },
    )
    .await;
    assert!(
        !dir.join(FALLBACK_FILE).exists(),
        "sign-out removed the stored token"
    );
    let auth =
        Auth::with_token_store(DataDir::at(&dir).unwrap(), TokenStorePreference::File).unwrap();
    assert_eq!(auth.status().unwrap().state, SignInState::SignedOut);
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn cancel_while_the_browser_is_open_returns_to_signed_out() {
    let tenant = Tenant::start(5);
    let dir = tenant.data_dir().to_path_buf();
    tenant.configure(&dir);
    // `true` exits at once without visiting the page: the sign-in waits until cancelled.
    let options = app_on(&dir, PathBuf::from("true"));
    window::run_opts(
        "signin_cancel",
        options,
        |_| {},
        async |w: &Window| {
            w.click("#sign-in").await;
            w.wait_for_text("#sign-in-pending", "Finish signing in in your browser")
                .await;
            assert_eq!(
                w.text("#account-state").await,
                "Finish signing in in your browser"
            );
            let url = w
                .find("#sign-in-url")
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap();
            assert!(
                url.starts_with(&format!(
                    "{}/{}/oauth2/v2.0/authorize?",
                    tenant.emulator().authority(),
                    tenant.emulator().tenant_id()
                )),
                "{url}"
            );
            w.snapshot("signing-in").await;
            w.click("#cancel-sign-in").await;
            w.find("#account[data-state=\"signed_out\"]").await;
            w.find("#welcome[hidden]").await;
            assert_eq!(w.text("#sign-in").await, "Sign in with Microsoft");
        },
    )
    .await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn a_fresh_data_directory_offers_both_choices_and_the_demo_tenant() {
    let port = free_port();
    let options = Options {
        env: vec![("DIRSYNC_DEMO_PORT".into(), port.to_string().into())],
        ..Options::default()
    };
    window::run_opts(
        "signin_welcome",
        options,
        |_| {},
        async |w: &Window| {
            w.wait_for_text("#welcome-heading", "Welcome to Directory Sync")
                .await;
            assert_eq!(w.text("#welcome-sign-in").await, "Sign in with Microsoft");
            assert_eq!(w.text("#try-demo").await, "Try the demo tenant");
            w.find("#account[data-state=\"signed_out\"]").await;
            w.snapshot("welcome").await;

            // Settings › Tenant: a wrong field is named beside it and nothing is saved.
            w.open_page("settings").await;
            let graph = w.find("#setting-graph-url").await;
            graph.clear().await.unwrap();
            graph.send_keys("graph.example.com").await.unwrap();
            w.click("#save-tenant").await;
            w.wait_for_text_containing("#setting-graph-url-error", "https://")
                .await;
            w.snapshot("settings-tenant").await;
            let store = Store::open_in(&DataDir::at(w.data_dir()).unwrap()).unwrap();
            assert_eq!(
                settings::get(&store, "graph_url").unwrap(),
                "https://graph.microsoft.com"
            );

            // Try the demo tenant: the app starts its emulator and opens its sign-in page.
            w.click("#try-demo").await;
            w.wait_for_text("#sign-in-pending", "Finish signing in in your browser")
                .await;
            let url = w
                .find("#sign-in-url")
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap();
            assert!(
                url.starts_with(&format!("http://127.0.0.1:{port}/")),
                "{url}"
            );
            assert_eq!(settings::get(&store, "demo").unwrap(), "true");
            w.click("#cancel-sign-in").await;
            w.find("#account[data-state=\"signed_out\"]").await;
            w.wait_for_text_containing("#tenant-demo", "demo tenant")
                .await;
            w.snapshot("settings-demo").await;

            // Leave the demo tenant: the Microsoft endpoints are back, and so is the welcome.
            w.click("#leave-demo").await;
            w.wait_for_text("#welcome-heading", "Welcome to Directory Sync")
                .await;
            w.find("#setting-authority").await;
            assert_eq!(settings::get(&store, "demo").unwrap(), "false");
            assert_eq!(
                settings::get(&store, "authority").unwrap(),
                "https://login.microsoftonline.com"
            );
        },
    )
    .await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Issue 4: where no keychain answers, the refresh token goes to the 0600 file and the window
/// says so, once in the notices after sign-in and in Settings › Tenant. The app chooses its
/// token store itself here (`DIRSYNC_TOKEN_STORE=auto`); the test's session bus has no Secret
/// Service, as on a headless Linux machine.
#[tokio::test(flavor = "current_thread")]
#[ignore = "drives the real window: run with `cargo xtask test`"]
async fn without_a_keychain_the_window_says_the_sign_in_is_kept_in_a_file() {
    let bus = zbus::Connection::session()
        .await
        .expect("a session bus (run under dbus-run-session)");
    let dbus = zbus::fdo::DBusProxy::new(&bus).await.unwrap();
    let mut names = dbus.list_names().await.unwrap();
    names.extend(dbus.list_activatable_names().await.unwrap());
    assert!(
        !names
            .iter()
            .any(|n| n.as_str() == "org.freedesktop.secrets"),
        "this session bus offers a Secret Service, so no fallback can be observed: {names:?}"
    );

    let tenant = Tenant::start(5);
    let expected = tenant.expected_account().clone();
    let options = Options {
        env: vec![("DIRSYNC_TOKEN_STORE".into(), "auto".into())],
        ..Options::default()
    };
    let prepare = |dir: &Path| {
        tenant.signed_in(dir);
    };
    window::run_opts(
        "token_file_warning",
        options,
        prepare,
        async |w: &Window| {
            let file = w.data_dir().join(FALLBACK_FILE);
            let notice = w
                .wait_for_text_containing("#storage-warning", "No OS keychain")
                .await;
            assert!(
                notice.contains(&file.display().to_string()),
                "the notice names the file: {notice}"
            );
            // Still signed in: the fallback file is the one the sign-in wrote.
            w.wait_for_text_containing("#account-tenant", &expected.tenant_name)
                .await;

            w.open_page("settings").await;
            w.wait_for_text(
                "#token-storage",
                "A file in the data folder that only you can read",
            )
            .await;
            let note = w.text("#token-storage-warning").await;
            assert_eq!(note, notice);
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(&file).unwrap().permissions(),
            );
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        },
    )
    .await;
}
