//! Microsoft identity platform endpoints: authorize (sign-in + consent pages), token, discovery.

pub mod authorize;
pub mod pages;
pub mod scopes;
pub mod token;

use std::sync::Arc;

use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::errors::identity_error;
use crate::state::State;

pub fn router() -> Router<Arc<State>> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize))
        .route("/{tenant}/oauth2/v2.0/login", post(authorize::login))
        .route("/{tenant}/oauth2/v2.0/consent", post(authorize::consent))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
}

/// Whether `given` matches the registered redirect URI: loopback http, port ignored, host and
/// scheme case-insensitive, path case-sensitive. Non-loopback URIs must match exactly.
pub fn redirect_matches(registered: &str, given: &str) -> bool {
    let (Ok(r), Ok(g)) = (url::Url::parse(registered), url::Url::parse(given)) else {
        return false;
    };
    let loopback = |u: &url::Url| matches!(u.host_str(), Some("localhost") | Some("127.0.0.1"));
    if loopback(&r) {
        r.scheme() == "http"
            && g.scheme() == "http"
            && r.host_str() == g.host_str()
            && r.path() == g.path()
            && r.query() == g.query()
    } else {
        r == g
    }
}

async fn openid_configuration(
    AxState(st): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !st.tenant_matches(&tenant) {
        return tenant_not_found(&st, &tenant, &headers);
    }
    let base = &st.base_url;
    let issuer_tid =
        if tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("organizations") {
            "{tenantid}".to_owned()
        } else {
            st.tenant.id.clone()
        };
    Json(json!({
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{issuer_tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/v1.0/me"),
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "code_challenge_methods_supported": ["S256", "plain"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name", "nonce", "preferred_username", "oid", "tid", "ver"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "msgraph_host": "graph.microsoft.com",
    }))
    .into_response()
}

async fn keys() -> Response {
    // Tokens are HMAC-signed with a secret key: no public keys to publish.
    Json(json!({"keys": []})).into_response()
}

pub fn tenant_not_found(st: &State, tenant: &str, headers: &HeaderMap) -> Response {
    identity_error(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
        &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        headers,
        st.now(),
    )
}
