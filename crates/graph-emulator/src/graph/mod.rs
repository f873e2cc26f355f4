//! Microsoft Graph v1.0 endpoints.

pub mod auth;
pub mod delta;
pub mod render;
pub mod users;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::errors::{graph_error, RequestIds};
use crate::state::State;

pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub fn router(st: Arc<State>) -> Router<Arc<State>> {
    Router::new()
        .route("/v1.0/users/delta", get(delta::handler))
        .route("/v1.0/users/delta()", get(delta::handler))
        .route("/v1.0/users/microsoft.graph.delta", get(delta::handler))
        .route("/v1.0/users/microsoft.graph.delta()", get(delta::handler))
        .route("/v1.0/users", get(users::list))
        .route("/v1.0/users/$count", get(users::count))
        .route("/v1.0/users/{id}", get(users::get_user))
        .route("/v1.0/users/{id}/manager", get(users::get_manager))
        .route("/v1.0/me", get(users::me))
        .route("/v1.0/organization", get(users::organization))
        .route("/v1.0/{*rest}", get(unknown_segment))
        .layer(axum::middleware::from_fn_with_state(st, request_ids))
}

/// Every Graph response carries `request-id` and `client-request-id` headers.
async fn request_ids(AxState(st): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    let ids = RequestIds::from_headers(req.headers(), st.now());
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key("request-id") {
        if let Ok(v) = HeaderValue::from_str(&ids.request_id) {
            h.insert("request-id", v);
        }
    }
    if !h.contains_key("client-request-id") {
        if let Ok(v) = HeaderValue::from_str(&ids.client_request_id) {
            h.insert("client-request-id", v);
        }
    }
    resp
}

async fn unknown_segment(
    AxState(st): AxState<Arc<State>>,
    axum::extract::Path(rest): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let ids = RequestIds::from_headers(&headers, st.now());
    let segment = rest.split('/').next().unwrap_or_default();
    graph_error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        &format!("Resource not found for the segment '{segment}'."),
        &ids,
    )
}

/// A query parameter with or without the `$` prefix.
pub fn param<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.get(&format!("${name}"))
        .or_else(|| q.get(name))
        .map(String::as_str)
}

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    r
}
