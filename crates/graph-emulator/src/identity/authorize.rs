//! `GET /{tenant}/oauth2/v2.0/authorize` and the sign-in / consent form posts.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Path, Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{pages, redirect_matches, scopes};
use crate::state::{CodeGrant, Flow, State};
use crate::tenant::store::UserState;
use crate::tokens::random_token;

const SESSION_COOKIE: &str = "ESTSAUTH_EMU";

#[derive(Serialize, Deserialize)]
struct Session {
    oid: String,
}

fn redirect(location: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn redirect_with(flow: &Flow, params: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(&flow.redirect_uri) {
        Ok(u) => u,
        Err(_) => return pages::error(50011, "Invalid redirect URI."),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = &flow.state {
            q.append_pair("state", s);
        }
    }
    redirect(url.as_str())
}

fn redirect_error(
    flow: &Flow,
    error: &str,
    code: u32,
    description: &str,
    subcode: Option<&str>,
) -> Response {
    let desc = format!("AADSTS{code}: {description}");
    let mut params = vec![("error", error), ("error_description", desc.as_str())];
    if let Some(s) = subcode {
        params.push(("error_subcode", s));
    }
    redirect_with(flow, &params)
}

fn session_user(st: &State, headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let value = cookies.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == SESSION_COOKIE).then_some(v)
    })?;
    let s: Session = st.signer.open("session", value)?;
    let store = st.store.lock().unwrap();
    let v = store.get(&s.oid)?;
    (v.state == UserState::Active && v.user["accountEnabled"] != false).then_some(s.oid)
}

fn is_admin(st: &State, upn: &str) -> Option<String> {
    let store = st.store.lock().unwrap();
    store.admins.iter().find_map(|id| {
        let v = store.get(id)?;
        v.user["userPrincipalName"]
            .as_str()
            .filter(|u| u.eq_ignore_ascii_case(upn))
            .map(|_| id.clone())
    })
}

/// Whether the user still has to consent to some of the flow's scopes for this client.
fn consent_needed(st: &State, flow: &Flow, user: &str) -> bool {
    let Some(client) = st.client(&flow.client_id) else {
        return true;
    };
    let id = st.identity.lock().unwrap();
    let granted = id
        .consents
        .get(&(user.to_owned(), client.client_id.clone()));
    flow.scopes.iter().any(|s| {
        scopes::is_graph(s)
            && !scopes::needs_admin(s)
            && !client.admin_consented.contains(s)
            && !granted.is_some_and(|g| g.contains(s))
    }) || flow
        .scopes
        .iter()
        .any(|s| scopes::needs_admin(s) && !client.admin_consented.contains(s))
}

fn grant_user_consent(st: &State, flow: &Flow, user: &str) {
    let mut id = st.identity.lock().unwrap();
    let set = id
        .consents
        .entry((user.to_owned(), flow.client_id.to_ascii_lowercase()))
        .or_default();
    for s in &flow.scopes {
        if scopes::is_graph(s) && !scopes::needs_admin(s) {
            set.insert(s.clone());
        }
    }
}

