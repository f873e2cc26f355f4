//! Signing in to the Microsoft identity platform and keeping a valid access token for Graph.
//!
//! [`Auth`] is the one entry point for the app and the CLI:
//! ```no_run
//! # async fn demo(dir: dirsync::datadir::DataDir) -> Result<(), dirsync::auth::AuthError> {
//! use dirsync::auth::{Auth, SignInOptions};
//! let auth = Auth::new(dir)?;
//! let pending = auth.start_sign_in(SignInOptions::default()).await?;
//! let _ = pending.open_browser();            // or show pending.url()
//! let cancel = pending.canceller();          // for a Cancel button
//! let signed_in = pending.finish().await?;   // who and which tenant
//! let status = auth.status()?;               // signed in / sign-in required / signed out
//! let tokens = auth.token_provider()?;       // for GraphClient
//! auth.sign_out().await?;
//! # let _ = (cancel, signed_in, status, tokens); Ok(()) }
//! ```

mod aad;
mod browser;
mod config;
pub mod demo;
mod interactive;
mod loopback;
mod oauth;
mod provider;
mod session;
mod token_store;
mod whoami;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;

pub use aad::{aadsts_code, explain as explain_identity_error, AadErrorResponse, Stage};
pub use browser::{open_browser, BROWSER_ENV};
pub use config::{AuthConfig, KEYCHAIN_SERVICE, USER_SCOPES};
pub use interactive::{PendingSignIn, SignInCanceller, SignInOptions, DEFAULT_SIGN_IN_TIMEOUT};
pub use provider::{AuthError, TokenProvider};
pub use session::{AppTokenProvider, ClientSecret, UserTokenProvider, CLIENT_SECRET_ENV};
pub use token_store::{
    TokenStorageKind, TokenStore, TokenStorePreference, FALLBACK_FILE, TOKEN_STORE_ENV,
};

use crate::account::{self, Account, AccountMode};
use crate::datadir::DataDir;
use crate::settings;
use crate::store::Store;

/// The result of a successful sign-in.
#[derive(Debug, Clone, Serialize)]
pub struct SignedIn {
    pub account: Account,
    /// Set once when the refresh token went to the fallback file (no keychain reachable).
    pub storage_warning: Option<String>,
}

/// Where sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInState {
    SignedIn,
    SignInRequired,
    SignedOut,
}

/// Sign-in status for the account area, `dirsync status`, and sync preconditions.
#[derive(Debug, Clone, Serialize)]
pub struct AuthStatus {
    pub state: SignInState,
    /// Why a sign-in is required (renewal failed for good, settings changed).
    pub reason: Option<String>,
    pub account: Option<Account>,
    pub token_storage: TokenStorageKind,
    pub storage_warning: Option<String>,
}

/// Sign-in for one data directory. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Auth {
    data_dir: DataDir,
    tokens: TokenStore,
    http: reqwest::Client,
}

impl Auth {
    /// Uses the keychain, or the 0600 file where none is reachable (`DIRSYNC_TOKEN_STORE`
    /// overrides). May block briefly while probing the keychain.
    pub fn new(data_dir: DataDir) -> Result<Self, AuthError> {
        Self::with_token_store(data_dir, TokenStorePreference::from_env()?)
    }

