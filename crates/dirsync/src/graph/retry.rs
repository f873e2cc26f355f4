//! How long to wait before retrying a failed Graph request, and how many retries a request may use.

use std::sync::Arc;
use std::time::Duration;

/// Bounded retries: a request gives up after `max_retries` retries or once the waits it asked for
/// add up to `max_total_wait`, whichever comes first. Waits are counted as planned (not measured),
/// so the budget behaves the same with an injected sleeper.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub max_total_wait: Duration,
    /// First backoff for 503/504/network errors; doubled per attempt, with jitter.
    pub base_delay: Duration,
    /// Cap on a single backoff wait (does not cap a `Retry-After` Graph asked for).
    pub max_delay: Duration,
    /// How many unreadable (malformed JSON) responses a request tolerates before failing.
    pub max_malformed: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 8,
            max_total_wait: Duration::from_secs(300),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_malformed: 3,
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with "full jitter" between half and the whole of `base * 2^attempt`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let jitter: f64 = rand::random::<f64>() * 0.5 + 0.5;
        exp.mul_f64(jitter)
    }
}

/// Parses `Retry-After` as (possibly fractional) seconds, e.g. `2.128`. HTTP dates are rare
/// on Graph and are treated as absent, falling back to backoff.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// Waits between retries. Tests inject one that records the waits instead of sleeping.
#[async_trait::async_trait]
pub trait Sleeper: Send + Sync {
    async fn sleep(&self, duration: Duration);
}

/// Real waiting on the tokio timer.
#[derive(Debug, Default)]
pub struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Something worth telling the run log about while a request is retried.
#[derive(Debug, Clone, PartialEq)]
pub enum GraphEvent {
    /// A request is retried after `wait`; `reason` is e.g. `503 Service Unavailable`, never a URL.
    Retry {
        attempt: u32,
        reason: String,
        wait: Duration,
    },
    /// Graph throttled the request (429) and asked to wait this long.
    Throttled { seconds: f64 },
    /// Graph rejected the access token (401) and a new one was obtained.
    TokenRenewed,
}

/// Receives [`GraphEvent`]s; the sync run records them as run events.
pub trait GraphObserver: Send + Sync {
    fn on_event(&self, event: &GraphEvent);
}

impl<F: Fn(&GraphEvent) + Send + Sync> GraphObserver for F {
    fn on_event(&self, event: &GraphEvent) {
        self(event)
    }
}

pub(crate) type SharedObserver = Option<Arc<dyn GraphObserver>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_fractions_and_rejects_garbage() {
        assert_eq!(
            parse_retry_after("2.128"),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        let first = p.backoff(0);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        let late = p.backoff(10);
        assert!(late >= Duration::from_millis(250) && late <= Duration::from_millis(500));
    }
}
