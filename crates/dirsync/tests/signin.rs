//! Sign-in through the core's public API against the emulator: the interactive flow (scripted
//! browser), loopback hygiene (stray requests, wrong state, denial, timeout, cancel, single use),
//! code reuse, refresh rotation across restarts, renewal failure, identity errors in plain
//! language, the 0600 token file, sign-out, and client credentials.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dirsync::account::AccountMode;
use dirsync::auth::demo::{use_demo_tenant, DemoTenant};
use dirsync::auth::{
    Auth, AuthError, ClientSecret, SignInOptions, SignInState, Stage, TokenProvider,
    TokenStorePreference, FALLBACK_FILE,
};
use dirsync::datadir::DataDir;
use dirsync::graph::GraphClient;
use dirsync::settings;
use dirsync::store::Store;
use graph_emulator::{Emulator, EmulatorConfig};

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        auto_approve: true,
        users: 12,
        seed: 7,
        port: 0,
        ..Default::default()
    })
    .await
    .expect("emulator starts")
}

/// A data directory whose settings point at `emu`, with `client_id`, and an `Auth` on the
/// 0600 file store (tests never touch a real keychain).
fn setup(emu: &Emulator, client_id: &str) -> (tempfile::TempDir, Auth) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::at(tmp.path()).unwrap();
    let store = Store::open_in(&dir).unwrap();
    use_demo_tenant(
        &store,
        &DemoTenant {
            authority: emu.authority(),
            graph_url: emu.graph_url(),
            tenant_id: emu.tenant_id(),
            client_id: client_id.to_string(),
        },
    )
    .unwrap();
    let auth = Auth::with_token_store(dir, TokenStorePreference::File).unwrap();
    (tmp, auth)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// An in-process browser: follows redirects with plain GETs until a page that is not a
/// redirect. Returns every URL visited and the last status.
async fn follow(url: &str) -> (Vec<String>, u16) {
    let http = no_redirects();
    let mut url = url::Url::parse(url).unwrap();
    let mut visited = vec![];
    for _ in 0..20 {
        visited.push(url.to_string());
        let resp = http.get(url.clone()).send().await.expect("browser GET");
        let status = resp.status().as_u16();
        match resp.headers().get("location") {
            Some(loc) if resp.status().is_redirection() => {
                url = url.join(loc.to_str().unwrap()).unwrap();
            }
            _ => return (visited, status),
        }
    }
    panic!("redirect loop");
}

/// GET on the loopback listener; `Err` when nothing listens any more.
async fn loopback(redirect_uri: &str, path_and_query: &str) -> Result<(u16, String), String> {
    let url = format!("{}{}", redirect_uri.trim_end_matches('/'), path_and_query);
    match no_redirects().get(url).send().await {
        Ok(r) => Ok((r.status().as_u16(), r.text().await.unwrap_or_default())),
        Err(e) => Err(e.to_string()),
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn stored_refresh_token(auth: &Auth) -> String {
    let text = std::fs::read_to_string(auth.data_dir().path().join(FALLBACK_FILE)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["refresh_token"].as_str().unwrap().to_string()
}

async fn sign_in(auth: &Auth) -> dirsync::auth::SignedIn {
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let (_, status) = follow(pending.url()).await;
    assert_eq!(status, 200, "the loopback answered the browser");
    pending.finish().await.expect("sign-in succeeds")
}

/// The scripted browser binary from the graph-emulator crate, built on demand next to this test.
fn scripted_browser() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let bin = profile_dir.join(format!("scripted-browser{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let target_dir = profile_dir.parent().unwrap();
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "graph-emulator",
                "--bin",
                "scripted-browser",
                "--target-dir",
            ])
            .arg(target_dir)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building scripted-browser failed");
    }
    bin
}

#[tokio::test]
async fn whole_flow_with_the_scripted_browser() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    assert_eq!(auth.status().unwrap().state, SignInState::SignedOut);

    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let url = pending.url().to_string();
    assert!(url.starts_with(&format!(
        "{}/{}/oauth2/v2.0/authorize?",
        emu.authority(),
        emu.tenant_id()
    )));
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("openid profile offline_access User.Read.All")
    );
    assert!(query_param(&url, "state").is_some_and(|s| s.len() >= 16));
    let redirect = query_param(&url, "redirect_uri").unwrap();
    assert_eq!(redirect, pending.redirect_uri());
    assert!(redirect.starts_with("http://localhost:") && redirect.ends_with('/'));

    std::env::set_var(dirsync::auth::BROWSER_ENV, scripted_browser());
    pending.open_browser().expect("BROWSER runs");
    let signed_in = pending.finish().await.expect("sign-in succeeds");

    let a = &signed_in.account;
    assert_eq!(a.mode, AccountMode::User);
    assert_eq!(a.username.as_deref(), Some(emu.admin_upn().as_str()));
    assert!(a.display_name.as_deref().is_some_and(|n| !n.is_empty()));
    assert_eq!(a.tenant_id, emu.tenant_id());
    assert_eq!(a.tenant_name, "Contoso");
    assert!(
        signed_in.storage_warning.is_none(),
        "file store chosen explicitly, not as a fallback"
    );

    let status = auth.status().unwrap();
    assert_eq!(status.state, SignInState::SignedIn);
    assert_eq!(status.account.unwrap().username, a.username);

    // The stored sign-in works for Graph.
    let graph = GraphClient::new(&emu.graph_url(), auth.token_provider().unwrap()).unwrap();
    let me: serde_json::Value = graph.get_json("me", &[]).await.unwrap();
    assert_eq!(
        me["userPrincipalName"].as_str(),
        Some(emu.admin_upn().as_str())
    );
}

