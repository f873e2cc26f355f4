//! Retention: history entries older than `log_retention_days` (default 90) are pruned, with their
//! changes and events, except the latest successful sync run, which always stays (it is what the
//! directory currently reflects). Running entries are never pruned.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection};

use super::RunsError;
use crate::settings::{self, SettingsError};
use crate::store::Store;

/// The setting that says how many days of history to keep.
pub const RETENTION_SETTING: &str = "log_retention_days";

/// The configured retention in days.
pub fn retention_days(store: &Store) -> Result<u32, RunsError> {
    let value = settings::get(store, RETENTION_SETTING)?;
    value.trim().parse().map_err(|_| {
        RunsError::Settings(SettingsError::Invalid {
            key: RETENTION_SETTING.into(),
            reason: format!("'{value}' is not a whole number of days"),
        })
    })
}

/// Deletes entries that started more than `days` days before `now`; returns how many went.
pub fn prune(conn: &Connection, days: u32, now: DateTime<Utc>) -> Result<u64, RunsError> {
    let cutoff =
        (now - chrono::Duration::days(i64::from(days))).to_rfc3339_opts(SecondsFormat::Secs, true);
    // started_at is RFC 3339 UTC with a `Z`, so text order is time order; changes and events go
    // with their run (ON DELETE CASCADE).
    let n = conn.execute(
        "DELETE FROM runs
         WHERE started_at < ?1 AND status <> 'running'
           AND id IS NOT (SELECT MAX(id) FROM runs WHERE kind = 'sync' AND status = 'success')",
        params![cutoff],
    )?;
    Ok(n as u64)
}
