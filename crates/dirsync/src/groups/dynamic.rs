//! Dynamic groups: saving a rule (validated by the rules parser, the whole directory recomputed in
//! the same transaction), previewing a rule against the whole directory before it is saved, and
//! explaining a rule for one person.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::Value;

use super::projection::for_each_projected;
use super::{group, log_change, GroupKind, GroupsError, MemberRef, Membership};
use crate::directory::now_utc;
use crate::mapping;
use crate::rules::{self, Explanation, Rule};

/// Users are read from the store in batches of this many (flat memory on large directories).
const BATCH: i64 = 2000;

/// How many people a preview lists per side (counts are always exact).
pub const PREVIEW_SAMPLE: usize = 50;

/// What saving a rule did, or what saving it would need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RuleSaved {
    /// Users who joined the group, in id order.
    pub joined: Vec<String>,
    /// Users who left the group, in id order.
    pub left: Vec<String>,
    /// Graph properties the rule reads that the stored delta link does not track.
    pub untracked: Vec<String>,
    /// True when `untracked` is non-empty: the next sync is a full round that fetches them, and
    /// memberships that depend on them are right only after it.
    pub full_round_required: bool,
}

/// Changes to a group; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Dynamic groups only: the new rule.
    pub rule: Option<String>,
}

/// A rule evaluated against the whole directory, compared with a group's current members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulePreview {
    /// People the rule selects.
    pub matches: u64,
    /// People the rule selects who are not members now.
    pub added: u64,
    /// Members now whom the rule does not select.
    pub removed: u64,
    /// Up to [`PREVIEW_SAMPLE`] of the people who would join, by name.
    pub added_sample: Vec<MemberRef>,
    /// Up to [`PREVIEW_SAMPLE`] of the people who would leave, by name.
    pub removed_sample: Vec<MemberRef>,
    /// Up to [`PREVIEW_SAMPLE`] of the people the rule selects, by name.
    pub sample: Vec<MemberRef>,
    /// Graph properties the rule reads that the directory does not hold yet (see [`RuleSaved`]).
    pub untracked: Vec<String>,
}

/// Parses a rule for a group, mapping the parser's error to one that names the group's rule.
pub fn compile(text: &str) -> Result<Rule, GroupsError> {
    rules::parse(text.trim()).map_err(|error| GroupsError::InvalidRule {
        rendered: error.render(text.trim()),
        error,
    })
}

/// Creates a dynamic group and fills it from the whole directory, in `tx`.
pub fn create_dynamic(
    tx: &Transaction,
    name: &str,
    description: &str,
    rule: &str,
) -> Result<RuleSaved, GroupsError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(GroupsError::EmptyName);
    }
    let compiled = compile(rule)?;
    let now = now_utc();
    let inserted = tx.execute(
        "INSERT INTO groups (name, kind, description, rule, created_at, updated_at)
         VALUES (?1, 'dynamic', ?2, ?3, ?4, ?4) ON CONFLICT(name) DO NOTHING",
        params![name, description.trim(), compiled.text(), now],
    )?;
    if inserted == 0 {
        return Err(GroupsError::Duplicate(name.to_string()));
    }
    let mut saved = recompute(tx, name, &compiled, "created")?;
    announce_untracked(tx, &compiled, &mut saved)?;
    Ok(saved)
}

/// Renames a group, changes its description, or (dynamic groups) its rule, recomputing the
/// membership from the whole directory when the rule changed. In `tx`.
pub fn update(
    tx: &Transaction,
    name: &str,
    change: &GroupUpdate,
) -> Result<RuleSaved, GroupsError> {
    let (id, kind) = group(tx, name)?;
    if kind == GroupKind::Builtin {
        return Err(GroupsError::Builtin(name.trim().to_string()));
    }
    let now = now_utc();
    let mut current = name.trim().to_string();
    if let Some(new_name) = &change.name {
        let new_name = new_name.trim();
        if new_name.is_empty() {
            return Err(GroupsError::EmptyName);
        }
        let taken: Option<i64> = tx
            .query_row("SELECT id FROM groups WHERE name = ?1", [new_name], |r| {
                r.get(0)
            })
            .optional()?;
        if taken.is_some_and(|other| other != id) {
            return Err(GroupsError::Duplicate(new_name.to_string()));
        }
        tx.execute(
            "UPDATE groups SET name = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, new_name, now],
        )?;
        current = new_name.to_string();
    }
    if let Some(description) = &change.description {
        tx.execute(
            "UPDATE groups SET description = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, description.trim(), now],
        )?;
    }
    let Some(rule) = &change.rule else {
        return Ok(RuleSaved::default());
    };
    if kind != GroupKind::Dynamic {
        return Err(GroupsError::NotDynamic(current, kind.as_str()));
    }
    let compiled = compile(rule)?;
    tx.execute(
        "UPDATE groups SET rule = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, compiled.text(), now],
    )?;
    let mut saved = recompute(tx, &current, &compiled, "rule changed")?;
    announce_untracked(tx, &compiled, &mut saved)?;
    Ok(saved)
}