#[tokio::test]
async fn stray_requests_and_wrong_state_do_not_end_the_flow() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let redirect = pending.redirect_uri().to_string();
    let state = query_param(pending.url(), "state").unwrap();

    let (status, _) = loopback(&redirect, "/favicon.ico").await.unwrap();
    assert_eq!(status, 404);
    let (status, body) = loopback(&redirect, "/?code=forged&state=not-the-state")
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("does not belong to the sign-in in progress"));
    let (status, _) = loopback(&redirect, "/?code=forged").await.unwrap();
    assert_eq!(status, 400, "a callback without state is refused");
    let (status, _) = loopback(&redirect, &format!("/?state={state}"))
        .await
        .unwrap();
    assert_eq!(status, 400, "neither code nor error");
    let (status, _) = loopback(&redirect, &format!("/other?code=x&state={state}"))
        .await
        .unwrap();
    assert_eq!(status, 404);
    let post = no_redirects()
        .post(&redirect)
        .body("code=x")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);

    // The real browser round still completes the same sign-in.
    let (_, status) = follow(pending.url()).await;
    assert_eq!(status, 200);
    let signed_in = pending.finish().await.expect("flow survived the strays");
    assert_eq!(
        signed_in.account.username.as_deref(),
        Some(emu.admin_upn().as_str())
    );

    // Single use: the listener is gone once the flow has its answer.
    assert!(loopback(&redirect, &format!("/?code=x&state={state}"))
        .await
        .is_err());
}

#[tokio::test]
async fn access_denied_callback_is_reported_in_plain_language() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let redirect = pending.redirect_uri().to_string();
    let state = query_param(pending.url(), "state").unwrap();
    // What the identity platform sends when the user declines consent.
    let (status, page) = loopback(
        &redirect,
        &format!(
            "/?error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent+to+access+the+app.&error_subcode=cancel&state={state}"
        ),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("Go back to Directory Sync"));
    let err = pending.finish().await.unwrap_err();
    assert_eq!(err.aadsts_code(), Some("AADSTS65004"));
    assert!(
        err.to_string().contains("You declined the permissions"),
        "{err}"
    );
    assert_eq!(auth.status().unwrap().state, SignInState::SignedOut);
}

#[tokio::test]
async fn access_denied_without_a_code_keeps_the_oauth_error() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let state = query_param(pending.url(), "state").unwrap();
    loopback(
        pending.redirect_uri(),
        &format!("/?error=access_denied&error_description=AADSTS50126%3A+The+user+canceled+the+sign-in.&state={state}"),
    )
    .await
    .unwrap();
    let err = pending.finish().await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("refused or cancelled in the browser"),
        "{text}"
    );
    assert!(text.contains("AADSTS50126"), "{text}");
}

