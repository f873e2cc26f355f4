//! The seam between sign-in and everything that calls Graph: a source of access tokens.

/// Why no access token (or no sign-in) could be had. Messages are plain language, keep the
/// AADSTS code when there is one, and never contain a token, code, verifier or secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Interactive sign-in is needed (never signed in, signed out, or the refresh token was
    /// rejected for good: AADSTS700082, AADSTS50173, invalid_grant).
    #[error("sign-in required: {reason}")]
    SignInRequired { reason: String },
    /// The identity platform answered with an error; `code` keeps the AADSTS code when there is one.
    #[error("{message}")]
    Identity {
        code: Option<String>,
        message: String,
    },
    /// The permissions were never granted for the tenant; only an administrator can grant them.
    #[error(
        "Directory Sync has not been granted its permissions in this tenant ({code}). A Global \
         Administrator must grant admin consent once: open {admin_consent_url} and accept, then sign in again."
    )]
    AdminConsentRequired {
        code: String,
        admin_consent_url: String,
    },
    /// The identity platform could not be reached.
    #[error("cannot reach the sign-in service: {0}")]
    Network(String),
    /// Nobody finished the sign-in in the browser in time.
    #[error("sign-in timed out after {minutes} minutes without an answer from the browser; start the sign-in again")]
    TimedOut { minutes: u64 },
    /// The sign-in was cancelled from the app.
    #[error("sign-in cancelled")]
    Cancelled,
    /// The local loopback listener could not be started.
    #[error("cannot listen for the browser's answer on 127.0.0.1: {0}")]
    Listener(String),
    /// The settings do not allow a sign-in (e.g. no client id).
    #[error("{0}")]
    Config(String),
    /// The refresh token could not be read or written.
    #[error("cannot access the stored sign-in: {0}")]
    TokenStorage(String),
    /// Signed in, but reading who and where (/me, /organization) failed.
    #[error("signed in, but reading the account from Microsoft Graph failed: {0}")]
    Graph(String),
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl AuthError {
    pub fn is_sign_in_required(&self) -> bool {
        matches!(self, AuthError::SignInRequired { .. })
    }

    /// The AADSTS code behind this error, e.g. `"AADSTS65001"`.
    pub fn aadsts_code(&self) -> Option<&str> {
        match self {
            AuthError::Identity { code, .. } => code.as_deref(),
            AuthError::AdminConsentRequired { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Supplies access tokens for Microsoft Graph. Implementations renew silently and persist a
/// rotated refresh token before handing out the new access token.
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// A currently valid access token. With `force_refresh` (after Graph answered 401), a new
    /// one is obtained even if the cached one has not expired yet.
    async fn access_token(&self, force_refresh: bool) -> Result<String, AuthError>;
}