/// Recomputes a dynamic group from its saved rule over the whole directory, in `tx`; returns who
/// joined and who left (also written to the group's change log).
pub fn recompute_group(tx: &Transaction, name: &str) -> Result<RuleSaved, GroupsError> {
    let (_, kind) = group(tx, name)?;
    if kind != GroupKind::Dynamic {
        return Err(GroupsError::NotDynamic(
            name.trim().to_string(),
            kind.as_str(),
        ));
    }
    let rule: String = tx.query_row(
        "SELECT rule FROM groups WHERE name = ?1",
        [name.trim()],
        |r| r.get(0),
    )?;
    let compiled = compile(&rule)?;
    recompute(tx, name, &compiled, "recomputed")
}

/// Makes the group's members exactly the users `rule` selects.
fn recompute(
    tx: &Transaction,
    name: &str,
    rule: &Rule,
    cause: &str,
) -> Result<RuleSaved, GroupsError> {
    let (id, _) = group(tx, name)?;
    let mut members = member_set(tx, id)?;
    let mut joined = Vec::new();
    let now = now_utc();
    let mut join = tx.prepare_cached(
        "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at) VALUES (?1, ?2, ?3)",
    )?;
    for_each_user(tx, |user_id, raw| {
        // A selected member is taken out of `members` and stays; a selected non-member joins.
        if rule.matches(raw) && !members.remove(user_id) {
            join.execute(params![id, user_id, now])?;
            joined.push(user_id.to_string());
        }
        Ok(())
    })?;
    // Whoever is left in `members` was not selected (or is no longer in the directory).
    let mut left: Vec<String> = members.into_iter().collect();
    left.sort();
    let mut leave =
        tx.prepare_cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")?;
    for user in &left {
        leave.execute(params![id, user])?;
    }
    joined.sort();
    for user in &joined {
        log_change(tx, &now, name, cause, user, Membership::Joined)?;
    }
    for user in &left {
        log_change(tx, &now, name, cause, user, Membership::Left)?;
    }
    Ok(RuleSaved {
        joined,
        left,
        ..Default::default()
    })
}

fn announce_untracked(
    conn: &Connection,
    rule: &Rule,
    saved: &mut RuleSaved,
) -> Result<(), GroupsError> {
    saved.untracked = untracked(conn, rule)?;
    saved.full_round_required = !saved.untracked.is_empty();
    Ok(())
}

/// The rule's Graph properties that the stored delta link does not track. Empty when no delta link
/// is stored: the next run is a full round anyway.
fn untracked(conn: &Connection, rule: &Rule) -> Result<Vec<String>, GroupsError> {
    Ok(match mapping::tracked_select(conn)? {
        Some(tracked) => mapping::requires_full_round(&tracked, &rule.graph_properties()),
        None => Vec::new(),
    })
}

/// Evaluates `text` against the whole directory and compares it with the current members of
/// `group` (the saved rule's selection; a new group has none). Nothing is written.
pub fn preview_rule(
    conn: &Connection,
    text: &str,
    group_name: Option<&str>,
) -> Result<RulePreview, GroupsError> {
    let rule = compile(text)?;
    let mut members = match group_name {
        Some(name) => member_set(conn, group(conn, name)?.0)?,
        None => HashSet::new(),
    };
    let mut matches = 0u64;
    let mut added = Vec::new();
    let mut selected = Vec::new();
    // Only the properties the rule reads are parsed: this runs on every keystroke.
    for_each_projected(conn, &rule.graph_properties(), "id", |row, user| {
        if rule.matches(user) {
            matches += 1;
            let user_id: String = row.get(1)?;
            if !members.remove(&user_id) {
                added.push(user_id.clone());
            }
            if selected.len() < PREVIEW_SAMPLE * 4 {
                selected.push(user_id);
            }
        }
        Ok(())
    })?;
    let removed: Vec<String> = members.into_iter().collect();
    Ok(RulePreview {
        matches,
        added: added.len() as u64,
        removed: removed.len() as u64,
        added_sample: refs_by_name(conn, &added)?,
        removed_sample: refs_by_name(conn, &removed)?,
        sample: refs_by_name(conn, &selected)?,
        untracked: untracked(conn, &rule)?,
    })
}

