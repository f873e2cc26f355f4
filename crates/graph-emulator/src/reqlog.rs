//! Request log middleware.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Request, State as AxState};
use axum::middleware::Next;
use axum::response::Response;

use crate::faults::InjectedFault;
use crate::state::{LoggedRequest, State};

const KEPT_HEADERS: &[&str] = &[
    "prefer",
    "consistencylevel",
    "client-request-id",
    "retry-attempt",
    "user-agent",
];
const MAX_LOG: usize = 100_000;

pub async fn layer(AxState(st): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_emulator/") {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let query = req.uri().query().map(str::to_owned);
    let mut headers = BTreeMap::new();
    for h in KEPT_HEADERS {
        if let Some(v) = req.headers().get(*h).and_then(|v| v.to_str().ok()) {
            headers.insert(h.to_string(), v.to_owned());
        }
    }
    if let Some(v) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        let scheme = v.split(' ').next().unwrap_or_default();
        headers.insert("authorization".into(), format!("{scheme} <redacted>"));
    }
    let time = st.now();
    let resp = next.run(req).await;
    let fault = resp
        .extensions()
        .get::<InjectedFault>()
        .map(|f| f.0.to_owned());
    let mut log = st.log.lock().unwrap();
    let seq = log.last().map_or(1, |l| l.seq + 1);
    if log.len() >= MAX_LOG {
        log.remove(0);
    }
    log.push(LoggedRequest {
        seq,
        time,
        method,
        path,
        query,
        status: resp.status().as_u16(),
        fault,
        headers,
    });
    resp
}
