//! Groups and membership: the built-in Employee network (every synced user), static groups
//! (hand-picked members) and dynamic groups (an Entra-style rule over the user's raw Graph
//! attributes, see [`crate::rules`]).
//!
//! Computed memberships (Employee network and every dynamic group) are recomputed for the changed
//! users inside the sync's transaction ([`recompute_for_users`]); saving a rule recomputes that
//! group over the whole directory in the caller's transaction ([`create_dynamic`], [`update`]).
//! [`preview_rule`] and [`explain_for`] evaluate a rule without saving it. The sync scope
//! ([`scope`]) uses the same language to decide who enters the directory at all.

mod dynamic;
mod projection;
pub mod scope;

use std::cmp::Ordering;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::directory::now_utc;
use crate::rules::{RuleError, RuleSet};

pub use dynamic::{
    compile, create_dynamic, explain_for, graph_properties, preview_rule, recompute_group, update,
    GroupUpdate, RulePreview, RuleSaved, PREVIEW_SAMPLE,
};
pub use scope::{preview_scope, ScopePreview, ScopeState, DEFAULT_SCOPE, SETTING_SYNC_SCOPE};

/// The built-in group every synced user belongs to.
pub const EMPLOYEE_NETWORK: &str = "Employee network";

#[derive(Debug, thiserror::Error)]
pub enum GroupsError {
    #[error("there is no group named '{0}'")]
    UnknownGroup(String),
    #[error("a group named '{0}' already exists; choose another name")]
    Duplicate(String),
    #[error("the group name is empty; type a name")]
    EmptyName,
    #[error("'{0}' is a {1} group; only static groups have hand-picked members")]
    NotStatic(String, &'static str),
    #[error("the built-in group '{0}' cannot be deleted")]
    Builtin(String),
    #[error("there is no user with id '{0}' in the directory")]
    UnknownUser(String),
    #[error("the rule is not valid: {error}; fix the rule and try again")]
    InvalidRule {
        error: RuleError,
        /// The message with the rule line and a caret under the position.
        rendered: String,
    },
    #[error("'{0}' is a {1} group; only dynamic groups have a rule")]
    NotDynamic(String, &'static str),
    #[error("the stored attributes of user {id} are damaged ({reason}); run Reset sync to re-read the directory")]
    Damaged { id: String, reason: String },
    #[error("the setting '{key}' holds '{value}', not a whole number; set it again with `dirsync config set {key} N`")]
    BadSetting { key: &'static str, value: String },
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
    #[error("database error while reading or changing groups: {0}")]
    Sql(#[from] rusqlite::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    Builtin,
    Dynamic,
    Static,
}

impl GroupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Builtin => "builtin",
            GroupKind::Dynamic => "dynamic",
            GroupKind::Static => "static",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "builtin" => GroupKind::Builtin,
            "dynamic" => GroupKind::Dynamic,
            _ => GroupKind::Static,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    pub name: String,
    pub kind: GroupKind,
    pub description: String,
    pub rule: Option<String>,
    pub member_count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Membership {
    Joined,
    Left,
}

/// A person as group lists show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRef {
    pub id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
}

/// The columns [`member_ref_at`] reads, in order.
pub(crate) const MEMBER_COLUMNS: &str = "id, name, upn, job_title, department";

pub(crate) fn member_ref(r: &Row) -> rusqlite::Result<MemberRef> {
    member_ref_at(r, 0)
}

pub(crate) fn member_ref_at(r: &Row, at: usize) -> rusqlite::Result<MemberRef> {
    Ok(MemberRef {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        upn: r.get(at + 2)?,
        job_title: r.get(at + 3)?,
        department: r.get(at + 4)?,
    })
}

/// By name (case-insensitive, unnamed last), then id.
pub(crate) fn by_name(a: &MemberRef, b: &MemberRef) -> Ordering {
    let key = |m: &MemberRef| (m.name.is_none(), m.name.as_deref().map(str::to_lowercase));
    key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
}

/// A page of a group's members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberPage {
    pub items: Vec<MemberRef>,
    /// Members matching the search.
    pub total: u64,
    pub offset: u64,
}

/// A membership change made outside a sync run (rule saved, members picked by hand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupChange {
    pub at: String,
    pub group: String,
    /// created | rule changed | recomputed | by hand
    pub cause: String,
    pub user_id: String,
    pub change: Membership,
}

/// One user joining or leaving one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipChange {
    pub group: String,
    pub user_id: String,
    pub change: Membership,
}

