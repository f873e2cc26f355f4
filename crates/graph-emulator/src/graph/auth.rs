//! Bearer token validation for Graph requests.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::errors::{graph_error, RequestIds};
use crate::state::State;

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub oid: Option<String>,
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
    pub app_only: bool,
}

impl Caller {
    pub fn has_any(&self, perms: &[&str]) -> bool {
        let held = if self.app_only {
            &self.roles
        } else {
            &self.scopes
        };
        held.iter()
            .any(|h| perms.iter().any(|p| p.eq_ignore_ascii_case(h)))
    }
}

fn unauthorized(msg: &str, ids: &RequestIds) -> Response {
    let mut r = graph_error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        msg,
        ids,
    );
    r.headers_mut().insert(
        "www-authenticate",
        HeaderValue::from_static(
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
        ),
    );
    r
}

/// Validates the bearer token: 401 InvalidAuthenticationToken when missing, malformed, badly
/// signed, for another tenant or audience, or expired by the simulated clock.
pub fn authenticate(st: &State, headers: &HeaderMap, ids: &RequestIds) -> Result<Caller, Response> {
    let raw = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .unwrap_or_default()
        .trim();
    if token.is_empty() {
        return Err(unauthorized("Access token is empty.", ids));
    }
    if token.split('.').count() != 3 {
        return Err(unauthorized(
            "IDX14100: JWT is not well formed, there are no dots (.).",
            ids,
        ));
    }
    let Some(claims) = st.signer.verify_jwt(token) else {
        return Err(unauthorized(
            "Access token validation failure. Invalid signature.",
            ids,
        ));
    };
    if claims["aud"] != crate::clients::GRAPH_APP_ID
        && claims["aud"] != "https://graph.microsoft.com"
    {
        return Err(unauthorized(
            "Access token validation failure. Invalid audience.",
            ids,
        ));
    }
    if claims["tid"].as_str() != Some(st.tenant.id.as_str()) {
        return Err(unauthorized(
            "Access token validation failure. Invalid issuer.",
            ids,
        ));
    }
    let exp = claims["exp"].as_i64().unwrap_or(0);
    if exp <= st.now().timestamp() {
        return Err(unauthorized(
            "Lifetime validation failed, the token is expired.",
            ids,
        ));
    }
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => s
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        }
    };
    let app_only = claims["idtyp"] == "app";
    Ok(Caller {
        oid: claims["oid"].as_str().map(str::to_owned),
        scopes: list(&claims["scp"]),
        roles: list(&claims["roles"]),
        app_only,
    })
}

/// 403 Authorization_RequestDenied unless the caller holds one of `perms`.
pub fn require(caller: &Caller, perms: &[&str], ids: &RequestIds) -> Result<(), Response> {
    if caller.has_any(perms) {
        Ok(())
    } else {
        Err(graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            ids,
        ))
    }
}

/// Permissions that allow reading all users.
pub const READ_ALL_USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
