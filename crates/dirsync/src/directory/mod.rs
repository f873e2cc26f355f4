//! The local organization directory: one entry per Azure AD user, keyed by the immutable object id
//! (never UPN or mail, so a renamed user stays the same entry).
//!
//! Each entry keeps the mapped directory fields (for display and search), the merged raw Graph
//! properties (for rules and audit), account state, and when it was added and last changed.
//! [`apply_upsert`] and [`apply_remove`] run inside the sync's transaction; the query side
//! ([`search`], [`get`], [`export_csv`]) serves the Directory page and the CLI.

mod apply;
mod bulk;
mod export;
mod matching;
mod query;

use serde::Serialize;

pub use apply::{
    apply_remove, apply_upsert, insert_new, remap_all, save_mapping, MappingSaved, NewUser,
};
pub use bulk::{BatchedFts, BulkLoad};
pub use export::{export_csv, export_csv_matching};
pub use query::{all_ids, count, get, sample_values, search};

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("Graph returned a user object without an id; the response is malformed")]
    MissingId,
    #[error("user {id} is marked @removed; apply it as a removal, not an update")]
    RemovedMarker { id: String },
    #[error("Graph returned a user that is not a JSON object: {0}")]
    NotAnObject(String),
    #[error("the stored entry of user {id} is damaged ({reason}); run Reset sync to re-read the directory")]
    Damaged { id: String, reason: String },
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Groups(#[from] crate::groups::GroupsError),
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
    #[error("directory database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// What an upsert did to the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum UserChange {
    /// A new entry (or a restored one) with its mapped fields.
    Added {
        fields: Vec<(String, Option<String>)>,
    },
    /// Changed values: mapped fields by field name, other Graph properties by their Graph name.
    Updated {
        changes: Vec<FieldChange>,
    },
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Why a user leaves the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RemoveReason {
    /// `@removed` reason `changed`: in Azure AD's deleted items, restorable.
    SoftDeleted,
    /// `@removed` reason `deleted`: permanently deleted.
    HardDeleted,
    /// Absent from a completed full round.
    Swept,
    /// No longer selected by the sync scope (`groups::scope`).
    OutOfScope,
}

/// The entry that was removed, for run records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedUser {
    pub id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub reason: RemoveReason,
    /// Groups the user left, Employee network first.
    pub groups: Vec<String>,
}

/// Columns the list can be sorted by.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortKey {
    #[default]
    Name,
    Upn,
    Mail,
    Phone,
    City,
    Department,
    JobTitle,
    Added,
    Changed,
    /// A directory field by name (built-in or added).
    Field(String),
}

/// A page request for the Directory list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Query {
    /// Words to find (prefixes of words in name, UPN, mail, phone, city, department, job title); empty lists all.
    pub text: String,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
}

impl Default for Query {
    fn default() -> Self {
        Self {
            text: String::new(),
            sort: SortKey::Name,
            descending: false,
            offset: 0,
            limit: 100,
        }
    }
}

/// One page of results and the total number of matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u64,
}

/// A row of the Directory list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    pub id: String,
    pub upn: Option<String>,
    pub mail: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub account_enabled: Option<bool>,
    pub guest: bool,
    /// Values of the added (non built-in) fields, in mapping order.
    pub added_fields: Vec<(String, Option<String>)>,
}

/// Everything the detail panel shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserDetail {
    pub id: String,
    pub upn: Option<String>,
    pub mail: Option<String>,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub account_enabled: Option<bool>,
    pub user_type: Option<String>,
    pub guest: bool,
    /// Every mapped field, in mapping order.
    pub fields: Vec<(String, Option<String>)>,
    pub added_at: String,
    pub changed_at: String,
    pub groups: Vec<String>,
    /// The merged Graph properties as last synced.
    pub raw: serde_json::Value,
}

impl UserDetail {
    /// "Enabled", "Disabled", or "Unknown" when Graph did not report it.
    pub fn account_state(&self) -> &'static str {
        account_state(self.account_enabled)
    }
}

pub fn account_state(enabled: Option<bool>) -> &'static str {
    match enabled {
        Some(true) => "Enabled",
        Some(false) => "Disabled",
        None => "Unknown",
    }
}

/// Guests: `userType` Guest, or (when userType was not reported) an external `#EXT#` UPN.
pub(crate) fn is_guest(user_type: Option<&str>, upn: Option<&str>) -> bool {
    match user_type {
        Some(t) => t.eq_ignore_ascii_case("guest"),
        None => upn.is_some_and(|u| u.to_ascii_uppercase().contains("#EXT#")),
    }
}

/// Current time as RFC 3339 UTC with second precision (sortable as text).
pub(crate) fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