/// Brings computed memberships of `user_ids` up to date and returns what changed: Employee
/// network holds every user present in the directory; each dynamic group the users its rule
/// selects, evaluated over the stored raw attributes. Users no longer in the directory leave every
/// computed group. Every rule is compiled once per call and evaluated as one [`RuleSet`].
pub fn recompute_for_users(
    tx: &rusqlite::Transaction,
    user_ids: &[String],
) -> Result<Vec<MembershipChange>, GroupsError> {
    let network = group_id(tx, EMPLOYEE_NETWORK)?;
    let dynamic = dynamic::dynamic_rules(tx)?;
    let set = RuleSet::new(
        &dynamic
            .iter()
            .map(|(_, _, r)| r.clone())
            .collect::<Vec<_>>(),
    );
    // Computed groups in the order changes are reported: Employee network, then by name.
    let groups: Vec<(i64, &str)> = std::iter::once((network, EMPLOYEE_NETWORK))
        .chain(dynamic.iter().map(|(id, name, _)| (*id, name.as_str())))
        .collect();
    let now = now_utc();
    let clock = chrono::Utc::now();
    let mut changes = Vec::new();
    let mut raw_of = tx.prepare_cached("SELECT raw FROM users WHERE id = ?1")?;
    let mut stored = tx.prepare_cached("SELECT 1 FROM users WHERE id = ?1")?;
    let mut member_of = tx.prepare_cached(
        "SELECT m.group_id FROM group_members m JOIN groups g ON g.id = m.group_id
         WHERE m.user_id = ?1 AND g.kind IN ('builtin', 'dynamic')",
    )?;
    let mut join = tx.prepare_cached(
        "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at) VALUES (?1, ?2, ?3)",
    )?;
    let mut leave =
        tx.prepare_cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")?;
    let mut hits = vec![false; dynamic.len()];
    for id in user_ids {
        // Without dynamic groups only presence matters (Employee network): reading and parsing
        // every user's properties would cost more than the rest (a first sync of 100,000).
        let raw: Option<String> = if dynamic.is_empty() {
            stored.exists([id])?.then(String::new)
        } else {
            raw_of.query_row([id], |r| r.get(0)).optional()?
        };
        let current: Vec<i64> = member_of
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        // wanted[k]: should the user be in groups[k]?
        let mut wanted = vec![false; groups.len()];
        if let Some(raw) = &raw {
            wanted[0] = true;
            if !dynamic.is_empty() {
                set.matches_into(&dynamic::parse_raw(id, raw)?, clock, &mut hits);
                wanted[1..].copy_from_slice(&hits);
            }
        }
        for (&(gid, name), &want) in groups.iter().zip(&wanted) {
            let is = current.contains(&gid);
            let change = match (is, want) {
                (false, true) => {
                    join.execute(params![gid, id, now])?;
                    Membership::Joined
                }
                (true, false) => {
                    leave.execute(params![gid, id])?;
                    Membership::Left
                }
                _ => continue,
            };
            changes.push(MembershipChange {
                group: name.to_string(),
                user_id: id.clone(),
                change,
            });
        }
    }
    Ok(changes)
}

/// A load into an empty directory with no dynamic group: every stored user joins Employee
/// network in one statement, the set-based equivalent of [`recompute_for_users`] over everyone.
/// Returns how many joined, or `None` (nothing done) when dynamic groups exist and each user's
/// rules must be evaluated by [`recompute_for_users`].
pub(crate) fn join_network_if_only_group(
    tx: &rusqlite::Transaction,
) -> Result<Option<u64>, GroupsError> {
    if tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM groups WHERE kind = 'dynamic')",
        [],
        |r| r.get::<_, bool>(0),
    )? {
        return Ok(None);
    }
    // In key order: appending to the membership table's B-tree, not inserting at random places.
    let joined = tx.execute(
        "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at)
         SELECT ?1, id, ?2 FROM users ORDER BY id",
        params![group_id(tx, EMPLOYEE_NETWORK)?, now_utc()],
    )?;
    Ok(Some(joined as u64))
}

/// Takes the user out of every group; returns the names of the groups left, sorted.
pub fn remove_from_all(conn: &Connection, user_id: &str) -> Result<Vec<String>, GroupsError> {
    let left = groups_of(conn, user_id)?;
    conn.execute("DELETE FROM group_members WHERE user_id = ?1", [user_id])?;
    Ok(left)
}

