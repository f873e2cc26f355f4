//! Sign-in from the UI: status for the account area, Sign in with Microsoft (returns the URL at
//! once; the outcome arrives as an `auth://changed` event), Cancel, Sign out, and the demo tenant.
//!
//! Every change of sign-in state is also pushed as [`CHANGED_EVENT`] carrying an [`AuthView`],
//! so the account area, the welcome panel and Settings stay in step whoever caused it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use dirsync::account::{Account, AccountMode};
use dirsync::auth::{
    self, Auth, AuthError, SignInCanceller, SignInOptions, SignInState, TokenStorageKind,
};
use dirsync::datadir::DataDir;
use dirsync::settings;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::demo::DemoHost;
use crate::{error::Error, state::AppState};

/// Event carrying an [`AuthView`] whenever sign-in state changes.
pub const CHANGED_EVENT: &str = "auth://changed";

/// The sign-in in progress (at most one) and the app's `Auth`; managed state.
#[derive(Default)]
pub struct SignInFlow {
    auth: Mutex<Option<Auth>>,
    pending: Mutex<Option<Pending>>,
    next_id: AtomicU64,
}

struct Pending {
    id: u64,
    url: String,
    browser_error: Option<String>,
    cancel: SignInCanceller,
}

impl SignInFlow {
    /// The app's `Auth`, created on first use (choosing the token store may ask D-Bus whether a
    /// keychain answers, so it happens off the async threads).
    async fn auth(&self, dir: &DataDir) -> Result<Auth, Error> {
        if let Some(auth) = self.lock_auth().as_ref() {
            return Ok(auth.clone());
        }
        let dir = dir.clone();
        let auth = tauri::async_runtime::spawn_blocking(move || Auth::new(dir))
            .await
            .map_err(|e| Error::Auth(AuthError::TokenStorage(e.to_string())))??;
        *self.lock_auth() = Some(auth.clone());
        Ok(auth)
    }

    fn lock_auth(&self) -> std::sync::MutexGuard<'_, Option<Auth>> {
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Option<Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Cancels the sign-in in progress, if any; its task then reports the signed-out state.
    pub fn cancel(&self) -> bool {
        match self.lock_pending().as_ref() {
            Some(p) => {
                p.cancel.cancel();
                true
            }
            None => false,
        }
    }
}

/// What the account area, the welcome panel and Settings show.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthView {
    /// `signed_in`, `sign_in_required`, `signed_out`, or `signing_in` while the browser is open.
    pub state: &'static str,
    /// Why a sign-in is required (renewal failed for good, settings changed).
    pub reason: Option<String>,
    pub account: Option<AccountView>,
    /// A client id is set (or the demo tenant is chosen): Sign in with Microsoft can start.
    pub tenant_configured: bool,
    pub demo: bool,
    /// `keychain` or `file`.
    pub token_storage: &'static str,
    /// Set when the refresh token lives in the 0600 file because no keychain answers.
    pub storage_warning: Option<String>,
    /// The demo tenant is not on its usual port (another program holds it).
    pub demo_notice: Option<String>,
    /// While signing in: the page to finish in the browser.
    pub sign_in: Option<PendingView>,
    /// After a failed attempt (events only): what went wrong, in plain language.
    pub error: Option<AuthErrorView>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// `user` (a signed-in admin) or `app` (the application itself, unattended).
    pub mode: &'static str,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub tenant_name: String,
    pub tenant_id: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingView {
    pub url: String,
    /// Why the browser did not open, when it did not: the UI then asks to copy the URL.
    pub browser_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthErrorView {
    pub code: &'static str,
    pub message: String,
    /// For `admin_consent_required`: the page a Global Administrator opens to grant consent.
    pub admin_consent_url: Option<String>,
}

impl From<&AuthError> for AuthErrorView {
    fn from(e: &AuthError) -> Self {
        Self {
            code: crate::error::auth_code(e),
            // Redacted like every error the UI shows (`Error::message`).
            message: dirsync::runs::redact(&e.to_string()).into_owned(),
            admin_consent_url: match e {
                AuthError::AdminConsentRequired {
                    admin_consent_url, ..
                } => Some(admin_consent_url.clone()),
                _ => None,
            },
        }
    }
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            mode: match a.mode {
                AccountMode::User => "user",
                AccountMode::App => "app",
            },
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            tenant_name: a.tenant_name.clone(),
            tenant_id: a.tenant_id.clone(),
        }
    }
}

/// Builds the view from the core's status, the settings and the flow.
pub async fn view<R: Runtime>(app: &AppHandle<R>) -> Result<AuthView, Error> {
    let state = app.state::<AppState>();
    let flow = app.state::<SignInFlow>();
    let dir = state.data_dir()?.clone();
    let auth = flow.auth(&dir).await?;
    let status = {
        let auth = auth.clone();
        tauri::async_runtime::spawn_blocking(move || auth.status())
            .await
            .map_err(|e| Error::Auth(AuthError::TokenStorage(e.to_string())))??
    };
    let (client_id, demo) = {
        let store = state.store()?;
        (
            settings::get(&store, "client_id")?,
            auth::demo::is_demo(&store)?,
        )
    };
    let sign_in = flow.lock_pending().as_ref().map(|p| PendingView {
        url: p.url.clone(),
        browser_error: p.browser_error.clone(),
    });
    let state = match (&sign_in, status.state) {
        (Some(_), _) => "signing_in",
        (None, SignInState::SignedIn) => "signed_in",
        (None, SignInState::SignInRequired) => "sign_in_required",
        (None, SignInState::SignedOut) => "signed_out",
    };
    Ok(AuthView {
        state,
        // Why a sign-in is needed can quote the identity platform; redacted like every error.
        reason: status
            .reason
            .map(|r| dirsync::runs::redact(&r).into_owned()),
        account: status.account.as_ref().map(AccountView::from),
        tenant_configured: demo || !client_id.trim().is_empty(),
        demo,
        token_storage: match status.token_storage {
            TokenStorageKind::Keychain => "keychain",
            TokenStorageKind::File { .. } => "file",
        },
        storage_warning: status.storage_warning,
        demo_notice: demo.then(|| app.state::<DemoHost>().notice()).flatten(),
        sign_in,
        error: None,
    })
}

