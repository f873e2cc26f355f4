//! Token providers for Graph: the signed-in admin (refresh-token renewal with rotation) and the
//! application itself (client credentials). Access tokens stay in memory; renewal is serialized
//! so two callers never spend the same refresh token.

use std::path::Path;

use oauth2::{ClientSecret as OAuthSecret, RefreshToken, Scope, TokenResponse};
use tokio::sync::Mutex;

use super::aad::Stage;
use super::config::USER_SCOPES;
use super::oauth::{self, CachedToken};
use super::token_store::TokenStore;
use super::{AuthConfig, AuthError, TokenProvider};
use crate::account;
use crate::datadir::DataDir;
use crate::store::Store;

/// Environment variable holding the client secret for unattended (application) sign-in.
pub const CLIENT_SECRET_ENV: &str = "DIRSYNC_CLIENT_SECRET";

/// A client secret. Debug and Display never show it.
#[derive(Clone)]
pub struct ClientSecret(String);

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

impl ClientSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// `DIRSYNC_CLIENT_SECRET` when set, else the first line of `file` (when given). Never a
    /// command-line value: those end up in shell history and process listings.
    pub fn from_env_or_file(file: Option<&Path>) -> Result<Self, AuthError> {
        if let Ok(s) = std::env::var(CLIENT_SECRET_ENV) {
            if !s.trim().is_empty() {
                return Ok(Self(s.trim().to_string()));
            }
        }
        let Some(path) = file else {
            return Err(AuthError::Config(format!(
                "no client secret: set {CLIENT_SECRET_ENV}, or pass --client-secret-file (or set client_secret_file) \
                 to a file readable only by you that holds the secret"
            )));
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            AuthError::Config(format!(
                "cannot read the client secret file {}: {e}",
                path.display()
            ))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path) {
                if meta.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(
                        "the client secret file {} is readable by other users; chmod 600 it",
                        path.display()
                    );
                }
            }
        }
        let secret = text.lines().next().unwrap_or_default().trim().to_string();
        if secret.is_empty() {
            return Err(AuthError::Config(format!(
                "the client secret file {} is empty",
                path.display()
            )));
        }
        Ok(Self(secret))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

/// Access tokens for the signed-in admin.
pub struct UserTokenProvider {
    cfg: AuthConfig,
    /// The account's own tenant id: renewals go to its token endpoint, as MSAL does.
    token_tenant: String,
    key: String,
    tokens: TokenStore,
    data_dir: DataDir,
    http: reqwest::Client,
    cache: Mutex<Option<CachedToken>>,
}

impl UserTokenProvider {
    pub(crate) fn new(
        cfg: AuthConfig,
        token_tenant: String,
        tokens: TokenStore,
        data_dir: DataDir,
        http: reqwest::Client,
        initial: Option<CachedToken>,
    ) -> Self {
        let key = cfg.token_key();
        Self {
            cfg,
            token_tenant,
            key,
            tokens,
            data_dir,
            http,
            cache: Mutex::new(initial),
        }
    }

    /// Marks the account as needing sign-in, then returns the error. The mark is best effort:
    /// the caller still gets the reason if the database is busy.
    async fn sign_in_required(&self, err: AuthError) -> AuthError {
        if let AuthError::SignInRequired { reason } = &err {
            tracing::warn!("silent sign-in renewal failed for good: {reason}");
            let dir = self.data_dir.clone();
            let reason = reason.clone();
            let marked = tokio::task::spawn_blocking(move || {
                let store = Store::open_in(&dir)?;
                account::mark_sign_in_required(&store, &reason)
            })
            .await;
            if let Ok(Err(e)) = marked {
                tracing::warn!("could not record that sign-in is required: {e}");
            }
        }
        err
    }

