//! Groups and membership: the built-in Employee network (every synced user), static groups
//! (hand-picked members) and dynamic groups (a rule over the user's raw Graph attributes).
//!
//! Membership of computed groups is recomputed per user after the sync applies changes
//! ([`recompute_for_users`]), inside the sync's transaction. Dynamic groups are stored with their rule
//! text; their evaluation joins [`recompute_for_users`] with the rules engine.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::directory::now_utc;

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

/// One user joining or leaving one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipChange {
    pub group: String,
    pub user_id: String,
    pub change: Membership,
}

/// Brings computed memberships of `user_ids` up to date and returns what changed.
/// Employee network: every user present in the directory.
pub fn recompute_for_users(
    tx: &rusqlite::Transaction,
    user_ids: &[String],
) -> Result<Vec<MembershipChange>, GroupsError> {
    let network = group_id(tx, EMPLOYEE_NETWORK)?;
    let now = now_utc();
    let mut changes = Vec::new();
    let mut present = tx.prepare_cached("SELECT 1 FROM users WHERE id = ?1")?;
    let mut join = tx.prepare_cached(
        "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at) VALUES (?1, ?2, ?3)",
    )?;
    let mut leave =
        tx.prepare_cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")?;
    for id in user_ids {
        let exists = present.exists([id])?;
        let changed = if exists {
            join.execute(params![network, id, now])? > 0
        } else {
            leave.execute(params![network, id])? > 0
        };
        if changed {
            changes.push(MembershipChange {
                group: EMPLOYEE_NETWORK.to_string(),
                user_id: id.clone(),
                change: if exists {
                    Membership::Joined
                } else {
                    Membership::Left
                },
            });
        }
    }
    Ok(changes)
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
        added += conn.execute(
            "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at) VALUES (?1, ?2, ?3)",
            params![id, user, now],
        )?;
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
    let mut removed = 0;
    for user in user_ids {
        removed += conn.execute(
            "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
            params![id, user],
        )?;
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

fn group(conn: &Connection, name: &str) -> Result<(i64, GroupKind), GroupsError> {
    conn.query_row(
        "SELECT id, kind FROM groups WHERE name = ?1",
        [name.trim()],
        |r| Ok((r.get(0)?, GroupKind::parse(&r.get::<_, String>(1)?))),
    )
    .optional()?
    .ok_or_else(|| GroupsError::UnknownGroup(name.trim().to_string()))
}