/// Pushes the current view to every window (after a change nobody's call returns).
pub async fn announce<R: Runtime>(app: &AppHandle<R>, error: Option<AuthErrorView>) {
    match view(app).await {
        Ok(mut v) => {
            v.error = error;
            if let Err(e) = app.emit(CHANGED_EVENT, v) {
                tracing::warn!("cannot tell the window about the sign-in change: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot read the sign-in state: {e}"),
    }
}

/// Signed in (who, which tenant), sign-in required (why), signed out, or signing in.
#[tauri::command]
pub async fn auth_status<R: Runtime>(app: AppHandle<R>) -> Result<AuthView, Error> {
    view(&app).await
}

/// Sign in with Microsoft: opens the browser on the sign-in page and returns at once with the
/// URL (to copy if the browser did not open). The outcome arrives as an `auth://changed` event.
#[tauri::command]
pub async fn start_sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    flow: State<'_, SignInFlow>,
) -> Result<AuthView, Error> {
    let dir = state.data_dir()?.clone();
    if auth::demo::is_demo(&*state.store()?)? {
        // After a restart the demo tenant may not run yet (e.g. it was left and chosen again).
        let demo = app
            .state::<DemoHost>()
            .ensure()
            .await
            .map_err(Error::Demo)?;
        auth::demo::use_demo_tenant(&*state.store()?, &demo)?;
    }
    // A second click replaces the first attempt.
    flow.cancel();
    let auth = flow.auth(&dir).await?;
    let pending = auth.start_sign_in(SignInOptions::default()).await?;
    let browser_error = pending.open_browser().err();
    if let Some(e) = &browser_error {
        tracing::warn!("{e}; the window shows the sign-in address to open by hand");
    }
    let id = flow.next_id.fetch_add(1, Ordering::Relaxed);
    *flow.lock_pending() = Some(Pending {
        id,
        url: pending.url().to_string(),
        browser_error,
        cancel: pending.canceller(),
    });
    let task_app = app.clone();
    tauri::async_runtime::spawn(async move {
        let outcome = pending.finish().await;
        {
            let flow = task_app.state::<SignInFlow>();
            let mut current = flow.lock_pending();
            if current.as_ref().is_some_and(|p| p.id == id) {
                *current = None;
            }
        }
        let error = match &outcome {
            Ok(_) | Err(AuthError::Cancelled) => None,
            Err(e) => {
                let view = AuthErrorView::from(e);
                tracing::warn!("sign-in failed: {}", view.message);
                Some(view)
            }
        };
        announce(&task_app, error).await;
    });
    view(&app).await
}

/// Cancel while the browser is open; the `auth://changed` event then reports signed out.
#[tauri::command]
pub fn cancel_sign_in(flow: State<'_, SignInFlow>) -> bool {
    flow.cancel()
}

/// Sign out: removes the stored tokens and forgets the account.
#[tauri::command]
pub async fn sign_out<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    flow: State<'_, SignInFlow>,
) -> Result<AuthView, Error> {
    flow.cancel();
    let auth = flow.auth(state.data_dir()?).await?;
    auth.sign_out().await?;
    announce(&app, None).await;
    view(&app).await
}

/// Try the demo tenant: starts the emulator in the app and points the settings at it. The
/// UI then starts the sign-in (the emulator's own sign-in page opens in the browser).
#[tauri::command]
pub async fn use_demo_tenant<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<AuthView, Error> {
    let demo = app
        .state::<DemoHost>()
        .ensure()
        .await
        .map_err(Error::Demo)?;
    auth::demo::use_demo_tenant(&*state.store()?, &demo)?;
    announce(&app, None).await;
    view(&app).await
}

/// Leave the demo tenant: signs out of it, stops it, and restores the Microsoft endpoints.
#[tauri::command]
pub async fn leave_demo_tenant<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    flow: State<'_, SignInFlow>,
) -> Result<AuthView, Error> {
    flow.cancel();
    let auth = flow.auth(state.data_dir()?).await?;
    auth.sign_out().await?;
    auth::demo::leave_demo_tenant(&*state.store()?)?;
    app.state::<DemoHost>().stop().await;
    announce(&app, None).await;
    view(&app).await
}

/// At start: when the settings (or `--demo`) choose the demo tenant, start it and keep the
/// settings pointing at it. A failure is logged and shown when the admin signs in.
pub fn resume_demo<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Ok(store) = state.store() else { return };
    let chosen = crate::demo::requested_at_start() || auth::demo::is_demo(&store).unwrap_or(false);
    drop(store);
    if !chosen {
        return;
    }
    let started = tauri::async_runtime::block_on(app.state::<DemoHost>().ensure());
    let applied = started.and_then(|demo| {
        let store = state.store().map_err(|e| e.to_string())?;
        auth::demo::use_demo_tenant(&store, &demo).map_err(|e| e.to_string())
    });
    if let Err(e) = applied {
        tracing::error!("the demo tenant could not start: {e}");
    }
}