#[tokio::test]
async fn sign_in_times_out_with_a_clear_message() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    let pending = auth
        .start_sign_in(SignInOptions {
            timeout: Duration::from_millis(300),
            ..Default::default()
        })
        .await
        .unwrap();
    let redirect = pending.redirect_uri().to_string();
    let err = pending.finish().await.unwrap_err();
    assert!(matches!(err, AuthError::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains("start the sign-in again"));
    assert!(
        loopback(&redirect, "/").await.is_err(),
        "listener closed after the timeout"
    );
}

#[tokio::test]
async fn sign_in_can_be_cancelled() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let redirect = pending.redirect_uri().to_string();
    let cancel = pending.canceller();
    let waiter = tokio::spawn(pending.finish());
    cancel.cancel();
    let err = waiter.await.unwrap().unwrap_err();
    assert!(matches!(err, AuthError::Cancelled), "{err:?}");
    assert!(
        loopback(&redirect, "/").await.is_err(),
        "listener closed after cancel"
    );
}

#[tokio::test]
async fn a_code_cannot_be_used_twice() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let redirect = pending.redirect_uri().to_string();
    let (visited, _) = follow(pending.url()).await;
    pending.finish().await.unwrap();
    let callback = visited.last().unwrap().clone();
    let code = query_param(&callback, "code").expect("the browser carried a code");

    // Replaying the callback finds no listener (single use)...
    assert!(no_redirects().get(&callback).send().await.is_err());
    // ...and redeeming the code again is refused by the identity platform, which the core
    // explains in plain language.
    let resp = no_redirects()
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            emu.authority(),
            emu.tenant_id()
        ))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", emu.client_id().as_str()),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: dirsync::auth::AadErrorResponse = resp.json().await.unwrap();
    let cfg = auth.config().unwrap();
    let err = dirsync::auth::explain_identity_error(
        Stage::Redeem,
        &body.error,
        body.error_description.as_deref(),
        &body.error_codes,
        &cfg,
        Some(&redirect),
    );
    assert_eq!(err.aadsts_code(), Some("AADSTS54005"));
    assert!(err.to_string().contains("already used"), "{err}");
    assert!(!err.to_string().contains(&code));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_survive_a_restart() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    sign_in(&auth).await;
    let rt1 = stored_refresh_token(&auth);

    // "Restart": a new Auth over the same data directory has no access token in memory.
    let auth2 =
        Auth::with_token_store(auth.data_dir().clone(), TokenStorePreference::File).unwrap();
    let provider = auth2.token_provider().unwrap();
    let at = provider.access_token(false).await.unwrap();
    assert!(!at.is_empty());
    let rt2 = stored_refresh_token(&auth2);
    assert_ne!(rt1, rt2, "the rotated refresh token replaced the old one");
    // Cached: no renewal while the access token is fresh.
    assert_eq!(provider.access_token(false).await.unwrap(), at);
    assert_eq!(stored_refresh_token(&auth2), rt2);

    let auth3 =
        Auth::with_token_store(auth.data_dir().clone(), TokenStorePreference::File).unwrap();
    let graph = GraphClient::new(&emu.graph_url(), auth3.token_provider().unwrap()).unwrap();
    let me: serde_json::Value = graph.get_json("me", &[]).await.unwrap();
    assert_eq!(
        me["userPrincipalName"].as_str(),
        Some(emu.admin_upn().as_str())
    );
    assert_ne!(stored_refresh_token(&auth3), rt2);
}

#[tokio::test]
async fn expired_access_token_is_renewed_when_graph_answers_401() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    sign_in(&auth).await;
    let provider = auth.token_provider().unwrap();
    let graph = GraphClient::new(&emu.graph_url(), provider.clone()).unwrap();
    let _: serde_json::Value = graph.get_json("me", &[]).await.unwrap();
    let before = stored_refresh_token(&auth);
    // The emulator's clock moves past the access token's lifetime; ours does not, so only the
    // 401 tells the client.
    emu.control().advance_clock(chrono::Duration::hours(2));
    let _: serde_json::Value = graph.get_json("me", &[]).await.unwrap();
    assert_ne!(
        stored_refresh_token(&auth),
        before,
        "renewal stored the rotated token"
    );
}

