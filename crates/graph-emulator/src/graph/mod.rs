//! Microsoft Graph v1.0 endpoints.

pub mod auth;
pub mod delta;
pub mod render;
pub mod users;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::state::State;

pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub fn router() -> Router<Arc<State>> {
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