    async fn renew(&self) -> Result<CachedToken, AuthError> {
        let (store, key) = (self.tokens.clone(), self.key.clone());
        let stored = tokio::task::spawn_blocking(move || store.load(&key))
            .await
            .map_err(|e| AuthError::TokenStorage(e.to_string()))??;
        let Some(refresh) = stored else {
            return Err(self
                .sign_in_required(AuthError::SignInRequired {
                    reason: "no stored sign-in was found (it may have been removed from the keychain); sign in again"
                        .into(),
                })
                .await);
        };
        let client = oauth::token_client(&self.cfg, &self.token_tenant)?;
        let refresh = RefreshToken::new(refresh);
        let resp = client
            .exchange_refresh_token(&refresh)
            .add_scopes(USER_SCOPES.iter().map(|s| Scope::new(s.to_string())))
            .request_async(&self.http)
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                let url = self.cfg.token_endpoint(&self.token_tenant);
                let err = oauth::map_token_error(e, Stage::Refresh, &self.cfg, &url, None);
                return Err(self.sign_in_required(err).await);
            }
        };
        // Rotation: persist the new refresh token before the new access token is used.
        if let Some(rotated) = resp.refresh_token() {
            let (store, key, secret) = (
                self.tokens.clone(),
                self.key.clone(),
                rotated.secret().clone(),
            );
            tokio::task::spawn_blocking(move || store.save(&key, &secret))
                .await
                .map_err(|e| AuthError::TokenStorage(e.to_string()))??;
        }
        tracing::debug!("access token renewed");
        Ok(CachedToken::from_response(&resp))
    }
}

#[async_trait::async_trait]
impl TokenProvider for UserTokenProvider {
    async fn access_token(&self, force_refresh: bool) -> Result<String, AuthError> {
        let mut cache = self.cache.lock().await;
        if !force_refresh {
            if let Some(t) = cache.as_ref().filter(|t| t.is_fresh()) {
                return Ok(t.secret.clone());
            }
        }
        let fresh = self.renew().await?;
        let secret = fresh.secret.clone();
        *cache = Some(fresh);
        Ok(secret)
    }
}

/// Access tokens for the application itself (client credentials, `{graph}/.default`).
pub struct AppTokenProvider {
    cfg: AuthConfig,
    secret: ClientSecret,
    http: reqwest::Client,
    cache: Mutex<Option<CachedToken>>,
}

impl AppTokenProvider {
    pub(crate) fn new(
        cfg: AuthConfig,
        secret: ClientSecret,
        http: reqwest::Client,
    ) -> Result<Self, AuthError> {
        let t = cfg.tenant.to_ascii_lowercase();
        if matches!(t.as_str(), "organizations" | "common" | "consumers") {
            return Err(AuthError::Config(format!(
                "signing in as the application needs a specific tenant, not '{}': run `dirsync config set tenant <tenant GUID or domain>`",
                cfg.tenant
            )));
        }
        Ok(Self {
            cfg,
            secret,
            http,
            cache: Mutex::new(None),
        })
    }

    async fn acquire(&self) -> Result<CachedToken, AuthError> {
        let client = oauth::token_client(&self.cfg, &self.cfg.tenant)?
            .set_client_secret(OAuthSecret::new(self.secret.expose().to_string()))
            .set_auth_type(oauth2::AuthType::RequestBody);
        let resp = client
            .exchange_client_credentials()
            .add_scope(Scope::new(self.cfg.app_scope()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                let url = self.cfg.token_endpoint(&self.cfg.tenant);
                oauth::map_token_error(e, Stage::AppToken, &self.cfg, &url, None)
            })?;
        Ok(CachedToken::from_response(&resp))
    }
}

#[async_trait::async_trait]
impl TokenProvider for AppTokenProvider {
    async fn access_token(&self, force_refresh: bool) -> Result<String, AuthError> {
        let mut cache = self.cache.lock().await;
        if !force_refresh {
            if let Some(t) = cache.as_ref().filter(|t| t.is_fresh()) {
                return Ok(t.secret.clone());
            }
        }
        let fresh = self.acquire().await?;
        let secret = fresh.secret.clone();
        *cache = Some(fresh);
        Ok(secret)
    }
}
