//! Microsoft Graph: the HTTP client (retries, throttling, token renewal) and the delta-page shape.

mod client;
mod delta;
mod error;
mod retry;

pub use client::GraphClient;
pub use delta::{DeltaPage, DeltaRemoved};
pub use error::GraphError;
pub use retry::{GraphEvent, GraphObserver, RetryPolicy, Sleeper, TokioSleeper};
