//! Run records: what each sync run did (status, counts, timings), per-user changes and events.
//! The sync engine writes them; Sync history, exports and the CLI read them.
//!
//! The history also holds an entry for each Reset sync ([`RunKind::Reset`]). Everything stored
//! passes [`redact`] first, and every export passes it again, so no token, code, verifier or
//! secret reaches a log file. [`prune`] keeps the history within `log_retention_days`.

mod export;
mod record;
mod redact;
mod retention;
mod schedule_query;

use serde::Serialize;

pub(crate) use export::human_duration;
pub use export::{export, file_name, Format, CSV_COLUMNS};
pub(crate) use record::record_reset;
pub(crate) use record::{add_event, changes_after, finish, insert_change, mark_interrupted, start};
pub use record::{changes, events, get, latest, list, reject_deletes, REJECTED};
pub use redact::{redact, REDACTED};
pub use retention::{prune, retention_days, RETENTION_SETTING};
pub use schedule_query::schedule_covered_through;

#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    #[error("run history database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("There is no run {0} in the sync history; it may have been pruned. `dirsync runs list` shows the runs kept.")]
    NotFound(i64),
    #[error("could not write the log: {0}")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error("Run {0} is not waiting for approval; only a Needs approval run's removals can be rejected.")]
    NotAwaitingApproval(i64),
    #[error(
        "the run history holds an unknown {what} '{value}'; was it written by a newer version?"
    )]
    Unknown { what: &'static str, value: String },
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    Manual,
    Schedule,
    Cli,
    /// The first run after Reset sync.
    Reset,
}

/// Where a run ended (or that it is still going).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Success,
    Failed,
    /// The deletion guard stopped the run; nothing was applied.
    NeedsApproval,
    Cancelled,
    /// A dry run; nothing was applied.
    Preview,
}

/// What a history entry is: a sync run, or a Reset sync (the stored delta link dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    Sync,
    Reset,
}

/// Kinds of per-user change records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Updated,
    Removed,
    /// Joined a group.
    Joined,
    /// Left a group.
    Left,
    /// The user could not be applied; `reason` says why.
    Failed,
}

/// Kinds of run events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Retry,
    Throttled,
    TokenRenewed,
    FullRound,
    Swept,
    DeletionGuard,
    Cancelled,
    Failed,
    Info,
}

macro_rules! text_enum {
    ($t:ty, $what:literal, { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            pub(crate) fn parse(s: &str) -> Result<Self, RunsError> {
                match s {
                    $($s => Ok(Self::$v),)+
                    other => Err(RunsError::Unknown { what: $what, value: other.to_string() }),
                }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(Trigger, "trigger", { Manual => "manual", Schedule => "schedule", Cli => "cli", Reset => "reset" });
text_enum!(RunStatus, "status", {
    Running => "running", Success => "success", Failed => "failed",
    NeedsApproval => "needs_approval", Cancelled => "cancelled", Preview => "preview",
});
text_enum!(RunKind, "entry kind", { Sync => "sync", Reset => "reset" });
text_enum!(ChangeKind, "change kind", {
    Added => "added", Updated => "updated", Removed => "removed",
    Joined => "joined", Left => "left", Failed => "failed",
});
text_enum!(EventKind, "event kind", {
    Retry => "retry", Throttled => "throttled", TokenRenewed => "token_renewed",
    FullRound => "full_round", Swept => "swept", DeletionGuard => "deletion_guard",
    Cancelled => "cancelled", Failed => "failed", Info => "info",
});

/// What a run did to the directory (or, for Preview / NeedsApproval, would have done).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub group_joined: u64,
    pub group_left: u64,
}

/// Traffic figures of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RunTraffic {
    pub pages: u64,
    pub users_seen: u64,
    pub retries: u64,
    pub throttle_waits: u64,
    pub throttle_seconds: f64,
}

/// One run of the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: i64,
    /// A sync run, or a Reset sync entry.
    pub kind: RunKind,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub preview: bool,
    pub allow_deletes: bool,
    pub full_round: bool,
    pub full_round_reason: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub delta_link_age_secs: Option<i64>,
    pub counts: RunCounts,
    pub traffic: RunTraffic,
    pub deletion_threshold: Option<u64>,
    pub error: Option<String>,
}

impl RunRecord {
    /// Seconds from start to end; `None` while running or when a time is unreadable.
    pub fn duration_secs(&self) -> Option<i64> {
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        let start = parse(&self.started_at)?;
        let end = parse(self.ended_at.as_deref()?)?;
        Some((end - start).num_seconds().max(0))
    }
}

impl RunStatus {
    /// The label the history shows (screens.md).
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Running => "Running",
            RunStatus::Success => "Success",
            RunStatus::Failed => "Failed",
            RunStatus::NeedsApproval => "Needs approval",
            RunStatus::Cancelled => "Cancelled",
            RunStatus::Preview => "Preview",
        }
    }
}

/// One per-user change of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRecord {
    pub seq: i64,
    pub user_id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub kind: ChangeKind,
    /// Removed: `soft`, `hard` or `swept`; failed: the error.
    pub reason: Option<String>,
    /// Joined / left: the group's name.
    pub group: Option<String>,
    /// Added: `{"fields":{field: value}}`; updated: `{"changes":[{"field","old","new"}]}`.
    pub detail: serde_json::Value,
}

/// One event of a run (retry, throttling, token renewal, full round, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunEvent {
    pub seq: i64,
    pub at: String,
    pub kind: EventKind,
    pub message: String,
    pub attempt: Option<i64>,
    pub seconds: Option<f64>,
}
