//! Fault injection: deterministic (seeded) failures on the next N requests or a fraction of them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::errors::{graph_error, throttled, RequestIds};
use crate::state::State;

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 TooManyRequests; `retry_after` is sent verbatim (e.g. "2.128"), none = no header.
    TooManyRequests { retry_after: Option<String> },
    /// 503 serviceNotAvailable, with or without Retry-After.
    ServiceUnavailable { retry_after: Option<String> },
    /// 504 gatewayTimeout.
    GatewayTimeout,
    /// 200 whose body is cut off mid-stream by an aborted connection.
    ConnectionReset,
    /// 200 with a complete HTTP body that holds only the first half of the JSON.
    TruncatedJson,
    /// The real response, delayed.
    Slow { millis: u64 },
}

/// A fault and when it applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSpec {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Apply to at most this many matching requests (with no `fraction`: exactly the next N).
    /// Neither `count` nor `fraction` means the next request only.
    #[serde(default)]
    pub count: Option<u32>,
    /// Apply to this fraction (0..=1) of matching requests, decided by the seeded generator.
    #[serde(default)]
    pub fraction: Option<f64>,
    /// Only requests whose path starts with this prefix (default "/v1.0/").
    #[serde(default)]
    pub path_prefix: Option<String>,
}

impl FaultSpec {
    pub fn next(kind: FaultKind, count: u32) -> Self {
        FaultSpec {
            kind,
            count: Some(count),
            fraction: None,
            path_prefix: None,
        }
    }

    pub fn fraction(kind: FaultKind, fraction: f64) -> Self {
        FaultSpec {
            kind,
            count: None,
            fraction: Some(fraction),
            path_prefix: None,
        }
    }
}

struct Active {
    spec: FaultSpec,
    remaining: Option<u32>,
}

pub struct Faults {
    active: Vec<Active>,
    rng: StdRng,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults {
            active: Vec::new(),
            rng: StdRng::seed_from_u64(seed ^ 0xFA_17),
        }
    }

    pub fn add(&mut self, spec: FaultSpec) {
        let remaining = match (spec.count, spec.fraction) {
            (Some(n), _) => Some(n),
            (None, Some(_)) => None,
            (None, None) => Some(1),
        };
        self.active.push(Active { spec, remaining });
    }

    pub fn clear(&mut self) {
        self.active.clear();
    }

    /// Decides the fault for a request on `path`, consuming it.
    pub fn take(&mut self, path: &str) -> Option<FaultKind> {
        let mut chosen = None;
        for a in self.active.iter_mut() {
            let prefix = a.spec.path_prefix.as_deref().unwrap_or("/v1.0/");
            if !path.starts_with(prefix) || a.remaining == Some(0) {
                continue;
            }
            if let Some(f) = a.spec.fraction {
                if !self.rng.gen_bool(f.clamp(0.0, 1.0)) {
                    continue;
                }
            }
            if let Some(r) = a.remaining.as_mut() {
                *r -= 1;
            }
            chosen = Some(a.spec.kind.clone());
            break;
        }
        self.active.retain(|a| a.remaining != Some(0));
        chosen
    }
}

pub(crate) fn fault_name(k: &FaultKind) -> &'static str {
    match k {
        FaultKind::TooManyRequests { .. } => "too_many_requests",
        FaultKind::ServiceUnavailable { .. } => "service_unavailable",
        FaultKind::GatewayTimeout => "gateway_timeout",
        FaultKind::ConnectionReset => "connection_reset",
        FaultKind::TruncatedJson => "truncated_json",
        FaultKind::Slow { .. } => "slow",
    }
}

/// Middleware applying injected faults.
pub async fn layer(AxState(st): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_emulator/") {
        return next.run(req).await;
    }
    let Some(kind) = st.faults.lock().unwrap().take(&path) else {
        return next.run(req).await;
    };
    let ids = RequestIds::from_headers(req.headers(), st.now());
    let mut resp = match &kind {
        FaultKind::TooManyRequests { retry_after } => throttled(&ids, retry_after.as_deref()),
        FaultKind::ServiceUnavailable { retry_after } => {
            let mut r = graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay, the length of which may be specified in a Retry-After header.",
                &ids,
            );
            if let Some(v) = retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                r.headers_mut().insert("retry-after", v);
            }
            r
        }
        FaultKind::GatewayTimeout => graph_error(
            StatusCode::GATEWAY_TIMEOUT,
            "gatewayTimeout",
            "The server, while acting as a proxy, did not receive a timely response from the upstream server it needed to access in attempting to complete the request.",
            &ids,
        ),
        FaultKind::Slow { millis } => {
            tokio::time::sleep(Duration::from_millis(*millis)).await;
            next.run(req).await
        }
        FaultKind::ConnectionReset | FaultKind::TruncatedJson => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
            parts.headers.remove("content-length");
            if matches!(kind, FaultKind::TruncatedJson) {
                Response::from_parts(parts, Body::from(half))
            } else {
                // Send the first half, let it reach the client, then abort the connection.
                let stream = futures_util::stream::unfold(0u8, move |step| {
                    let half = half.clone();
                    async move {
                        match step {
                            0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                            1 => {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                Some((
                                    Err(std::io::Error::new(
                                        std::io::ErrorKind::ConnectionReset,
                                        "connection reset by emulator fault",
                                    )),
                                    2,
                                ))
                            }
                            _ => None,
                        }
                    }
                });
                Response::from_parts(parts, Body::from_stream(stream))
            }
        }
    }
    .into_response();
    resp.extensions_mut()
        .insert(InjectedFault(fault_name(&kind)));
    resp
}

/// Marks a response produced by fault injection (read by the request log).
#[derive(Clone, Copy, Debug)]
pub struct InjectedFault(pub &'static str);