/// Names of the groups `user_id` belongs to, Employee network first, then by name.
pub fn groups_of(conn: &Connection, user_id: &str) -> Result<Vec<String>, GroupsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id
         WHERE m.user_id = ?1 ORDER BY g.kind <> 'builtin', g.name COLLATE NOCASE",
    )?;
    let names = stmt
        .query_map([user_id], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(names)
}

/// Every group with its member count, Employee network first.
pub fn list(conn: &Connection) -> Result<Vec<GroupSummary>, GroupsError> {
    let mut stmt = conn.prepare(
        "SELECT g.name, g.kind, g.description, g.rule,
                (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)
         FROM groups g ORDER BY g.kind <> 'builtin', g.name COLLATE NOCASE",
    )?;
    let groups = stmt
        .query_map([], |r| {
            Ok(GroupSummary {
                name: r.get(0)?,
                kind: GroupKind::parse(&r.get::<_, String>(1)?),
                description: r.get(2)?,
                rule: r.get(3)?,
                member_count: r.get::<_, i64>(4)? as u64,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(groups)
}

/// One group with its member count.
pub fn get(conn: &Connection, name: &str) -> Result<GroupSummary, GroupsError> {
    let (id, _) = group(conn, name)?;
    let g = conn.query_row(
        "SELECT g.name, g.kind, g.description, g.rule,
                (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)
         FROM groups g WHERE g.id = ?1",
        [id],
        |r| {
            Ok(GroupSummary {
                name: r.get(0)?,
                kind: GroupKind::parse(&r.get::<_, String>(1)?),
                description: r.get(2)?,
                rule: r.get(3)?,
                member_count: r.get::<_, i64>(4)? as u64,
            })
        },
    )?;
    Ok(g)
}

/// Members of `group` whose name, UPN, mail, job title or department contains every word of
/// `search` (case-insensitive; empty lists everyone), by name.
pub fn members(
    conn: &Connection,
    group_name: &str,
    search: &str,
    offset: u64,
    limit: u64,
) -> Result<MemberPage, GroupsError> {
    let id = group_id(conn, group_name)?;
    let words: Vec<String> = search
        .split_whitespace()
        .map(|w| {
            let escaped = w
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        })
        .collect();
    let mut filter = String::new();
    for i in 0..words.len() {
        let p = i + 2;
        filter.push_str(&format!(
            " AND (lower(coalesce(u.name, '')) LIKE ?{p} ESCAPE '\\'
                   OR lower(coalesce(u.upn, '')) LIKE ?{p} ESCAPE '\\'
                   OR lower(coalesce(u.mail, '')) LIKE ?{p} ESCAPE '\\'
                   OR lower(coalesce(u.job_title, '')) LIKE ?{p} ESCAPE '\\'
                   OR lower(coalesce(u.department, '')) LIKE ?{p} ESCAPE '\\')"
        ));
    }
    let from = format!(
        "FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ?1{filter}"
    );
    let mut args: Vec<rusqlite::types::Value> = vec![id.into()];
    args.extend(words.into_iter().map(rusqlite::types::Value::from));
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) {from}"),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let n = args.len();
    args.push((limit.min(i64::MAX as u64) as i64).into());
    args.push((offset.min(i64::MAX as u64) as i64).into());
    let sql = format!(
        "SELECT u.id, u.name, u.upn, u.job_title, u.department {from}
         ORDER BY u.name IS NULL, u.name COLLATE NOCASE, u.seq LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    );
    let items = conn
        .prepare(&sql)?
        .query_map(rusqlite::params_from_iter(args.iter()), member_ref)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MemberPage {
        items,
        total: total as u64,
        offset,
    })
}

/// The membership changes of `group` made outside sync runs, newest first.
pub fn changes(
    conn: &Connection,
    group_name: &str,
    limit: u64,
) -> Result<Vec<GroupChange>, GroupsError> {
    let mut stmt = conn.prepare(
        "SELECT at, group_name, cause, user_id, change FROM group_changes
         WHERE group_name = ?1 COLLATE NOCASE ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(
            params![group_name.trim(), limit.min(i64::MAX as u64) as i64],
            |r| {
                Ok(GroupChange {
                    at: r.get(0)?,
                    group: r.get(1)?,
                    cause: r.get(2)?,
                    user_id: r.get(3)?,
                    change: if r.get::<_, String>(4)? == "joined" {
                        Membership::Joined
                    } else {
                        Membership::Left
                    },
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub(crate) fn log_change(
    conn: &Connection,
    at: &str,
    group_name: &str,
    cause: &str,
    user_id: &str,
    change: Membership,
) -> Result<(), GroupsError> {
    conn.prepare_cached(
        "INSERT INTO group_changes (at, group_name, cause, user_id, change) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        at,
        group_name.trim(),
        cause,
        user_id,
        match change {
            Membership::Joined => "joined",
            Membership::Left => "left",
        }
    ])?;
    Ok(())
}

/// Member count of one group.
pub fn member_count(conn: &Connection, group: &str) -> Result<u64, GroupsError> {
    let id = group_id(conn, group)?;
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM group_members WHERE group_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Ids of the members of `group`, in id order.
pub fn member_ids(conn: &Connection, group: &str) -> Result<Vec<String>, GroupsError> {
    let id = group_id(conn, group)?;
    let mut stmt =
        conn.prepare("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id")?;
    let ids = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Creates an empty static group.
pub fn create_static(conn: &Connection, name: &str, description: &str) -> Result<(), GroupsError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(GroupsError::EmptyName);
    }
    let now = now_utc();
    let inserted = conn.execute(
        "INSERT INTO groups (name, kind, description, created_at, updated_at)
         VALUES (?1, 'static', ?2, ?3, ?3) ON CONFLICT(name) DO NOTHING",
        params![name, description.trim(), now],
    )?;
    if inserted == 0 {
        return Err(GroupsError::Duplicate(name.to_string()));
    }
    Ok(())
}

/// Deletes a static or dynamic group with its memberships.
pub fn delete(conn: &Connection, name: &str) -> Result<(), GroupsError> {
    let (id, kind) = group(conn, name)?;
    if kind == GroupKind::Builtin {
        return Err(GroupsError::Builtin(name.to_string()));
    }
    conn.execute("DELETE FROM group_members WHERE group_id = ?1", [id])?;
    conn.execute("DELETE FROM groups WHERE id = ?1", [id])?;
    Ok(())
}

/// Adds hand-picked members to a static group; returns how many were not members yet.
pub fn add_members(
    conn: &Connection,
    name: &str,
    user_ids: &[String],
) -> Result<usize, GroupsError> {
    let id = static_group(conn, name)?;
    let now = now_utc();
    let mut added = 0;
    for user in user_ids {
        if !conn
            .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
            .exists([user])?
        {
            return Err(GroupsError::UnknownUser(user.clone()));
        }
        let joined = conn.execute(
            "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at) VALUES (?1, ?2, ?3)",
            params![id, user, now],
        )?;
        if joined > 0 {
            log_change(conn, &now, name, "by hand", user, Membership::Joined)?;
        }
        added += joined;
    }
    Ok(added)
}

/// Removes hand-picked members from a static group; returns how many were members.
pub fn remove_members(
    conn: &Connection,
    name: &str,
    user_ids: &[String],
) -> Result<usize, GroupsError> {
    let id = static_group(conn, name)?;
    let now = now_utc();
    let mut removed = 0;
    for user in user_ids {
        let left = conn.execute(
            "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
            params![id, user],
        )?;
        if left > 0 {
            log_change(conn, &now, name, "by hand", user, Membership::Left)?;
        }
        removed += left;
    }
    Ok(removed)
}

fn static_group(conn: &Connection, name: &str) -> Result<i64, GroupsError> {
    match group(conn, name)? {
        (id, GroupKind::Static) => Ok(id),
        (_, kind) => Err(GroupsError::NotStatic(name.to_string(), kind.as_str())),
    }
}

fn group_id(conn: &Connection, name: &str) -> Result<i64, GroupsError> {
    group(conn, name).map(|(id, _)| id)
}

pub(crate) fn group(conn: &Connection, name: &str) -> Result<(i64, GroupKind), GroupsError> {
    conn.query_row(
        "SELECT id, kind FROM groups WHERE name = ?1",
        [name.trim()],
        |r| Ok((r.get(0)?, GroupKind::parse(&r.get::<_, String>(1)?))),
    )
    .optional()?
    .ok_or_else(|| GroupsError::UnknownGroup(name.trim().to_string()))
}
