//! The seam between sign-in and everything that calls Graph: a source of access tokens.

/// Why no access token could be had.
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
    /// The identity platform could not be reached.
    #[error("cannot reach the sign-in service: {0}")]
    Network(String),
}

impl AuthError {
    pub fn is_sign_in_required(&self) -> bool {
        matches!(self, AuthError::SignInRequired { .. })
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
