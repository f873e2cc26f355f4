//! `/v1.0/users`, `/v1.0/users/$count`, `/v1.0/users/{id}`, `/v1.0/me`, `/v1.0/organization`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::auth::{authenticate, require, Caller, READ_ALL_USERS};
use super::render::{parse_select, props_of, render};
use super::{json_response, param};
use crate::errors::{graph_error, RequestIds};
use crate::state::State;
use crate::tenant::store::UserState;

const LIST_SKIP: &str = "list";
const DEFAULT_TOP: usize = 100;

#[derive(Serialize, Deserialize)]
struct ListCursor {
    s: Option<Vec<String>>,
    top: usize,
    c: usize,
    count: bool,
}

fn start(
    st: &State,
    headers: &HeaderMap,
    perms: &[&str],
) -> Result<(RequestIds, Caller), Response> {
    let ids = RequestIds::from_headers(headers, st.now());
    let caller = authenticate(st, headers, &ids)?;
    require(&caller, perms, &ids)?;
    Ok((ids, caller))
}

fn eventual(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

pub async fn list(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (ids, _) = match start(&st, &headers, READ_ALL_USERS) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let cursor = if let Some(tok) = param(&q, "skiptoken") {
        match st.signer.open::<ListCursor>(LIST_SKIP, tok) {
            Some(c) => c,
            None => {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    "Invalid $skiptoken.",
                    &ids,
                )
            }
        }
    } else {
        let s = match parse_select(param(&q, "select"), &st.extension_name()) {
            Ok(s) => s,
            Err((s, c, m)) => return graph_error(s, c, &m, &ids),
        };
        let top = match param(&q, "top").map(str::parse::<usize>) {
            None => DEFAULT_TOP,
            Some(Ok(n)) if (1..=999).contains(&n) => n,
            Some(_) => {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    &format!(
                        "Invalid page size specified: '{}'. Must be between 1 and 999 inclusive.",
                        param(&q, "top").unwrap_or_default()
                    ),
                    &ids,
                )
            }
        };
        let count = param(&q, "count").is_some_and(|c| c.eq_ignore_ascii_case("true"));
        if count && !eventual(&headers) {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "$count is not currently supported.",
                &ids,
            );
        }
        ListCursor {
            s,
            top,
            c: 0,
            count,
        }
    };
    let props = props_of(&cursor.s);
    let store = st.store.lock().unwrap();
    let mut items = Vec::with_capacity(cursor.top);
    let mut pos = cursor.c;
    while pos < store.positions() && items.len() < cursor.top {
        if let Some(v) = store.view_at(pos) {
            if v.state == UserState::Active {
                items.push(Value::Object(render(&v.user, &props, true, false)));
            }
        }
        pos += 1;
    }
    let more = pos < store.positions();
    let total = store.live_count();
    drop(store);
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#users", st.base_url)),
    );
    if cursor.count {
        body.insert("@odata.count".into(), json!(total));
    }
    if more {
        let next = ListCursor { c: pos, ..cursor };
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}/v1.0/users?$skiptoken={}",
                st.base_url,
                st.signer.seal(LIST_SKIP, &next)
            )),
        );
    }
    body.insert("value".into(), Value::Array(items));
    json_response(StatusCode::OK, &Value::Object(body))
}

pub async fn count(AxState(st): AxState<Arc<State>>, headers: HeaderMap) -> Response {
    let (ids, _) = match start(&st, &headers, READ_ALL_USERS) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !eventual(&headers) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "$count is not currently supported.",
            &ids,
        );
    }
    let n = st.store.lock().unwrap().live_count();
    let mut r = (StatusCode::OK, n.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    r
}

fn not_found(key: &str, ids: &RequestIds) -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!("Resource '{key}' does not exist or one of its queried reference-property objects are not present."),
        ids,
    )
}

fn one_user(st: &State, key: &str, q: &HashMap<String, String>, ids: &RequestIds) -> Response {
    let s = match parse_select(param(q, "select"), &st.extension_name()) {
        Ok(s) => s,
        Err((s, c, m)) => return graph_error(s, c, &m, ids),
    };
    let view = st.store.lock().unwrap().find(key);
    match view {
        Some(v) if v.state == UserState::Active => {
            let mut body = render(&v.user, &props_of(&s), true, false);
            body.insert(
                "@odata.context".into(),
                json!(format!("{}/v1.0/$metadata#users/$entity", st.base_url)),
            );
            json_response(StatusCode::OK, &Value::Object(body))
        }
        _ => not_found(key, ids),
    }
}

pub async fn get_user(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (ids, caller) = match start(&st, &headers, &[READ_ALL_USERS, &["User.Read"]].concat()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let own = caller
        .oid
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case(&id));
    if !own {
        if let Err(r) = require(&caller, READ_ALL_USERS, &ids) {
            return r;
        }
    }
    one_user(&st, &id, &q, &ids)
}

pub async fn get_manager(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (ids, _) = match start(&st, &headers, READ_ALL_USERS) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let store = st.store.lock().unwrap();
    let Some(v) = store.find(&id).filter(|v| v.state == UserState::Active) else {
        return not_found(&id, &ids);
    };
    let manager = v
        .user
        .get("manager")
        .and_then(Value::as_str)
        .and_then(|m| store.get(m));
    match manager.filter(|m| m.state == UserState::Active) {
        Some(m) => {
            let mut body = render(&m.user, &props_of(&None), true, false);
            body.insert("@odata.type".into(), json!("#microsoft.graph.user"));
            json_response(StatusCode::OK, &Value::Object(body))
        }
        None => not_found("manager", &ids),
    }
}

pub async fn me(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (ids, caller) = match start(&st, &headers, &[READ_ALL_USERS, &["User.Read"]].concat()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if caller.app_only {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/me request is only valid with delegated authentication flow.",
            &ids,
        );
    }
    let oid = caller.oid.unwrap_or_default();
    one_user(&st, &oid, &q, &ids)
}

pub async fn organization(AxState(st): AxState<Arc<State>>, headers: HeaderMap) -> Response {
    let (_ids, _) = match start(
        &st,
        &headers,
        &[READ_ALL_USERS, &["User.Read", "Organization.Read.All"]].concat(),
    ) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = &st.tenant;
    let body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#organization", st.base_url),
        "value": [{
            "id": t.id,
            "displayName": t.display_name,
            "tenantType": "AAD",
            "countryLetterCode": "US",
            "verifiedDomains": [{"name": t.domain, "isDefault": true, "isInitial": true, "type": "Managed",
                "capabilities": "Email, OfficeCommunicationsOnline"}],
        }]
    });
    json_response(StatusCode::OK, &body)
}
