//! The one error type commands return. It reaches the UI as `{ "code": ..., "message": ... }`:
//! `code` is stable for the UI to branch on, `message` is a sentence to show the admin.
//!
//! Every message leaving the shell (the UI, events, notifications) goes through [`Error::message`]:
//! the error's text after the same redaction as the history and its exports, because an error
//! can quote what a server or a library said, Authorization header and tokens included.

use serde::{ser::SerializeStruct, Serialize, Serializer};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data directory or database could not be opened at start; the reason says why.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] dirsync::store::StoreError),
    #[error(transparent)]
    Settings(#[from] dirsync::settings::SettingsError),
    #[error(transparent)]
    Sync(#[from] dirsync::sync::SyncError),
    #[error(transparent)]
    Directory(#[from] dirsync::directory::DirectoryError),
    #[error(transparent)]
    Mapping(#[from] dirsync::mapping::MappingError),
    #[error(transparent)]
    Runs(#[from] dirsync::runs::RunsError),
    /// Groups and rules (issue 7).
    #[error(transparent)]
    Groups(#[from] dirsync::groups::GroupsError),
    /// The save dialog could not be shown or returned something that is not a file path.
    #[error("the save dialog failed: {0}")]
    Dialog(String),
    #[error("could not write {path}: {reason}")]
    Write { path: String, reason: String },
    /// Something the admin asked for does not exist (a user removed since the list was shown).
    #[error("{0}")]
    NotFound(String),
    /// The admin's input was refused; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// Sign-in, sign-out or the stored sign-in failed (issue 4).
    #[error(transparent)]
    Auth(#[from] dirsync::auth::AuthError),
    /// The built-in demo tenant could not start.
    #[error("{0}")]
    Demo(String),
}

impl Error {
    /// The text the admin sees: [`Display`](std::fmt::Display) with anything credential-shaped
    /// replaced by `[redacted]`.
    pub fn message(&self) -> String {
        dirsync::runs::redact(&self.to_string()).into_owned()
    }

    pub fn code(&self) -> &'static str {
        use dirsync::mapping::MappingError;
        use dirsync::settings::SettingsError;
        match self {
            Error::Unavailable(_) => "store_unavailable",
            Error::Store(_) => "store",
            Error::Settings(SettingsError::Unknown(_)) => "settings_unknown",
            Error::Settings(SettingsError::Invalid { .. }) => "settings_invalid",
            Error::Settings(SettingsError::Store(_)) => "store",
            Error::Dialog(_) => "dialog",
            Error::Write { .. } => "write_failed",
            Error::Sync(e) => sync_code(e),
            Error::Directory(_) => "directory",
            Error::Mapping(MappingError::InvalidRow { .. } | MappingError::BuiltinRemoved(_)) => {
                "mapping_invalid"
            }
            Error::Mapping(_) => "mapping",
            Error::Runs(_) => "runs",
            Error::Groups(e) => groups_code(e),
            Error::NotFound(_) => "not_found",
            Error::Invalid(_) => "invalid",
            Error::Auth(e) => auth_code(e),
            Error::Demo(_) => "demo_tenant",
        }
    }
}

fn groups_code(e: &dirsync::groups::GroupsError) -> &'static str {
    use dirsync::groups::GroupsError;
    match e {
        GroupsError::InvalidRule { .. } => "rule_invalid",
        GroupsError::UnknownGroup(_) | GroupsError::UnknownUser(_) => "not_found",
        GroupsError::Duplicate(_) => "group_duplicate",
        GroupsError::EmptyName
        | GroupsError::NotStatic(..)
        | GroupsError::NotDynamic(..)
        | GroupsError::Builtin(_) => "invalid",
        _ => "groups",
    }
}

fn sync_code(e: &dirsync::sync::SyncError) -> &'static str {
    use dirsync::sync::SyncError;
    match e {
        SyncError::RunInProgress(_) => "sync_in_progress",
        SyncError::SignInRequired(_) => "sign_in_required",
        SyncError::DeltaLinkTooOld { .. } => "delta_link_too_old",
        _ => "sync_failed",
    }
}

/// Stable codes for sign-in failures, shared with the `auth://changed` event's error.
pub fn auth_code(e: &dirsync::auth::AuthError) -> &'static str {
    use dirsync::auth::AuthError;
    match e {
        AuthError::SignInRequired { .. } => "sign_in_required",
        AuthError::AdminConsentRequired { .. } => "admin_consent_required",
        AuthError::Cancelled => "sign_in_cancelled",
        AuthError::TimedOut { .. } => "sign_in_timed_out",
        AuthError::Config(_) => "sign_in_config",
        AuthError::Network(_) => "sign_in_network",
        AuthError::TokenStorage(_) => "token_storage",
        _ => "sign_in_failed",
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.message())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_as_code_and_message() {
        let cases = [
            (
                Error::Unavailable("the database is locked".into()),
                json!({"code": "store_unavailable", "message": "the database is locked"}),
            ),
            (
                Error::Settings(dirsync::settings::SettingsError::Invalid {
                    key: "tenant".into(),
                    reason: "must not be empty".into(),
                }),
                json!({"code": "settings_invalid", "message": "invalid value for 'tenant': must not be empty"}),
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(serde_json::to_value(&error).unwrap(), expected);
        }
    }

    /// A failed run or sign-in whose error quotes a credential (a server echoing the request, a
    /// library printing a form) reaches the UI with the credential replaced, as in the exports.
    #[test]
    fn messages_are_redacted_like_the_exports() {
        use dirsync::auth::AuthError;
        use dirsync::graph::GraphError;
        use dirsync::sync::SyncError;
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl";
        let cases = [
            (
                Error::Sync(SyncError::Graph(GraphError::Api {
                    status: 400,
                    code: "BadRequest".into(),
                    message: format!("request was GET /users Authorization: Bearer {jwt}"),
                    request_id: Some("r-1".into()),
                    location: None,
                })),
                // A header value runs to the end of the line, so the request id goes with it.
                json!({"code": "sync_failed",
                       "message": "Microsoft Graph answered 400 BadRequest: request was GET /users Authorization: [redacted]"}),
            ),
            (
                Error::Sync(SyncError::SignInRequired(format!(
                    "renewal refused for refresh_token=0.AXkA-r3fr35h with access_token {jwt}"
                ))),
                json!({"code": "sign_in_required",
                       "message": "Sign-in required: renewal refused for refresh_token=[redacted] with access_token [redacted]"}),
            ),
            (
                Error::Auth(AuthError::Identity {
                    code: Some("AADSTS7000215".into()),
                    message: "AADSTS7000215: Invalid client secret. Sent: grant_type=authorization_code&code=0.AAA-c0de&code_verifier=v3r1f13r&client_secret=s3cr3t".into(),
                }),
                json!({"code": "sign_in_failed",
                       "message": "AADSTS7000215: Invalid client secret. Sent: grant_type=authorization_code&code=[redacted]&code_verifier=[redacted]&client_secret=[redacted]"}),
            ),
        ];
        for (error, expected) in cases {
            let shown = serde_json::to_value(&error).unwrap();
            assert_eq!(shown, expected);
            assert_eq!(shown["message"], error.message());
        }
    }
}