/// Which parts of `text` match the person `user` (object id or UPN), term by term.
pub fn explain_for(conn: &Connection, text: &str, user: &str) -> Result<Explanation, GroupsError> {
    let rule = compile(text)?;
    let raw: Option<String> = conn
        .query_row(
            "SELECT raw FROM users WHERE id = ?1 OR ((upn IS NULL) = 0 AND upn = ?1 COLLATE NOCASE)
             ORDER BY id = ?1 DESC, seq LIMIT 1",
            [user.trim()],
            |r| r.get(0),
        )
        .optional()?;
    let raw = raw.ok_or_else(|| GroupsError::UnknownUser(user.trim().to_string()))?;
    let value = parse_raw(user, &raw)?;
    Ok(rule.explain(&value))
}

/// The Graph `$select` names every dynamic group's rule reads, sorted and deduplicated. The sync
/// adds them to its `$select`.
pub fn graph_properties(conn: &Connection) -> Result<Vec<String>, GroupsError> {
    let rules: Vec<Rule> = dynamic_rules(conn)?
        .into_iter()
        .map(|(_, _, r)| r)
        .collect();
    Ok(rules::graph_properties_of(&rules))
}

/// Every dynamic group as (id, name, compiled rule), by name. A stored rule this version no longer
/// accepts is skipped with a warning (its members stay as they were) rather than stopping syncs.
pub(crate) fn dynamic_rules(conn: &Connection) -> Result<Vec<(i64, String, Rule)>, GroupsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, rule FROM groups WHERE kind = 'dynamic' ORDER BY name COLLATE NOCASE",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<(i64, String, String)>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, text) in rows {
        match rules::parse(&text) {
            Ok(rule) => out.push((id, name, rule)),
            Err(e) => {
                tracing::warn!(group = %name, "stored rule no longer parses, membership left as is: {e}")
            }
        }
    }
    Ok(out)
}

fn member_set(conn: &Connection, group_id: i64) -> Result<HashSet<String>, GroupsError> {
    let mut stmt = conn.prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1")?;
    let set = stmt
        .query_map([group_id], |r| r.get(0))?
        .collect::<Result<HashSet<String>, _>>()?;
    Ok(set)
}

/// Calls `f(id, raw)` for every user in the directory, in batches by `seq`.
fn for_each_user(
    conn: &Connection,
    mut f: impl FnMut(&str, &Value) -> Result<(), GroupsError>,
) -> Result<(), GroupsError> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, id, raw FROM users WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let mut after = 0i64;
    loop {
        let batch = stmt
            .query_map(params![after, BATCH], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let Some((last, _, _)) = batch.last() else {
            return Ok(());
        };
        after = *last;
        for (_, id, raw) in batch {
            let value = parse_raw(&id, &raw)?;
            f(&id, &value)?;
        }
    }
}

pub(crate) fn parse_raw(id: &str, raw: &str) -> Result<Value, GroupsError> {
    serde_json::from_str(raw).map_err(|e| GroupsError::Damaged {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

/// Name, UPN, title and department of `ids`, sorted by name; at most [`PREVIEW_SAMPLE`].
fn refs_by_name(conn: &Connection, ids: &[String]) -> Result<Vec<MemberRef>, GroupsError> {
    let mut refs = Vec::with_capacity(ids.len().min(PREVIEW_SAMPLE * 4));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM users WHERE id = ?1",
        super::MEMBER_COLUMNS
    ))?;
    // Sorting everyone by name would mean reading every row; a bounded sample is enough to show.
    for id in ids.iter().take(PREVIEW_SAMPLE * 4) {
        if let Some(r) = stmt.query_row([id], super::member_ref).optional()? {
            refs.push(r);
        }
    }
    refs.sort_by(super::by_name);
    refs.truncate(PREVIEW_SAMPLE);
    Ok(refs)
}