#[tokio::test]
async fn revoked_refresh_token_marks_the_account() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    sign_in(&auth).await;
    emu.control().advance_clock(chrono::Duration::seconds(5));
    emu.control().revoke_refresh_tokens();

    let provider = auth.token_provider().unwrap();
    let err = provider.access_token(false).await.unwrap_err();
    assert!(err.is_sign_in_required(), "{err:?}");
    assert!(err.to_string().contains("AADSTS50173"), "{err}");

    let status = auth.status().unwrap();
    assert_eq!(status.state, SignInState::SignInRequired);
    assert!(status.reason.unwrap().contains("revoked"));
    assert!(auth.token_provider().err().unwrap().is_sign_in_required());

    // A Graph call (what a sync does) fails with the same reason.
    let graph = GraphClient::new(&emu.graph_url(), provider).unwrap();
    let gerr = graph
        .get_json::<serde_json::Value>("me", &[])
        .await
        .unwrap_err();
    assert!(gerr.is_sign_in_required(), "{gerr}");

    // Signing in again clears the mark.
    sign_in(&auth).await;
    assert_eq!(auth.status().unwrap().state, SignInState::SignedIn);
}

#[tokio::test]
async fn refresh_token_expired_for_inactivity_marks_the_account() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    sign_in(&auth).await;
    emu.control().advance_clock(chrono::Duration::days(91));
    let err = auth
        .token_provider()
        .unwrap()
        .access_token(false)
        .await
        .unwrap_err();
    assert!(err.is_sign_in_required());
    assert!(err.to_string().contains("AADSTS700082"), "{err}");
    assert_eq!(auth.status().unwrap().state, SignInState::SignInRequired);
}

#[tokio::test]
async fn missing_admin_consent_names_the_admin_consent_url() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, graph_emulator::NO_CONSENT_CLIENT_ID);
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    follow(pending.url()).await;
    let err = pending.finish().await.unwrap_err();
    match &err {
        AuthError::AdminConsentRequired {
            code,
            admin_consent_url,
        } => {
            assert_eq!(code, "AADSTS65001");
            assert_eq!(
                admin_consent_url,
                &format!(
                    "{}/{}/adminconsent?client_id={}",
                    emu.authority(),
                    emu.tenant_id(),
                    graph_emulator::NO_CONSENT_CLIENT_ID
                )
            );
        }
        other => panic!("expected AdminConsentRequired, got {other:?}"),
    }
    assert!(err.to_string().contains("Global Administrator"));
    assert_eq!(auth.status().unwrap().state, SignInState::SignedOut);
    assert!(!auth.data_dir().path().join(FALLBACK_FILE).exists());
}

#[tokio::test]
async fn redirect_registered_under_web_is_explained() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, graph_emulator::WEB_REDIRECT_CLIENT_ID);
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    follow(pending.url()).await;
    let err = pending.finish().await.unwrap_err();
    assert_eq!(err.aadsts_code(), Some("AADSTS7000218"));
    assert!(
        err.to_string().contains("Mobile and desktop applications"),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_application_is_explained() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, "00000000-1111-2222-3333-444444444444");
    let pending = auth.start_sign_in(SignInOptions::default()).await.unwrap();
    let (visited, status) = follow(pending.url()).await;
    // The identity platform shows its error page and never comes back to the app.
    assert_eq!(visited.len(), 1);
    assert_ne!(status, 302);
    pending.canceller().cancel();
    assert!(matches!(pending.finish().await, Err(AuthError::Cancelled)));
}

#[tokio::test]
async fn no_client_id_is_refused_before_anything_starts() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, "");
    let err = auth
        .start_sign_in(SignInOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Config(_)));
    assert!(err.to_string().contains("client_id"));
}

#[cfg(unix)]
#[tokio::test]
async fn token_file_is_private_and_sign_out_removes_it() {
    use std::os::unix::fs::PermissionsExt;
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    sign_in(&auth).await;
    let file = auth.data_dir().path().join(FALLBACK_FILE);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Still 0600 after a rotation rewrote it.
    auth.token_provider()
        .unwrap()
        .access_token(true)
        .await
        .unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The database never holds a token.
    let rt = stored_refresh_token(&auth);
    let db = std::fs::read(auth.data_dir().database_path()).unwrap();
    assert!(!db.windows(rt.len()).any(|w| w == rt.as_bytes()));

    auth.sign_out().await.unwrap();
    assert!(!file.exists());
    assert_eq!(auth.status().unwrap().state, SignInState::SignedOut);
    assert!(auth.token_provider().err().unwrap().is_sign_in_required());
}

