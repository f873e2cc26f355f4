//! `POST /{tenant}/oauth2/v2.0/token`: authorization_code, refresh_token, client_credentials.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Path, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::scopes;
use crate::clients::{ClientApp, GRAPH_APP_ID};
use crate::errors::identity_error;
use crate::state::State;
use crate::tenant::store::UserState;
use crate::tokens::{pkce_s256, random_token};

const REFRESH: &str = "refresh";

/// Refresh token contents (sealed).
#[derive(Serialize, Deserialize)]
struct RefreshToken {
    oid: String,
    cid: String,
    scp: Vec<String>,
    /// Issue time, simulated clock, ms.
    iat: i64,
    n: String,
}

struct Ctx<'a> {
    st: &'a State,
    headers: &'a HeaderMap,
}

impl Ctx<'_> {
    fn err(&self, status: StatusCode, error: &str, code: u32, desc: &str) -> Response {
        identity_error(status, error, code, desc, self.headers, self.st.now())
    }
    fn bad(&self, error: &str, code: u32, desc: &str) -> Response {
        self.err(StatusCode::BAD_REQUEST, error, code, desc)
    }
    fn missing(&self, p: &str) -> Response {
        self.bad(
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{p}'."),
        )
    }
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub async fn token(
    AxState(st): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let cx = Ctx {
        st: &st,
        headers: &headers,
    };
    if !st.tenant_matches(&tenant) {
        return super::tenant_not_found(&st, &tenant, &headers);
    }
    let get = |k: &str| f.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // Client authentication: client_secret in the body or HTTP Basic.
    let mut client_id = get("client_id").map(str::to_owned);
    let mut secret = get("client_secret").map(str::to_owned);
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        if let Some((id, s)) = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())))
        {
            client_id.get_or_insert(id);
            secret.get_or_insert(s);
        }
    }
    let Some(grant_type) = get("grant_type") else {
        return cx.missing("grant_type");
    };
    let Some(client_id) = client_id else {
        return cx.missing("client_id");
    };
    let Some(client) = st.client(&client_id) else {
        return cx.bad(
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                st.tenant.display_name
            ),
        );
    };
    if client.public_client {
        if secret.is_some() || get("client_assertion").is_some() {
            return cx.err(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700025,
                "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
            );
        }
    } else {
        match (&secret, &client.secret) {
            (None, _) => {
                return cx.err(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                )
            }
            (Some(s), Some(expected)) if s == expected => {}
            _ => {
                return cx.err(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", client.client_id),
                )
            }
        }
    }
    match grant_type {
        "authorization_code" => authorization_code(&cx, &client, &f),
        "refresh_token" => refresh(&cx, &client, &f),
        "client_credentials" => client_credentials(&cx, &client, &f),
        other => cx.bad(
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn authorization_code(cx: &Ctx, client: &ClientApp, f: &HashMap<String, String>) -> Response {
    let st = cx.st;
    let get = |k: &str| f.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(code) = get("code") else {
        return cx.missing("code");
    };
    let grant = {
        let mut id = st.identity.lock().unwrap();
        if id.redeemed.contains(code) {
            None
        } else {
            let g = id.codes.remove(code);
            if g.is_some() {
                id.redeemed.insert(code.to_owned());
            }
            Some(g)
        }
    };
    let grant = match grant {
        None => {
            return cx.bad(
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            )
        }
        Some(None) => {
            return cx.bad(
                "invalid_grant",
                70000,
                "The provided value for the 'code' parameter is not valid. The code has expired or is malformed.",
            )
        }
        Some(Some(g)) => g,
    };
    if st.now() - grant.issued > st.config.code_lifetime {
        return cx.bad(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        );
    }
    if !grant.flow.client_id.eq_ignore_ascii_case(&client.client_id) {
        return cx.bad(
            "invalid_grant",
            70000,
            "The provided value for the 'code' parameter is not valid. The code was issued to a different client.",
        );
    }
    let Some(redirect_uri) = get("redirect_uri") else {
        return cx.missing("redirect_uri");
    };
    if redirect_uri != grant.flow.redirect_uri {
        return cx.bad(
            "invalid_grant",
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URI used in the authorization request for the application '{}'.",
                client.client_id
            ),
        );
    }
    if let Some(challenge) = &grant.flow.code_challenge {
        let Some(verifier) = get("code_verifier") else {
            return cx.missing("code_verifier");
        };
        let computed = if grant.flow.code_challenge_method == "S256" {
            pkce_s256(verifier)
        } else {
            verifier.to_owned()
        };
        if &computed != challenge {
            return cx.bad(
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            );
        }
    }
    let scopes = grant.flow.scopes.clone();
    issue_user_tokens(
        cx,
        client,
        &grant.user_id,
        &scopes,
        grant.flow.nonce.as_deref(),
    )
}

fn refresh(cx: &Ctx, client: &ClientApp, f: &HashMap<String, String>) -> Response {
    let st = cx.st;
    let get = |k: &str| f.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(raw) = get("refresh_token") else {
        return cx.missing("refresh_token");
    };
    let Some(rt) = st.signer.open::<RefreshToken>(REFRESH, raw) else {
        return cx.bad(
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        );
    };
    if !rt.cid.eq_ignore_ascii_case(&client.client_id) {
        return cx.bad(
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed. The refresh token was issued to a different client.",
        );
    }
    let now = st.now();
    let issued = DateTime::from_timestamp_millis(rt.iat).unwrap_or_default();
    let revoked_before = st.identity.lock().unwrap().revoked_before;
    if let Some(rb) = revoked_before.filter(|rb| issued < *rb) {
        return cx.bad(
            "invalid_grant",
            50173,
            &format!(
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{}'.",
                fmt_time(issued),
                fmt_time(rb)
            ),
        );
    }
    if now - issued > st.config.refresh_token_lifetime {
        let inactive = now - issued;
        return cx.bad(
            "invalid_grant",
            700082,
            &format!(
                "The refresh token has expired due to inactivity. The token was issued on {} and was inactive for {}.",
                fmt_time(issued),
                humantime(inactive)
            ),
        );
    }
    let scopes = match get("scope") {
        None => rt.scp.clone(),
        Some(s) => match scopes::normalize(s) {
            Ok(v) => v,
            Err(bad) => {
                return cx.bad(
                    "invalid_scope",
                    70011,
                    &format!("The provided value for the input parameter 'scope' is not valid. The scope {bad} is not valid."),
                )
            }
        },
    };
    issue_user_tokens(cx, client, &rt.oid, &scopes, None)
}

fn humantime(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn client_credentials(cx: &Ctx, client: &ClientApp, f: &HashMap<String, String>) -> Response {
    let st = cx.st;
    let scope = f.get("scope").map(String::as_str).unwrap_or_default();
    let ok = scope.split(' ').filter(|s| !s.is_empty()).all(|s| {
        s == "https://graph.microsoft.com/.default"
            || s == "00000003-0000-0000-c000-000000000000/.default"
    });
    if scope.trim().is_empty() {
        return cx.missing("scope");
    }
    if !ok {
        return cx.bad(
            "invalid_scope",
            1002012,
            &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        );
    }
    if client.public_client {
        return cx.err(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    let now = st.now();
    let exp = now + st.config.access_token_lifetime;
    let claims = json!({
        "aud": GRAPH_APP_ID,
        "iss": format!("https://sts.windows.net/{}/", st.tenant.id),
        "iat": now.timestamp(), "nbf": now.timestamp(), "exp": exp.timestamp(),
        "appid": client.client_id, "app_displayname": client.display_name,
        "idtyp": "app", "oid": service_principal_id(&client.client_id),
        "sub": service_principal_id(&client.client_id),
        "roles": client.app_roles, "tid": st.tenant.id, "ver": "1.0", "uti": random_token(12),
    });
    no_store(json!({
        "token_type": "Bearer",
        "expires_in": st.config.access_token_lifetime.num_seconds(),
        "ext_expires_in": st.config.access_token_lifetime.num_seconds(),
        "access_token": st.signer.jwt(&claims),
    }))
}

fn service_principal_id(client_id: &str) -> String {
    let h = crate::tenant::generator::mix(
        client_id
            .bytes()
            .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(b as u64)),
    );
    uuid::Uuid::from_u64_pair(h, crate::tenant::generator::mix(h)).to_string()
}

fn no_store(body: Value) -> Response {
    let mut r = Json(body).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn issue_user_tokens(
    cx: &Ctx,
    client: &ClientApp,
    oid: &str,
    requested: &[String],
    nonce: Option<&str>,
) -> Response {
    let st = cx.st;
    let view = st.store.lock().unwrap().get(oid);
    let user = match view {
        Some(v) if v.state == UserState::Active => v.user,
        _ => {
            return cx.bad(
                "invalid_grant",
                50034,
                &format!("The user account {oid} does not exist in the {} directory. To sign into this application, the account must be added to the directory.", st.tenant.domain),
            )
        }
    };
    if user["accountEnabled"] == false {
        return cx.bad("invalid_grant", 50057, "The user account is disabled.");
    }
    // Consent: admin-restricted scopes need tenant-wide admin consent; others admin or user consent.
    let user_consent = st
        .identity
        .lock()
        .unwrap()
        .consents
        .get(&(oid.to_owned(), client.client_id.clone()))
        .cloned()
        .unwrap_or_default();
    let consented = |s: &String| {
        client.admin_consented.contains(s) || (!scopes::needs_admin(s) && user_consent.contains(s))
    };
    let mut graph: Vec<String> = Vec::new();
    for s in requested {
        if s == ".default" {
            graph.extend(client.admin_consented.iter().cloned());
            graph.extend(user_consent.iter().cloned());
        } else if scopes::is_graph(s) {
            if !consented(s) {
                return cx.bad(
                    "invalid_grant",
                    65001,
                    &format!(
                        "The user or administrator has not consented to use the application with ID '{}' named '{}'. Send an interactive authorization request for this user and resource.",
                        client.client_id, client.display_name
                    ),
                );
            }
            graph.push(s.clone());
        }
    }
    graph.sort();
    graph.dedup();
    if graph.is_empty() {
        graph.push("User.Read".into());
    }
    let now = st.now();
    let exp = now + st.config.access_token_lifetime;
    let upn = user["userPrincipalName"].as_str().unwrap_or_default();
    let name = user["displayName"].as_str().unwrap_or_default();
    let claims = json!({
        "aud": GRAPH_APP_ID,
        "iss": format!("https://sts.windows.net/{}/", st.tenant.id),
        "iat": now.timestamp(), "nbf": now.timestamp(), "exp": exp.timestamp(),
        "appid": client.client_id, "app_displayname": client.display_name,
        "idtyp": "user", "name": name, "oid": oid, "sub": oid, "upn": upn, "unique_name": upn,
        "scp": graph.join(" "), "tid": st.tenant.id, "ver": "1.0", "uti": random_token(12),
    });
    let mut scope_out = graph.clone();
    for o in scopes::OIDC {
        if requested.iter().any(|r| r == o) {
            scope_out.push(o.to_string());
        }
    }
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scope_out.join(" "),
        "expires_in": st.config.access_token_lifetime.num_seconds(),
        "ext_expires_in": st.config.access_token_lifetime.num_seconds(),
        "access_token": st.signer.jwt(&claims),
    });
    if requested.iter().any(|s| s == "offline_access") {
        let mut scp = requested.to_vec();
        if !scp.iter().any(|s| s == "offline_access") {
            scp.push("offline_access".into());
        }
        let rt = RefreshToken {
            oid: oid.to_owned(),
            cid: client.client_id.clone(),
            scp,
            iat: now.timestamp_millis(),
            n: random_token(16),
        };
        body["refresh_token"] = json!(st.signer.seal(REFRESH, &rt));
    }
    if requested.iter().any(|s| s == "openid") {
        let mut id = json!({
            "aud": client.client_id,
            "iss": format!("{}/{}/v2.0", st.base_url, st.tenant.id),
            "iat": now.timestamp(), "nbf": now.timestamp(), "exp": exp.timestamp(),
            "name": name, "oid": oid, "preferred_username": upn, "sub": oid,
            "tid": st.tenant.id, "ver": "2.0",
        });
        if let Some(n) = nonce {
            id["nonce"] = json!(n);
        }
        body["id_token"] = json!(st.signer.jwt(&id));
    }
    no_store(body)
}