/// Issues a single-use code and redirects to the client with `code` and `state`.
fn complete(st: &State, flow: &Flow, user: &str) -> Response {
    let code = format!("1.{}", random_token(48));
    st.identity.lock().unwrap().codes.insert(
        code.clone(),
        CodeGrant {
            flow: flow.clone(),
            user_id: user.to_owned(),
            issued: st.now(),
        },
    );
    let session_state = uuid::Uuid::new_v4().to_string();
    let mut r = redirect_with(flow, &[("code", &code), ("session_state", &session_state)]);
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=None",
        st.signer.seal(
            "session",
            &Session {
                oid: user.to_owned()
            }
        )
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn admin_accounts(st: &State) -> Vec<(String, String)> {
    let store = st.store.lock().unwrap();
    store
        .admins
        .iter()
        .filter_map(|id| store.get(id))
        .filter(|v| v.state == UserState::Active)
        .map(|v| {
            (
                v.user["userPrincipalName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                v.user["displayName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

fn show_login(st: &State, tenant: &str, flow_id: &str, error: Option<&str>) -> Response {
    pages::login(
        &format!("/{tenant}/oauth2/v2.0/login"),
        flow_id,
        &st.tenant.display_name,
        &admin_accounts(st),
        error,
    )
}

fn show_consent(st: &State, tenant: &str, flow_id: &str, flow: &Flow, user: &str) -> Response {
    let client = st.client(&flow.client_id);
    let upn = st
        .store
        .lock()
        .unwrap()
        .get(user)
        .and_then(|v| v.user["userPrincipalName"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let admin_note = client.as_ref().is_some_and(|c| {
        flow.scopes
            .iter()
            .any(|s| scopes::needs_admin(s) && !c.admin_consented.contains(s))
    });
    pages::consent(
        &format!("/{tenant}/oauth2/v2.0/consent"),
        flow_id,
        &client.map(|c| c.display_name).unwrap_or_default(),
        &upn,
        &flow.scopes,
        admin_note,
    )
}

/// After sign-in: consent step if needed (or forced by prompt=consent), else the code.
fn after_sign_in(st: &State, tenant: &str, flow_id: &str, mut flow: Flow, user: &str) -> Response {
    flow.user_id = Some(user.to_owned());
    let force = flow.prompt.as_deref() == Some("consent");
    if force || consent_needed(st, &flow, user) {
        st.identity
            .lock()
            .unwrap()
            .flows
            .insert(flow_id.to_owned(), flow.clone());
        let mut r = show_consent(st, tenant, flow_id, &flow, user);
        let cookie = format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=None",
            st.signer.seal(
                "session",
                &Session {
                    oid: user.to_owned()
                }
            )
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        return r;
    }
    st.identity.lock().unwrap().flows.remove(flow_id);
    complete(st, &flow, user)
}

pub async fn authorize(
    AxState(st): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !st.tenant_matches(&tenant) {
        return pages::error(
            90002,
            &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        );
    }
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return pages::error(
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(client) = st.client(client_id) else {
        return pages::error(
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                st.tenant.display_name
            ),
        );
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return pages::error(
            900144,
            "The request body must contain the following parameter: 'redirect_uri'.",
        );
    };
    if !client
        .redirect_uris
        .iter()
        .any(|r| redirect_matches(r, redirect_uri))
    {
        return pages::error(
            50011,
            &format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.",
                client.client_id
            ),
        );
    }
    let mut flow = Flow {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes: vec![],
        state: get("state").map(str::to_owned),
        nonce: get("nonce").map(str::to_owned),
        prompt: get("prompt").map(str::to_owned),
        code_challenge: get("code_challenge").map(str::to_owned),
        code_challenge_method: get("code_challenge_method").unwrap_or("plain").to_owned(),
        user_id: None,
    };
    if get("response_type") != Some("code") {
        return redirect_error(
            &flow,
            "unsupported_response_type",
            700054,
            &format!(
                "response_type '{}' is not enabled for the application.",
                get("response_type").unwrap_or_default()
            ),
            None,
        );
    }
    if get("response_mode").is_some_and(|m| m != "query") {
        return redirect_error(
            &flow,
            "invalid_request",
            900144,
            "The emulator supports response_mode=query only.",
            None,
        );
    }
    let Some(scope) = get("scope") else {
        return redirect_error(
            &flow,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
            None,
        );
    };
    flow.scopes = match scopes::normalize(scope) {
        Ok(s) => s,
        Err(bad) => {
            return redirect_error(
                &flow,
                "invalid_scope",
                70011,
                &format!("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {bad} is not valid."),
                None,
            )
        }
    };
    if flow.code_challenge.is_some() {
        if flow.code_challenge_method != "S256" && flow.code_challenge_method != "plain" {
            return redirect_error(&flow, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid. The code_challenge_method is not supported.", None);
        }
        let len = flow.code_challenge.as_deref().map_or(0, str::len);
        if !(43..=128).contains(&len) {
            return redirect_error(
                &flow,
                "invalid_request",
                501491,
                "Invalid size of Code_Challenge parameter.",
                None,
            );
        }
    }
    if let Some(p) = &flow.prompt {
        if !["login", "none", "consent", "select_account"].contains(&p.as_str()) {
            return redirect_error(
                &flow,
                "invalid_request",
                90023,
                &format!("Invalid prompt value '{p}'."),
                None,
            );
        }
    }
    let hinted_admin = get("login_hint").and_then(|h| is_admin(&st, h));
    if st.config.auto_approve || hinted_admin.is_some() {
        let user = hinted_admin
            .or_else(|| session_user(&st, &headers))
            .or_else(|| st.store.lock().unwrap().admins.first().cloned());
        let Some(user) = user else {
            return redirect_error(
                &flow,
                "login_required",
                50058,
                "A silent sign-in request was sent but no user is signed in.",
                None,
            );
        };
        grant_user_consent(&st, &flow, &user);
        return complete(&st, &flow, &user);
    }
    let session = session_user(&st, &headers);
    let flow_id = random_token(24);
    match (flow.prompt.as_deref(), session) {
        (Some("none"), None) => redirect_error(
            &flow,
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in. The cookies used to represent the user's session were not sent in the request to Azure AD.",
            None,
        ),
        (Some("none"), Some(user)) => {
            if consent_needed(&st, &flow, &user) {
                let cid = flow.client_id.clone();
                redirect_error(
                    &flow,
                    "consent_required",
                    65001,
                    &format!("The user or administrator has not consented to use the application with ID '{cid}'. Send an interactive authorization request for this user and resource."),
                    None,
                )
            } else {
                complete(&st, &flow, &user)
            }
        }
        (Some("login") | Some("select_account"), _) | (_, None) => {
            st.identity.lock().unwrap().flows.insert(flow_id.clone(), flow);
            show_login(&st, &tenant, &flow_id, None)
        }
        (_, Some(user)) => after_sign_in(&st, &tenant, &flow_id, flow, &user),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    flow: String,
    account: Option<String>,
    cancel: Option<String>,
}

pub async fn login(
    AxState(st): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    Form(form): Form<LoginForm>,
) -> Response {
    let Some(flow) = st.identity.lock().unwrap().flows.get(&form.flow).cloned() else {
        return pages::error(
            50058,
            "The sign-in session has expired or is unknown. Start again from the application.",
        );
    };
    if form.cancel.is_some() {
        st.identity.lock().unwrap().flows.remove(&form.flow);
        return redirect_error(
            &flow,
            "access_denied",
            50126,
            "The user canceled the sign-in.",
            Some("cancel"),
        );
    }
    let account = form.account.unwrap_or_default();
    let view = st.store.lock().unwrap().find(account.trim());
    let Some(view) = view.filter(|v| v.state == UserState::Active) else {
        return show_login(
            &st,
            &tenant,
            &form.flow,
            Some(&format!(
                "AADSTS50034: The user account {account} does not exist in the {} directory.",
                st.tenant.domain
            )),
        );
    };
    if view.user["accountEnabled"] == false {
        return show_login(
            &st,
            &tenant,
            &form.flow,
            Some("AADSTS50057: The user account is disabled."),
        );
    }
    let user = view.user["id"].as_str().unwrap_or_default().to_owned();
    after_sign_in(&st, &tenant, &form.flow, flow, &user)
}

#[derive(Deserialize)]
pub struct ConsentForm {
    flow: String,
    decision: Option<String>,
}

pub async fn consent(
    AxState(st): AxState<Arc<State>>,
    Path(_tenant): Path<String>,
    Form(form): Form<ConsentForm>,
) -> Response {
    let Some(flow) = st.identity.lock().unwrap().flows.remove(&form.flow) else {
        return pages::error(
            50058,
            "The sign-in session has expired or is unknown. Start again from the application.",
        );
    };
    let Some(user) = flow.user_id.clone() else {
        return pages::error(50058, "No user is signed in for this request.");
    };
    if form.decision.as_deref() != Some("accept") {
        return redirect_error(
            &flow,
            "access_denied",
            65004,
            "User declined to consent to access the app.",
            Some("cancel"),
        );
    }
    grant_user_consent(&st, &flow, &user);
    complete(&st, &flow, &user)
}