    pub fn with_token_store(
        data_dir: DataDir,
        pref: TokenStorePreference,
    ) -> Result<Self, AuthError> {
        let tokens = TokenStore::select(&data_dir, pref)?;
        Ok(Self {
            data_dir,
            tokens,
            http: oauth::http_client()?,
        })
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    pub fn token_store(&self) -> &TokenStore {
        &self.tokens
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The notice to show once when the refresh token lives in the fallback file.
    pub fn storage_warning(&self) -> Option<String> {
        self.tokens.warning()
    }

    fn open_store(&self) -> Result<Store, AuthError> {
        Ok(Store::open_in(&self.data_dir)?)
    }

    /// The sign-in configuration from the settings.
    pub fn config(&self) -> Result<AuthConfig, AuthError> {
        AuthConfig::from_settings(&self.open_store()?)
    }

    /// Starts an interactive sign-in: binds the loopback listener and returns at once with the
    /// URL to open. Await [`PendingSignIn::finish`] for the outcome.
    pub async fn start_sign_in(&self, opts: SignInOptions) -> Result<PendingSignIn, AuthError> {
        interactive::start(self, opts).await
    }

    /// Signs in as the application (client credentials) and records it as the account, so
    /// unattended runs need no admin. The secret itself is never stored.
    pub async fn sign_in_app(&self, secret: ClientSecret) -> Result<SignedIn, AuthError> {
        let cfg = self.config()?;
        cfg.require_client_id()?;
        let provider = Arc::new(AppTokenProvider::new(
            cfg.clone(),
            secret,
            self.http.clone(),
        )?);
        provider.access_token(false).await?;
        let graph = whoami::client(&cfg.graph_url, provider)?;
        let org = whoami::organization(&graph).await?;
        let (tenant_id, tenant_name) = match org {
            Some(o) => (o.id, o.display_name),
            None => (cfg.tenant.clone(), cfg.tenant.clone()),
        };
        let acct = Account {
            mode: AccountMode::App,
            authority: cfg.authority.clone(),
            tenant: cfg.tenant.clone(),
            client_id: cfg.client_id.clone(),
            graph_url: cfg.graph_url.clone(),
            tenant_id,
            tenant_name,
            user_id: None,
            username: None,
            display_name: None,
            signed_in_at: Utc::now(),
            sign_in_required: None,
        };
        let store = self.open_store()?;
        account::save(&store, &acct)?;
        settings::set(&store, "auth_mode", "app").map_err(|e| AuthError::Config(e.to_string()))?;
        tracing::info!("signed in as {}", acct.summary());
        Ok(SignedIn {
            account: acct,
            storage_warning: None,
        })
    }

    /// Removes the stored refresh token and forgets the account.
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        let store = self.open_store()?;
        let mut keys = vec![AuthConfig::from_settings(&store)?.token_key()];
        if let Some(a) = account::load(&store)? {
            keys.push(account_config(&a).token_key());
        }
        let tokens = self.tokens.clone();
        tokio::task::spawn_blocking(move || keys.iter().try_for_each(|k| tokens.delete(k)))
            .await
            .map_err(|e| AuthError::TokenStorage(e.to_string()))??;
        account::clear(&store)?;
        if settings::get(&store, "auth_mode").ok().as_deref() == Some("app") {
            settings::set(&store, "auth_mode", "user")
                .map_err(|e| AuthError::Config(e.to_string()))?;
        }
        tracing::info!("signed out; stored sign-in removed");
        Ok(())
    }

    /// Signed in, sign-in required (with the reason), or signed out.
    pub fn status(&self) -> Result<AuthStatus, AuthError> {
        let store = self.open_store()?;
        let account = account::load(&store)?;
        let current = AuthConfig::from_settings(&store)?;
        let reason = match &account {
            None => None,
            Some(a) if a.sign_in_required.is_some() => a.sign_in_required.clone(),
            Some(a) => settings_changed(a, &current),
        };
        let state = match (&account, &reason) {
            (None, _) => SignInState::SignedOut,
            (Some(_), Some(_)) => SignInState::SignInRequired,
            (Some(_), None) => SignInState::SignedIn,
        };
        Ok(AuthStatus {
            state,
            reason,
            account,
            token_storage: self.tokens.kind(),
            storage_warning: self.tokens.warning(),
        })
    }

    /// Access tokens for Graph as the recorded account: the signed-in admin (silent renewal)
    /// or the application (client secret from `DIRSYNC_CLIENT_SECRET` or `client_secret_file`).
    /// `SignInRequired` when nobody is signed in or renewal already failed for good.
    pub fn token_provider(&self) -> Result<Arc<dyn TokenProvider>, AuthError> {
        let status = self.status()?;
        let account = match (status.state, status.account) {
            (SignInState::SignedIn, Some(a)) => a,
            (SignInState::SignInRequired, _) => {
                return Err(AuthError::SignInRequired {
                    reason: status.reason.unwrap_or_default(),
                })
            }
            _ => {
                return Err(AuthError::SignInRequired {
                    reason: "not signed in; use Sign in with Microsoft or run `dirsync sign-in`"
                        .into(),
                })
            }
        };
        let cfg = account_config(&account);
        Ok(match account.mode {
            AccountMode::User => Arc::new(UserTokenProvider::new(
                cfg,
                account.tenant_id.clone(),
                self.tokens.clone(),
                self.data_dir.clone(),
                self.http.clone(),
                None,
            )),
            AccountMode::App => {
                let file = settings::get(&self.open_store()?, "client_secret_file")
                    .map_err(|e| AuthError::Config(e.to_string()))?;
                let file = (!file.trim().is_empty()).then(|| PathBuf::from(file.trim()));
                let secret = ClientSecret::from_env_or_file(file.as_deref())?;
                Arc::new(AppTokenProvider::new(cfg, secret, self.http.clone())?)
            }
        })
    }
}

/// The configuration an account signed in with.
fn account_config(a: &Account) -> AuthConfig {
    AuthConfig {
        authority: a.authority.clone(),
        tenant: a.tenant.clone(),
        client_id: a.client_id.clone(),
        graph_url: a.graph_url.clone(),
    }
}

fn settings_changed(a: &Account, current: &AuthConfig) -> Option<String> {
    let mut changed = Vec::new();
    if a.authority != current.authority {
        changed.push("authority");
    }
    if a.tenant != current.tenant {
        changed.push("tenant");
    }
    if a.client_id != current.client_id {
        changed.push("client_id");
    }
    if a.graph_url != current.graph_url {
        changed.push("graph_url");
    }
    (!changed.is_empty()).then(|| {
        format!(
            "the sign-in settings changed since you signed in ({}); sign in again",
            changed.join(", ")
        )
    })
}
