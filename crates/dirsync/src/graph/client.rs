//! The one HTTP client for Microsoft Graph: bearer tokens from a [`TokenProvider`], bounded
//! retries for throttling and transient failures, one token renewal on 401, typed errors.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, AUTHORIZATION, LOCATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::GraphError;
use super::retry::{
    parse_retry_after, GraphEvent, GraphObserver, RetryPolicy, SharedObserver, Sleeper,
    TokioSleeper,
};
use crate::auth::TokenProvider;

/// A Microsoft Graph client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    /// `{graph_url}/v1.0/`: relative paths resolve against it.
    base: Url,
    tokens: Arc<dyn TokenProvider>,
    policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    observer: SharedObserver,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base.as_str())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What went wrong with one attempt, and whether trying again may help.
enum Attempt<T> {
    Done(T),
    /// Worth retrying after `wait` (None: use backoff).
    Transient {
        reason: String,
        wait: Option<Duration>,
    },
    Throttled {
        wait: Option<Duration>,
    },
    Malformed(String),
    Unauthorized {
        code: String,
        request_id: Option<String>,
    },
    Fatal(GraphError),
}

impl GraphClient {
    /// A client for the Graph service at `graph_base_url` (e.g. `https://graph.microsoft.com`);
    /// a trailing `/v1.0` is accepted. Redirects are not followed: a token never leaves for
    /// another location.
    pub fn new(graph_base_url: &str, tokens: Arc<dyn TokenProvider>) -> Result<Self, GraphError> {
        let mut base = Url::parse(graph_base_url.trim())
            .map_err(|e| GraphError::InvalidUrl(format!("{graph_base_url}: {e}")))?;
        if !matches!(base.scheme(), "https" | "http") || base.host_str().is_none() {
            return Err(GraphError::InvalidUrl(graph_base_url.to_string()));
        }
        let path = base.path().trim_end_matches('/').to_string();
        let path = if path.ends_with("/v1.0") {
            format!("{path}/")
        } else {
            format!("{path}/v1.0/")
        };
        base.set_path(&path);
        base.set_query(None);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("dirsync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            tokens,
            policy: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            observer: None,
        })
    }

    /// Replaces the retry budget (tests use tiny delays).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Replaces how retry waits happen (tests record them instead of sleeping).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// A clone that reports retries, throttling and token renewals to `observer`.
    pub fn with_observer(&self, observer: Arc<dyn GraphObserver>) -> Self {
        let mut c = self.clone();
        c.observer = Some(observer);
        c
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The base every relative path resolves against (`{graph_url}/v1.0/`).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// GET and deserialize JSON. `path_or_absolute_url` is relative to `{base}/v1.0/` (e.g.
    /// `me?$select=id`) or an absolute link Graph returned (nextLink, deltaLink), which must be
    /// on the Graph host.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path_or_absolute_url: &str,
        headers: &[(&str, &str)],
    ) -> Result<T, GraphError> {
        self.get_parsed(path_or_absolute_url, headers, |body| {
            serde_json::from_slice(body).map_err(|e| e.to_string())
        })
        .await
    }

    /// GET and decode the body with `parse`; a body that `parse` rejects counts as a transient
    /// failure (at most `max_malformed` times). Only one response body is held at a time.
    pub async fn get_parsed<T>(
        &self,
        path_or_absolute_url: &str,
        headers: &[(&str, &str)],
        parse: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, GraphError> {
        let url = self.resolve(path_or_absolute_url)?;
        let mut force_refresh = false;
        let mut renewed = false;
        let mut retries = 0u32;
        let mut malformed = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            let token = self.tokens.access_token(force_refresh).await?;
            if force_refresh {
                self.emit(GraphEvent::TokenRenewed);
                force_refresh = false;
            }
            let outcome = self.attempt(&url, headers, &token, retries, &parse).await;
            drop(token);
            let (reason, wait) = match outcome {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Unauthorized { code, request_id } => {
                    if renewed {
                        return Err(GraphError::Unauthorized { code, request_id });
                    }
                    renewed = true;
                    force_refresh = true;
                    continue;
                }
                Attempt::Throttled { wait } => {
                    let wait = wait.unwrap_or_else(|| self.policy.backoff(retries));
                    self.emit(GraphEvent::Throttled {
                        seconds: wait.as_secs_f64(),
                    });
                    ("429 Too Many Requests".to_string(), wait)
                }
                Attempt::Transient { reason, wait } => {
                    (reason, wait.unwrap_or_else(|| self.policy.backoff(retries)))
                }
                Attempt::Malformed(detail) => {
                    malformed += 1;
                    if malformed > self.policy.max_malformed {
                        return Err(GraphError::Malformed {
                            attempts: malformed,
                            detail,
                        });
                    }
                    (
                        format!("unreadable response: {detail}"),
                        self.policy.backoff(retries),
                    )
                }
            };
            if retries >= self.policy.max_retries || waited + wait > self.policy.max_total_wait {
                return Err(GraphError::RetriesExhausted {
                    attempts: retries + 1,
                    last: reason,
                });
            }
            retries += 1;
            waited += wait;
            tracing::debug!(attempt = retries, %reason, ?wait, "retrying Graph request");
            self.emit(GraphEvent::Retry {
                attempt: retries,
                reason,
                wait,
            });
            self.sleeper.sleep(wait).await;
        }
    }

    /// GET the raw body (for callers that decode it themselves).
    pub async fn get_bytes(
        &self,
        path_or_absolute_url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Vec<u8>, GraphError> {
        self.get_parsed(path_or_absolute_url, headers, |b| Ok(b.to_vec()))
            .await
    }

    /// GET a plain-text body, e.g. `users/$count`.
    pub async fn get_text(
        &self,
        path_or_absolute_url: &str,
        headers: &[(&str, &str)],
    ) -> Result<String, GraphError> {
        self.get_parsed(path_or_absolute_url, headers, |b| {
            std::str::from_utf8(b)
                .map(|s| s.trim().to_string())
                .map_err(|e| e.to_string())
        })
        .await
    }

    async fn attempt<T>(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
        token: &str,
        retries: u32,
        parse: &impl Fn(&[u8]) -> Result<T, String>,
    ) -> Attempt<T> {
        let mut req = self
            .http
            .get(url.clone())
            .header(AUTHORIZATION, format!("Bearer {token}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if retries > 0 {
            req = req.header("retry-attempt", retries.to_string());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Transient {
                    reason: format!("network error: {}", e.without_url()),
                    wait: None,
                }
            }
        };
        let status = resp.status();
        let resp_headers = resp.headers().clone();
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Transient {
                    reason: format!(
                        "connection dropped while reading the response: {}",
                        e.without_url()
                    ),
                    wait: None,
                }
            }
        };
        if status.is_success() {
            return match parse(&body) {
                Ok(v) => Attempt::Done(v),
                Err(detail) => Attempt::Malformed(detail),
            };
        }
        let retry_after = resp_headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let err = ErrorBody::parse(&body, &resp_headers);
        match status {
            StatusCode::TOO_MANY_REQUESTS => Attempt::Throttled { wait: retry_after },
            StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Attempt::Transient {
                reason: format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ),
                wait: retry_after,
            },
            StatusCode::UNAUTHORIZED => Attempt::Unauthorized {
                code: err.code,
                request_id: err.request_id,
            },
            StatusCode::FORBIDDEN => Attempt::Fatal(GraphError::PermissionDenied {
                code: err.code,
                message: err.message,
                request_id: err.request_id,
            }),
            _ => Attempt::Fatal(GraphError::Api {
                status: status.as_u16(),
                code: err.code,
                message: err.message,
                request_id: err.request_id,
                location: resp_headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            }),
        }
    }

    fn resolve(&self, path_or_url: &str) -> Result<Url, GraphError> {
        let lower = path_or_url.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            let url = Url::parse(path_or_url)
                .map_err(|e| GraphError::InvalidUrl(format!("link from Graph: {e}")))?;
            if url.origin() != self.base.origin() {
                return Err(GraphError::ForeignLink {
                    host: url.host_str().unwrap_or("?").to_string(),
                });
            }
            Ok(url)
        } else {
            self.base
                .join(path_or_url.trim_start_matches('/'))
                .map_err(|e| GraphError::InvalidUrl(format!("{path_or_url}: {e}")))
        }
    }

    fn emit(&self, event: GraphEvent) {
        if let Some(o) = &self.observer {
            o.on_event(&event);
        }
    }
}

/// The OData error body: `{"error":{"code","message","innerError":{"request-id"}}}`.
struct ErrorBody {
    code: String,
    message: String,
    request_id: Option<String>,
}

impl ErrorBody {
    fn parse(body: &[u8], headers: &HeaderMap) -> Self {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let e = &v["error"];
        let inner = if e["innerError"].is_object() {
            &e["innerError"]
        } else {
            &e["innererror"]
        };
        let str_of = |v: &serde_json::Value| v.as_str().map(str::to_string);
        Self {
            code: str_of(&e["code"]).unwrap_or_else(|| "unknown".to_string()),
            message: str_of(&e["message"]).unwrap_or_else(|| "no error message".to_string()),
            request_id: headers
                .get("request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| str_of(&inner["request-id"])),
        }
    }
}
