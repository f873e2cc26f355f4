//! Groups page: the group list, a group's members with search, the rule editor's inline check,
//! live preview and per-person explanation, and saving dynamic and static groups. Settings ›
//! Sync scope: the rule deciding who enters the directory, previewed and saved.

use dirsync::groups::{self, GroupKind, GroupUpdate, MemberRef, ScopeState};
use dirsync::rules;
use serde::Serialize;
use tauri::State;

use crate::{error::Error, state::AppState};

/// Longest member page the UI may ask for.
const MAX_PAGE: u64 = 500;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub name: String,
    /// `builtin`, `dynamic` or `static`.
    pub kind: GroupKind,
    pub description: String,
    pub rule: Option<String>,
    pub member_count: u64,
}

impl From<groups::GroupSummary> for Group {
    fn from(g: groups::GroupSummary) -> Self {
        Group {
            name: g.name,
            kind: g.kind,
            description: g.description,
            rule: g.rule,
            member_count: g.member_count,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    pub name: Option<String>,
    pub upn: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
}

impl From<MemberRef> for Member {
    fn from(m: MemberRef) -> Self {
        Member {
            id: m.id,
            name: m.name,
            upn: m.upn,
            job_title: m.job_title,
            department: m.department,
        }
    }
}

fn members_of(list: Vec<MemberRef>) -> Vec<Member> {
    list.into_iter().map(Member::from).collect()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberPage {
    pub items: Vec<Member>,
    pub total: u64,
    pub offset: u64,
}

/// The rule editor's inline check: valid, or where and why not.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleCheck {
    pub valid: bool,
    /// 0-based char offset of the error in the rule text.
    pub position: Option<usize>,
    pub message: Option<String>,
    pub expected: Option<String>,
    /// Graph properties the rule reads.
    pub properties: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub matches: u64,
    pub added: u64,
    pub removed: u64,
    pub added_sample: Vec<Member>,
    pub removed_sample: Vec<Member>,
    pub sample: Vec<Member>,
    /// Properties the directory does not hold yet (saving makes the next sync a full round).
    pub untracked: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Term {
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub matched: bool,
    pub actual: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub matched: bool,
    pub terms: Vec<Term>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    /// The group's name after saving.
    pub name: String,
    pub joined: u64,
    pub left: u64,
    pub untracked: Vec<String>,
    pub full_round_required: bool,
}

fn saved(name: &str, s: groups::RuleSaved) -> Saved {
    Saved {
        name: name.trim().to_string(),
        joined: s.joined.len() as u64,
        left: s.left.len() as u64,
        untracked: s.untracked,
        full_round_required: s.full_round_required,
    }
}

/// Every group with its member count, Employee network first.
#[tauri::command]
pub fn list_groups(state: State<'_, AppState>) -> Result<Vec<Group>, Error> {
    let store = state.store()?;
    Ok(groups::list(store.conn())?
        .into_iter()
        .map(Group::from)
        .collect())
}

#[tauri::command]
pub fn get_group(state: State<'_, AppState>, name: String) -> Result<Group, Error> {
    let store = state.store()?;
    Ok(groups::get(store.conn(), &name)?.into())
}

/// A page of a group's members by name, filtered by the words of `search`.
#[tauri::command]
pub fn group_members(
    state: State<'_, AppState>,
    name: String,
    search: Option<String>,
    offset: Option<u64>,
    limit: Option<u64>,
) -> Result<MemberPage, Error> {
    let store = state.store()?;
    let page = groups::members(
        store.conn(),
        &name,
        search.as_deref().unwrap_or(""),
        offset.unwrap_or(0),
        limit.unwrap_or(100).clamp(1, MAX_PAGE),
    )?;
    Ok(MemberPage {
        items: members_of(page.items),
        total: page.total,
        offset: page.offset,
    })
}

/// Checks a rule as the admin types (no store access, so it answers at once).
#[tauri::command]
pub fn rules_check(rule: String) -> RuleCheck {
    match rules::parse(&rule) {
        Ok(r) => RuleCheck {
            valid: true,
            position: None,
            message: None,
            expected: None,
            properties: r.graph_properties(),
        },
        Err(e) => RuleCheck {
            valid: false,
            position: Some(e.position),
            message: Some(e.message),
            expected: e.expected,
            properties: Vec::new(),
        },
    }
}

/// Who `rule` selects from the whole directory, and the difference against `group`'s members.
#[tauri::command]
pub async fn preview_rule(
    state: State<'_, AppState>,
    rule: String,
    group: Option<String>,
) -> Result<Preview, Error> {
    let store = state.store()?;
    let p = groups::preview_rule(store.conn(), &rule, group.as_deref())?;
    Ok(Preview {
        matches: p.matches,
        added: p.added,
        removed: p.removed,
        added_sample: members_of(p.added_sample),
        removed_sample: members_of(p.removed_sample),
        sample: members_of(p.sample),
        untracked: p.untracked,
    })
}

/// Which comparisons of `rule` match the person `user` (object id or UPN).
#[tauri::command]
pub fn explain_rule(
    state: State<'_, AppState>,
    rule: String,
    user: String,
) -> Result<Explanation, Error> {
    let store = state.store()?;
    let e = groups::explain_for(store.conn(), &rule, &user)?;
    Ok(Explanation {
        matched: e.matched,
        terms: e
            .terms
            .into_iter()
            .map(|t| Term {
                text: t.text,
                start: t.span.0,
                end: t.span.1,
                matched: t.matched,
                actual: t.actual,
            })
            .collect(),
    })
}

/// Creates a dynamic group (with `rule`) or a static one (without), in one transaction.
#[tauri::command]
pub async fn create_group(
    state: State<'_, AppState>,
    name: String,
    description: Option<String>,
    rule: Option<String>,
) -> Result<Saved, Error> {
    let mut store = state.store()?;
    let tx = store
        .conn_mut()
        .transaction()
        .map_err(groups::GroupsError::Sql)?;
    let description = description.unwrap_or_default();
    let result = match &rule {
        Some(rule) => groups::create_dynamic(&tx, &name, &description, rule)?,
        None => {
            groups::create_static(&tx, &name, &description)?;
            groups::RuleSaved::default()
        }
    };
    tx.commit().map_err(groups::GroupsError::Sql)?;
    Ok(saved(&name, result))
}

/// Renames a group, changes its description or (dynamic) its rule, recomputing the members.
#[tauri::command]
pub async fn update_group(
    state: State<'_, AppState>,
    name: String,
    new_name: Option<String>,
    description: Option<String>,
    rule: Option<String>,
) -> Result<Saved, Error> {
    let mut store = state.store()?;
    let tx = store
        .conn_mut()
        .transaction()
        .map_err(groups::GroupsError::Sql)?;
    let change = GroupUpdate {
        name: new_name.clone(),
        description,
        rule,
    };
    let result = groups::update(&tx, &name, &change)?;
    tx.commit().map_err(groups::GroupsError::Sql)?;
    Ok(saved(new_name.as_deref().unwrap_or(&name), result))
}

#[tauri::command]
pub fn delete_group(state: State<'_, AppState>, name: String) -> Result<(), Error> {
    let store = state.store()?;
    Ok(groups::delete(store.conn(), &name)?)
}

/// Adds people to a static group; returns how many were not members yet.
#[tauri::command]
pub fn add_group_members(
    state: State<'_, AppState>,
    name: String,
    user_ids: Vec<String>,
) -> Result<usize, Error> {
    let store = state.store()?;
    Ok(groups::add_members(store.conn(), &name, &user_ids)?)
}

/// Removes people from a static group; returns how many were members.
#[tauri::command]
pub fn remove_group_members(
    state: State<'_, AppState>,
    name: String,
    user_ids: Vec<String>,
) -> Result<usize, Error> {
    let store = state.store()?;
    Ok(groups::remove_members(store.conn(), &name, &user_ids)?)
}

/// What a sync scope rule would do to the directory as stored (nothing is written).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopePreview {
    pub rule: String,
    /// Differs from the scope the directory was synced under: the next sync is a full round.
    pub changed: bool,
    pub kept: u64,
    pub removed: u64,
    pub removed_sample: Vec<Member>,
    pub guard_threshold: u64,
    /// The removals are over the deletion guard: the full round stops as Needs approval.
    pub guard_stops: bool,
}

impl From<groups::ScopePreview> for ScopePreview {
    fn from(p: groups::ScopePreview) -> Self {
        ScopePreview {
            rule: p.rule,
            changed: p.changed,
            kept: p.kept,
            removed: p.removed,
            removed_sample: members_of(p.removed_sample),
            guard_threshold: p.guard_threshold,
            guard_stops: p.guard_stops,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncScope {
    pub rule: String,
    pub default_rule: String,
    pub is_default: bool,
    pub applied: Option<String>,
    pub pending: bool,
}

impl From<ScopeState> for SyncScope {
    fn from(s: ScopeState) -> Self {
        SyncScope {
            rule: s.rule,
            default_rule: s.default_rule,
            is_default: s.is_default,
            applied: s.applied,
            pending: s.pending,
        }
    }
}

/// The sync scope in force, the default, and whether the directory was synced under it.
#[tauri::command]
pub fn get_sync_scope(state: State<'_, AppState>) -> Result<SyncScope, Error> {
    let store = state.store()?;
    Ok(groups::scope::state(store.conn())?.into())
}

/// Who in the directory `rule` would keep and remove as the sync scope.
#[tauri::command]
pub async fn preview_sync_scope(
    state: State<'_, AppState>,
    rule: String,
) -> Result<ScopePreview, Error> {
    let store = state.store()?;
    Ok(groups::preview_scope(store.conn(), &rule)?.into())
}

/// Saves `rule` as the sync scope; the next sync is a full round under the deletion guard.
#[tauri::command]
pub async fn save_sync_scope(
    state: State<'_, AppState>,
    rule: String,
) -> Result<ScopePreview, Error> {
    let store = state.store()?;
    Ok(groups::scope::set(store.conn(), &rule)?.into())
}
