//! The oauth2 client as Entra ID needs it: AADSTS-aware error bodies, the id_token kept from the
//! token response, an HTTP client that never follows redirects, and errors mapped to plain
//! language without ever echoing a request or response body.

use std::time::{Duration, Instant};

use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, ClientId, EndpointNotSet, EndpointSet, HttpClientError, RedirectUrl,
    RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::aad::{self, AadErrorResponse, Stage};
use super::{AuthConfig, AuthError};

/// Extra token-response fields we read: the id_token (for the tenant id when /organization is
/// not readable). Never logged.
#[derive(Clone, Deserialize, Serialize, Default)]
pub(crate) struct IdTokenField {
    #[serde(default)]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for IdTokenField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenField([redacted])")
    }
}

impl oauth2::ExtraTokenFields for IdTokenField {}

pub(crate) type AadTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// Typestate: the authorize endpoint set or not; the token endpoint always set.
pub(crate) type AadClient<HasAuthUrl> = oauth2::Client<
    AadErrorResponse,
    AadTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

pub(crate) type TokenOnlyClient = AadClient<EndpointNotSet>;
pub(crate) type AuthorizeClient = AadClient<EndpointSet>;

/// The HTTP client for the token endpoint. Redirects are never followed (oauth2 v5's SSRF advice).
pub(crate) fn http_client() -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("dirsync/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AuthError::Config(format!("cannot set up HTTPS: {e}")))
}

fn bad_url(what: &str, e: impl std::fmt::Display) -> AuthError {
    AuthError::Config(format!(
        "the {what} derived from the authority setting is not a valid URL ({e}); check `authority` and `tenant`"
    ))
}

/// A client for the token endpoint of `token_tenant` (refresh, client credentials).
pub(crate) fn token_client(
    cfg: &AuthConfig,
    token_tenant: &str,
) -> Result<TokenOnlyClient, AuthError> {
    let token_url = TokenUrl::new(cfg.token_endpoint(token_tenant))
        .map_err(|e| bad_url("token endpoint", e))?;
    Ok(oauth2::Client::new(ClientId::new(cfg.client_id.clone())).set_token_uri(token_url))
}

/// A client for the interactive flow, with the loopback redirect URI.
pub(crate) fn authorize_client(
    cfg: &AuthConfig,
    redirect_uri: &str,
) -> Result<AuthorizeClient, AuthError> {
    let auth_url =
        AuthUrl::new(cfg.authorize_endpoint()).map_err(|e| bad_url("authorize endpoint", e))?;
    let token_url =
        TokenUrl::new(cfg.token_endpoint(&cfg.tenant)).map_err(|e| bad_url("token endpoint", e))?;
    let redirect = RedirectUrl::new(redirect_uri.to_string())
        .map_err(|e| AuthError::Listener(format!("bad redirect URI: {e}")))?;
    Ok(oauth2::Client::new(ClientId::new(cfg.client_id.clone()))
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(redirect))
}

type TokenRequestError = RequestTokenError<HttpClientError<reqwest::Error>, AadErrorResponse>;

/// Maps a failed token request to plain language. Bodies are never echoed: a malformed success
/// body could hold a token.
pub(crate) fn map_token_error(
    err: TokenRequestError,
    stage: Stage,
    cfg: &AuthConfig,
    token_url: &str,
    redirect_uri: Option<&str>,
) -> AuthError {
    match err {
        RequestTokenError::ServerResponse(e) => aad::explain(
            stage,
            &e.error,
            e.error_description.as_deref(),
            &e.error_codes,
            cfg,
            redirect_uri,
        ),
        RequestTokenError::Request(HttpClientError::Reqwest(e)) => aad::network(token_url, &*e),
        RequestTokenError::Request(HttpClientError::Io(e)) => aad::network(token_url, &e),
        RequestTokenError::Request(other) => AuthError::Network(format!(
            "the request to the sign-in service failed: {other}"
        )),
        RequestTokenError::Parse(..) => AuthError::Identity {
            code: None,
            message: "the sign-in service gave an answer that is not a token response; check the authority setting".into(),
        },
        RequestTokenError::Other(text) => AuthError::Identity {
            code: None,
            message: format!(
                "the sign-in service gave an unexpected answer ({text}); check the authority setting"
            ),
        },
    }
}

/// An access token held in memory, with the instant it should no longer be used.
#[derive(Clone)]
pub(crate) struct CachedToken {
    pub secret: String,
    pub valid_until: Instant,
}

impl CachedToken {
    /// From a token response; renewed five minutes early so a token never expires mid-request.
    pub fn from_response(resp: &AadTokenResponse) -> Self {
        let lifetime = resp.expires_in().unwrap_or(Duration::from_secs(3600));
        let margin = Duration::from_secs(300).min(lifetime / 2);
        Self {
            secret: resp.access_token().secret().clone(),
            valid_until: Instant::now() + lifetime - margin,
        }
    }

    pub fn is_fresh(&self) -> bool {
        Instant::now() < self.valid_until
    }
}

/// Claims read from the id_token (no signature check: it came straight from the token endpoint
/// over TLS and is used for display only).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct IdClaims {
    #[serde(default)]
    pub tid: Option<String>,
}

pub(crate) fn id_claims(resp: &AadTokenResponse) -> IdClaims {
    use base64::Engine;
    resp.extra_fields()
        .id_token
        .as_deref()
        .and_then(|jwt| jwt.split('.').nth(1))
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}
