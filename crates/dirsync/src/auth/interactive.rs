//! Interactive sign-in: authorization code with PKCE S256 and a random `state`, answered on the
//! loopback listener. `start` returns the URL at once; `finish` waits for the browser, redeems
//! the code, stores the refresh token and records who signed in.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse,
};
use tokio::sync::{oneshot, watch};

use super::aad::{self, Stage};
use super::config::USER_SCOPES;
use super::loopback::{self, Callback};
use super::oauth::{self, CachedToken};
use super::session::UserTokenProvider;
use super::{whoami, Auth, AuthConfig, AuthError, SignedIn};
use crate::account::{self, Account, AccountMode};
use crate::store::Store;

/// How long the listener waits for the browser (MSAL advises "at least a few minutes").
pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Options for [`Auth::start_sign_in`].
#[derive(Debug, Clone)]
pub struct SignInOptions {
    pub timeout: Duration,
    /// `prompt=select_account` etc.; `None` lets the identity platform decide.
    pub prompt: Option<String>,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_SIGN_IN_TIMEOUT,
            prompt: None,
        }
    }
}

/// Cancels a sign-in in progress (from the UI's Cancel button). Cheap to clone.
#[derive(Clone)]
pub struct SignInCanceller(Arc<watch::Sender<bool>>);

impl SignInCanceller {
    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

/// A sign-in waiting for the browser. Show or open [`url`](Self::url), then await
/// [`finish`](Self::finish). Dropping it closes the listener.
pub struct PendingSignIn {
    auth: Auth,
    cfg: AuthConfig,
    url: String,
    redirect_uri: String,
    verifier: PkceCodeVerifier,
    cancel: SignInCanceller,
    result: oneshot::Receiver<Result<Callback, AuthError>>,
}

impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

pub(crate) async fn start(auth: &Auth, opts: SignInOptions) -> Result<PendingSignIn, AuthError> {
    let cfg = auth.config()?;
    cfg.require_client_id()?;
    let (pkce_challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let lb = loopback::start(state.secret().clone(), opts.timeout, cancel_rx).await?;
    let client = oauth::authorize_client(&cfg, &lb.redirect_uri)?;
    let mut req = client
        .authorize_url(|| state)
        .add_scopes(USER_SCOPES.iter().map(|s| Scope::new(s.to_string())))
        .set_pkce_challenge(pkce_challenge);
    if let Some(prompt) = &opts.prompt {
        req = req.add_extra_param("prompt", prompt.clone());
    }
    let (url, _state) = req.url();
    tracing::info!(redirect_uri = %lb.redirect_uri, "sign-in started; waiting for the browser");
    Ok(PendingSignIn {
        auth: auth.clone(),
        cfg,
        url: url.to_string(),
        redirect_uri: lb.redirect_uri,
        verifier,
        cancel: SignInCanceller(Arc::new(cancel_tx)),
        result: lb.result,
    })
}

impl PendingSignIn {
    /// The sign-in page to open in the browser.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The loopback redirect URI (`http://localhost:PORT/`).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub fn canceller(&self) -> SignInCanceller {
        self.cancel.clone()
    }

    /// Opens the system browser (or `BROWSER`) on the sign-in page. On error, show the URL.
    pub fn open_browser(&self) -> Result<(), String> {
        super::browser::open_browser(&self.url)
    }

    /// Waits for the browser, redeems the code, stores the refresh token, reads `/me` and
    /// `/organization`, and records the account.
    pub async fn finish(self) -> Result<SignedIn, AuthError> {
        let PendingSignIn {
            auth,
            cfg,
            redirect_uri,
            verifier,
            cancel,
            result,
            ..
        } = self;
        let callback = result.await.unwrap_or(Err(AuthError::Cancelled));
        drop(cancel);
        let code = match callback? {
            Callback::Code(code) => AuthorizationCode::new(code),
            Callback::Error { error, description } => {
                let e = aad::explain(
                    Stage::Authorize,
                    &error,
                    description.as_deref(),
                    &[],
                    &cfg,
                    Some(&redirect_uri),
                );
                tracing::warn!("sign-in refused: {e}");
                return Err(e);
            }
        };
        let client = oauth::authorize_client(&cfg, &redirect_uri)?;
        let resp = client
            .exchange_code(code)
            .set_pkce_verifier(verifier)
            .request_async(auth.http())
            .await
            .map_err(|e| {
                let url = cfg.token_endpoint(&cfg.tenant);
                oauth::map_token_error(e, Stage::Redeem, &cfg, &url, Some(&redirect_uri))
            })?;
        let refresh = resp.refresh_token().map(|r| r.secret().clone()).ok_or_else(|| AuthError::Identity {
            code: None,
            message: "the sign-in service returned no refresh token (offline_access was not granted), \
                      so Directory Sync could not stay signed in; check the app registration's permissions"
                .into(),
        })?;
        let claims = oauth::id_claims(&resp);
        let initial = CachedToken::from_response(&resp);

        // Read who and where with the fresh token (renewal, if Graph wants it, goes through the
        // configured tenant until the account's own tenant is known).
        let provider = Arc::new(UserTokenProvider::new(
            cfg.clone(),
            cfg.tenant.clone(),
            auth.token_store().clone(),
            auth.data_dir().clone(),
            auth.http().clone(),
            Some(initial),
        ));
        // The refresh token is stored first so the provider can renew if Graph asks it to.
        let (store, key) = (auth.token_store().clone(), cfg.token_key());
        tokio::task::spawn_blocking(move || store.save(&key, &refresh))
            .await
            .map_err(|e| AuthError::TokenStorage(e.to_string()))??;
        let graph = whoami::client(&cfg.graph_url, provider)?;
        let me = whoami::me(&graph).await?;
        let org = whoami::organization(&graph).await?;
        let (tenant_id, tenant_name) = match (org, claims.tid) {
            (Some(o), _) => (o.id, o.display_name),
            (None, Some(tid)) => (tid.clone(), tid),
            (None, None) => (cfg.tenant.clone(), cfg.tenant.clone()),
        };
        let acct = Account {
            mode: AccountMode::User,
            authority: cfg.authority.clone(),
            tenant: cfg.tenant.clone(),
            client_id: cfg.client_id.clone(),
            graph_url: cfg.graph_url.clone(),
            tenant_id,
            tenant_name,
            user_id: Some(me.id),
            username: Some(me.user_principal_name),
            display_name: Some(me.display_name),
            signed_in_at: Utc::now(),
            sign_in_required: None,
        };
        let dir = auth.data_dir().clone();
        let saved = acct.clone();
        tokio::task::spawn_blocking(move || {
            let store = Store::open_in(&dir)?;
            account::save(&store, &saved)
        })
        .await
        .map_err(|e| AuthError::TokenStorage(e.to_string()))??;
        tracing::info!("signed in as {}", acct.summary());
        Ok(SignedIn {
            account: acct,
            storage_warning: auth.storage_warning(),
        })
    }
}
