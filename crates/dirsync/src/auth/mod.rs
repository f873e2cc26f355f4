//! Signing in to the Microsoft identity platform and keeping a valid access token for Graph.

mod provider;

pub use provider::{AuthError, TokenProvider};
