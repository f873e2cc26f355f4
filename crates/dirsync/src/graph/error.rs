//! What can go wrong talking to Microsoft Graph, in terms an admin can act on.

use crate::auth::AuthError;

/// A failed Graph request. Never carries an access token, and never a URL (a nextLink or
/// deltaLink holds an opaque skip/delta token that belongs in the database, not in a log).
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error the client does not retry.
    #[error("Microsoft Graph answered {status} {code}: {message}{}", request_id_suffix(.request_id))]
    Api {
        status: u16,
        /// The OData error `code` (e.g. `syncStateNotFound`, `Request_BadRequest`).
        code: String,
        message: String,
        request_id: Option<String>,
        /// The `Location` header, kept for `410 Gone` (Graph's "start the round again" signal).
        location: Option<String>,
    },
    /// 403: the signed-in account or the app lacks a permission.
    #[error(
        "Microsoft Graph refused access ({code}: {message}). Directory Sync needs the delegated permission \
         User.Read.All with admin consent: ask a Global or Privileged Role Administrator to grant consent \
         for the app registration, then sign in again{}",
        request_id_suffix(.request_id)
    )]
    PermissionDenied {
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// 401 even after a freshly renewed access token.
    #[error("Microsoft Graph rejected the access token even after renewing it ({code}); sign in again{}", request_id_suffix(.request_id))]
    Unauthorized {
        code: String,
        request_id: Option<String>,
    },
    /// No token could be had (sign-in required, identity platform error or unreachable).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Throttling, server or network trouble outlasted the retry budget.
    #[error("Microsoft Graph is unavailable after {attempts} attempts ({last}); try again later")]
    RetriesExhausted { attempts: u32, last: String },
    /// Graph kept answering with something that is not the expected JSON.
    #[error("Microsoft Graph sent an unreadable response after {attempts} attempts: {detail}")]
    Malformed { attempts: u32, detail: String },
    /// The configured Graph URL cannot be used.
    #[error("invalid Microsoft Graph URL: {0}; check the graph_url setting")]
    InvalidUrl(String),
    /// A link from a response points somewhere other than the configured Graph host; the access
    /// token is never sent there.
    #[error("Microsoft Graph returned a link to another host ({host}); refusing to send the access token there")]
    ForeignLink { host: String },
    /// The HTTP client could not be built (TLS backend trouble).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

fn request_id_suffix(id: &Option<String>) -> String {
    match id {
        Some(id) => format!(" (request-id {id})"),
        None => String::new(),
    }
}

impl GraphError {
    /// The Graph error code, when Graph sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            GraphError::Api { code, .. }
            | GraphError::PermissionDenied { code, .. }
            | GraphError::Unauthorized { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status Graph answered with, when the failure is an HTTP error.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } => Some(*status),
            GraphError::PermissionDenied { .. } => Some(403),
            GraphError::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }

    /// Graph no longer knows the delta token: `syncStateNotFound`/`resyncRequired` (any status,
    /// any casing) or `410 Gone`. The round must start again from scratch.
    pub fn is_sync_state_lost(&self) -> bool {
        match self {
            GraphError::Api { status, code, .. } => {
                *status == 410
                    || code.eq_ignore_ascii_case("syncStateNotFound")
                    || code.eq_ignore_ascii_case("resyncRequired")
            }
            _ => false,
        }
    }

    /// Interactive sign-in is needed before Graph can be called again.
    pub fn is_sign_in_required(&self) -> bool {
        match self {
            GraphError::Auth(e) => e.is_sign_in_required(),
            GraphError::Unauthorized { .. } => true,
            _ => false,
        }
    }
}