#[tokio::test]
async fn changing_the_tenant_settings_requires_a_new_sign_in() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, &emu.client_id());
    sign_in(&auth).await;
    let store = Store::open_in(auth.data_dir()).unwrap();
    settings::set(&store, "tenant", "organizations").unwrap();
    let status = auth.status().unwrap();
    assert_eq!(status.state, SignInState::SignInRequired);
    assert!(status.reason.unwrap().contains("tenant"));
}

#[tokio::test]
async fn client_credentials_sign_in_as_the_application() {
    let emu = emulator().await;
    let (tmp, auth) = setup(&emu, graph_emulator::CONFIDENTIAL_CLIENT_ID);
    let secret_file = tmp.path().join("secret");
    std::fs::write(
        &secret_file,
        format!("{}\n", graph_emulator::CONFIDENTIAL_CLIENT_SECRET),
    )
    .unwrap();

    // A wrong secret is refused without being echoed.
    let err = auth
        .sign_in_app(ClientSecret::new("wrong-secret-value"))
        .await
        .unwrap_err();
    assert_eq!(err.aadsts_code(), Some("AADSTS7000215"));
    assert!(!err.to_string().contains("wrong-secret-value"));

    let secret = ClientSecret::from_env_or_file(Some(&secret_file)).unwrap();
    assert!(!format!("{secret:?}").contains(graph_emulator::CONFIDENTIAL_CLIENT_SECRET));
    let signed_in = auth.sign_in_app(secret).await.unwrap();
    assert_eq!(signed_in.account.mode, AccountMode::App);
    assert_eq!(signed_in.account.tenant_name, "Contoso");
    assert!(
        !auth.data_dir().path().join(FALLBACK_FILE).exists(),
        "no secret or token stored"
    );

    // Unattended runs find the secret through the client_secret_file setting.
    let store = Store::open_in(auth.data_dir()).unwrap();
    settings::set(&store, "client_secret_file", secret_file.to_str().unwrap()).unwrap();
    let provider: Arc<dyn TokenProvider> = auth.token_provider().unwrap();
    let graph = GraphClient::new(&emu.graph_url(), provider).unwrap();
    let users: serde_json::Value = graph.get_json("users?$select=id", &[]).await.unwrap();
    assert!(users["value"].as_array().is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn client_credentials_need_a_specific_tenant() {
    let emu = emulator().await;
    let (_tmp, auth) = setup(&emu, graph_emulator::CONFIDENTIAL_CLIENT_ID);
    settings::set(
        &Store::open_in(auth.data_dir()).unwrap(),
        "tenant",
        "organizations",
    )
    .unwrap();
    let err = auth.sign_in_app(ClientSecret::new("x")).await.unwrap_err();
    assert!(matches!(err, AuthError::Config(_)), "{err:?}");
}

/// Headless Linux: with no session bus there is no Secret Service, so the refresh token goes to
/// the 0600 file and the fallback is announced. (Only this test uses the automatic choice, and
/// the keychain probe runs once per process, so clearing the bus address here is contained.)
#[cfg(target_os = "linux")]
#[test]
fn without_a_keychain_the_token_store_falls_back_to_a_private_file_and_says_so() {
    std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
    std::env::remove_var("DISPLAY");
    let tmp = tempfile::tempdir().unwrap();
    let auth = Auth::with_token_store(DataDir::at(tmp.path()).unwrap(), TokenStorePreference::Auto)
        .unwrap();
    assert_eq!(
        auth.token_store().kind(),
        dirsync::auth::TokenStorageKind::File { fallback: true }
    );
    let warning = auth.storage_warning().expect("the fallback is announced");
    assert!(warning.contains("No OS keychain"), "{warning}");
    assert_eq!(auth.status().unwrap().storage_warning, Some(warning));
    // Forcing the keychain where none exists is an error, not a silent fallback.
    let err = Auth::with_token_store(
        DataDir::at(tmp.path()).unwrap(),
        TokenStorePreference::Keychain,
    )
    .unwrap_err();
    assert!(matches!(err, AuthError::TokenStorage(_)), "{err:?}");
}
