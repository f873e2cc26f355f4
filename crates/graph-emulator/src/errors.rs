//! Error bodies in the documented shapes: Graph (OData) and identity platform (AADSTS).

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;

/// Per-request identifiers echoed in Graph error bodies and headers.
#[derive(Clone, Debug)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
    pub date: DateTime<Utc>,
}

impl RequestIds {
    pub fn from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> Self {
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        RequestIds {
            request_id: uuid::Uuid::new_v4().to_string(),
            client_request_id,
            date: now,
        }
    }

    fn date_str(&self) -> String {
        self.date.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
pub fn graph_error(status: StatusCode, code: &str, message: &str, ids: &RequestIds) -> Response {
    let body = json!({"error": {"code": code, "message": message, "innerError": {
        "date": ids.date_str(), "request-id": ids.request_id, "client-request-id": ids.client_request_id}}});
    with_ids(status, body, ids)
}

/// The throttling body of the Graph throttling documentation (429).
pub fn throttled(ids: &RequestIds, retry_after: Option<&str>) -> Response {
    let body = json!({"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": {
        "code": "429", "date": ids.date_str(), "message": "Please retry after", "request-id": ids.request_id,
        "client-request-id": ids.client_request_id, "status": "429"}}});
    let mut r = with_ids(StatusCode::TOO_MANY_REQUESTS, body, ids);
    if let Some(ra) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        r.headers_mut().insert("retry-after", ra);
    }
    r
}

fn with_ids(status: StatusCode, body: serde_json::Value, ids: &RequestIds) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ids.request_id) {
        h.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ids.client_request_id) {
        h.insert("client-request-id", v);
    }
    r
}

/// Identity platform error:
/// `{"error","error_description":"AADSTSnnnnn: …","error_codes":[…],"timestamp","trace_id","correlation_id"}`.
pub fn identity_error(
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Response {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let timestamp = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    r
}
