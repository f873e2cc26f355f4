//! The sync scope: a membership rule that decides which Azure AD users enter the directory at all
//! (default: members, no guests). The sync engine applies it to every user it reads; a user who
//! leaves the scope is removed like a deleted one ("out of scope"), under the deletion guard.
//!
//! Users outside the scope are never stored, so a changed scope can only be applied by reading
//! everyone again: the next run is a full round. [`preview_scope`] shows at once who the new scope
//! would remove from the directory, and whether the deletion guard would stop that round; who it
//! would add only Graph knows, which a preview run (`SyncOptions::scope`, or Preview after saving)
//! shows.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::dynamic::compile;
use super::projection::for_each_projected;
use super::{GroupsError, MemberRef, MEMBER_COLUMNS};
use crate::rules::Rule;
use crate::settings;

/// The setting holding the scope rule.
pub const SETTING_SYNC_SCOPE: &str = "sync_scope";

/// Members only, no guests.
pub const DEFAULT_SCOPE: &str = "user.userType -eq \"Member\"";

/// How many of the people a scope change would remove are listed (the count is exact).
pub const SCOPE_SAMPLE: usize = 50;

/// What a new scope would do to the directory as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopePreview {
    /// The rule, trimmed.
    pub rule: String,
    /// The rule differs from the scope the directory was last synced under: the next run is a full
    /// round (and only that run can find the people the new scope adds).
    pub changed: bool,
    /// People in the directory the new scope keeps.
    pub kept: u64,
    /// People in the directory the new scope removes.
    pub removed: u64,
    /// Up to [`SCOPE_SAMPLE`] of them, in directory order.
    pub removed_sample: Vec<MemberRef>,
    /// The most removals the deletion guard lets a run apply on this directory: the smaller of
    /// `deletion_guard_max` and `deletion_guard_percent` of the people stored.
    pub guard_threshold: u64,
    /// `removed` is over `guard_threshold`: the full round stops as Needs approval (it may
    /// remove more, people deleted in Azure AD meanwhile, so a false here is not a promise).
    pub guard_stops: bool,
}

/// The scope as the Settings page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeState {
    /// The rule in force (saved, or the default).
    pub rule: String,
    /// [`DEFAULT_SCOPE`], to offer the way back.
    pub default_rule: String,
    pub is_default: bool,
    /// The rule the directory was last synced under; `None` before the first run with scopes.
    pub applied: Option<String>,
    /// `rule` has not been applied yet: the next sync is a full round under it.
    pub pending: bool,
}

/// The rule in force, the default, and whether the directory was synced under it yet.
pub fn state(conn: &Connection) -> Result<ScopeState, GroupsError> {
    let rule = current(conn)?;
    let applied = applied(conn)?;
    Ok(ScopeState {
        is_default: rule == DEFAULT_SCOPE,
        default_rule: DEFAULT_SCOPE.to_string(),
        pending: applied.as_deref() != Some(rule.as_str()),
        applied,
        rule,
    })
}

/// The scope rule in force (the setting, or [`DEFAULT_SCOPE`]).
pub fn current(conn: &Connection) -> Result<String, GroupsError> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [SETTING_SYNC_SCOPE],
            |r| r.get(0),
        )
        .optional()?;
    Ok(stored
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SCOPE.to_string()))
}

/// The scope rule in force, compiled.
pub fn current_rule(conn: &Connection) -> Result<Rule, GroupsError> {
    compile(&current(conn)?)
}

/// The scope the stored delta link was applied under; `None` before the first run with scopes.
pub fn applied(conn: &Connection) -> Result<Option<String>, GroupsError> {
    Ok(conn
        .query_row("SELECT scope FROM sync_state WHERE id = 1", [], |r| {
            r.get::<_, Option<String>>(0)
        })
        .optional()?
        .flatten())
}

/// Records the scope a successful run applied (the sync engine calls this in its transaction).
pub fn set_applied(conn: &Connection, rule: &str) -> Result<(), GroupsError> {
    conn.execute(
        "UPDATE sync_state SET scope = ?1 WHERE id = 1",
        [rule.trim()],
    )?;
    Ok(())
}

/// Validates and saves a new scope; the next run is then a full round under the deletion guard.
pub fn set(conn: &Connection, text: &str) -> Result<ScopePreview, GroupsError> {
    let preview = preview_scope(conn, text)?;
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![SETTING_SYNC_SCOPE, preview.rule],
    )?;
    Ok(preview)
}

/// Who in the directory a scope rule would keep and remove. Nothing is written.
pub fn preview_scope(conn: &Connection, text: &str) -> Result<ScopePreview, GroupsError> {
    let rule = compile(text)?;
    let mut kept = 0u64;
    let mut removed = 0u64;
    let mut sample = Vec::new();
    for_each_projected(
        conn,
        &rule.graph_properties(),
        MEMBER_COLUMNS,
        |row, user| {
            if rule.matches(user) {
                kept += 1;
            } else {
                removed += 1;
                if sample.len() < SCOPE_SAMPLE {
                    sample.push(super::member_ref_at(row, 1)?);
                }
            }
            Ok(())
        },
    )?;
    let applied = applied(conn)?;
    // As the sync computes it over the directory before the round.
    let guard_threshold = guard_setting(conn, "deletion_guard_max")?
        .min((kept + removed).saturating_mul(guard_setting(conn, "deletion_guard_percent")?) / 100);
    Ok(ScopePreview {
        changed: applied.as_deref() != Some(rule.text()),
        rule: rule.text().to_string(),
        kept,
        removed,
        removed_sample: sample,
        guard_threshold,
        guard_stops: removed > guard_threshold,
    })
}

/// A deletion guard setting (stored, or its default) as a number.
fn guard_setting(conn: &Connection, key: &'static str) -> Result<u64, GroupsError> {
    let stored: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?;
    let value = match stored {
        Some(v) => v,
        None => settings::key(key)
            .expect("the deletion guard settings are known keys")
            .default
            .to_string(),
    };
    value
        .trim()
        .parse()
        .map_err(|_| GroupsError::BadSetting { key, value })
}
