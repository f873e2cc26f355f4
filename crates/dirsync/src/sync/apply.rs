//! Applying a staged round in ONE transaction: directory upserts and removals, group memberships,
//! mark and sweep, the deletion guard, the new deltaLink, the change records and the run's status.
//! Preview, the guard and cancel roll the transaction back; only the run record remains.

use std::sync::Arc;

use rusqlite::{params, Transaction};
use serde_json::{json, Value};

use super::stage::{Stage, StagedItem};
use super::{CancelToken, Phase, Progress, SyncError};
use crate::directory::{self, DirectoryError, RemoveReason, RemovedUser, UserChange};
use crate::graph::DeltaRemoved;
use crate::groups::{self, Membership};
use crate::mapping::{self, Mapping};
use crate::rules::Rule;
use crate::runs::{self, ChangeKind, ChangeRecord, EventKind, RunRecord, RunStatus};
use crate::store::Store;

pub(super) const BATCH: u32 = 500;

/// Page cache of the database connection while a round is applied (KiB). A round touches the
/// users table, a dozen indexes and the run records at once; SQLite's default 2 MiB cache sends
/// it back to the WAL file for nearly every page. Bounded, so memory does not grow with the tenant;
/// CREATE INDEX's sorter takes as much again while a first sync builds the indexes (64 MiB measured
/// 158 MiB peak, over the 150 MB budget).
const APPLY_CACHE_KIB: i64 = 32 * 1024;

/// Everything the apply step needs besides the store and the stage.
pub(crate) struct ApplyPlan {
    pub full_round: bool,
    pub preview: bool,
    pub allow_deletes: bool,
    pub delta_link: String,
    pub select: Vec<String>,
    pub guard_max: u64,
    pub guard_percent: u64,
    pub now: String,
    pub mapping: Mapping,
    /// Who may enter the directory; a stored user it no longer selects is removed ("out of scope").
    pub scope: Rule,
    /// Save `scope` as the `sync_scope` setting when the run applies (a scope change).
    pub save_scope: bool,
    pub cancel: CancelToken,
    pub progress: Arc<dyn Fn(&Progress) + Send + Sync>,
}

/// Applies (or, for preview / guard / cancel, tries and rolls back) the staged round, then writes
/// the run's records. `run` carries the traffic figures in and the counts and status out.
pub(crate) fn apply(
    store: &mut Store,
    stage: &mut Stage,
    plan: &ApplyPlan,
    run: &mut RunRecord,
) -> Result<(), SyncError> {
    stage.begin_apply()?;
    with_apply_cache(store, |store| apply_round(store, stage, plan, run))
}

/// Runs `f` with the larger page cache of an apply, and gives the memory back after it, so a
/// long-lived connection (the app's) does not keep it.
pub(super) fn with_apply_cache<T>(
    store: &mut Store,
    f: impl FnOnce(&mut Store) -> Result<T, SyncError>,
) -> Result<T, SyncError> {
    let cache: i64 = store
        .conn()
        .pragma_query_value(None, "cache_size", |r| r.get(0))?;
    store
        .conn()
        .pragma_update(None, "cache_size", -APPLY_CACHE_KIB)?;
    let result = f(store);
    let _ = store.conn().pragma_update(None, "cache_size", cache);
    result
}

fn apply_round(
    store: &mut Store,
    stage: &mut Stage,
    plan: &ApplyPlan,
    run: &mut RunRecord,
) -> Result<(), SyncError> {
    let tx = store.conn_mut().transaction()?;
    let before = directory::count(&tx)?;
    let threshold = plan
        .guard_max
        .min(before.saturating_mul(plan.guard_percent) / 100);
    run.deletion_threshold = Some(threshold);
    let to_apply = stage.item_count()?;
    let (run_id, pages, users_seen) = (run.id, run.traffic.pages, run.traffic.users_seen);
    let report = |applied: u64| {
        (plan.progress)(&Progress {
            run_id,
            phase: Phase::Applying,
            full_round: plan.full_round,
            pages,
            users: users_seen,
            total: Some(to_apply),
            applied,
        })
    };

    // First sync: indexes are built once at the end instead of row by row (see BulkLoad).
    let bulk = if before == 0 && to_apply > 0 {
        Some(directory::BulkLoad::begin(&tx)?)
    } else {
        None
    };
    // Any other round: the full-text index is updated per batch, not per row (see BatchedFts).
    let fts = if bulk.is_none() && to_apply > 0 {
        Some(directory::BatchedFts::begin(&tx)?)
    } else {
        None
    };

    let mut applied = 0u64;
    let mut skipped = 0u64;
    let mut after = 0i64;
    loop {
        if plan.cancel.is_cancelled() {
            break;
        }
        let batch = stage.batch(after, BATCH)?;
        let Some((last, _, _)) = batch.last() else {
            break;
        };
        after = *last;
        let ids: Vec<String> = batch.iter().map(|(_, id, _)| id.clone()).collect();
        if let Some(fts) = &fts {
            fts.forget(&tx, &ids)?;
        }
        let mut touched = Vec::new();
        for (_, id, item) in batch {
            match item {
                StagedItem::Removed(why) => {
                    let reason = match why {
                        DeltaRemoved::Changed => RemoveReason::SoftDeleted,
                        DeltaRemoved::Deleted => RemoveReason::HardDeleted,
                    };
                    if let Some(gone) = directory::apply_remove(&tx, &id, reason)? {
                        record_removal(stage, run, gone)?;
                    }
                }
                StagedItem::Upsert(user) => {
                    let known = directory_has(&tx, &id)?;
                    // A user not in the directory is judged on what Graph sent (all selected
                    // properties); a stored one on the merged attributes after the update.
                    if !known && !plan.scope.matches(&user) {
                        skipped += 1;
                        applied += 1;
                        continue;
                    }
                    let change = directory::apply_upsert(&tx, &user, &plan.mapping);
                    if known && change.is_ok() && !stored_in_scope(&tx, &id, &plan.scope)? {
                        if let Some(gone) =
                            directory::apply_remove(&tx, &id, RemoveReason::OutOfScope)?
                        {
                            record_removal(stage, run, gone)?;
                        }
                        applied += 1;
                        continue;
                    }
                    match change {
                        Ok(UserChange::Unchanged) => run.counts.unchanged += 1,
                        Ok(UserChange::Added { fields }) => {
                            run.counts.added += 1;
                            let detail = json!({ "fields": fields
                            .into_iter()
                            .map(|(f, v)| (f, v.map_or(Value::Null, Value::String)))
                            .collect::<serde_json::Map<_, _>>() });
                            record_user(&tx, stage, &id, ChangeKind::Added, None, None, detail)?;
                            touched.push(id);
                        }
                        Ok(UserChange::Updated { changes }) => {
                            run.counts.updated += 1;
                            record_user(
                                &tx,
                                stage,
                                &id,
                                ChangeKind::Updated,
                                None,
                                None,
                                json!({ "changes": changes }),
                            )?;
                            touched.push(id);
                        }
                        // One unusable user must not hold back the rest of the directory.
                        Err(
                            e @ (DirectoryError::Damaged { .. }
                            | DirectoryError::NotAnObject(_)
                            | DirectoryError::MissingId),
                        ) => {
                            run.counts.failed += 1;
                            record_user(
                                &tx,
                                stage,
                                &id,
                                ChangeKind::Failed,
                                Some(e.to_string()),
                                None,
                                json!({}),
                            )?;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            applied += 1;
        }
        if let Some(fts) = &fts {
            fts.index(&tx, &ids)?;
        }
        record_memberships(&tx, stage, run, &touched)?;
        report(applied);
    }

    if let Some(bulk) = bulk {
        if !plan.cancel.is_cancelled() {
            bulk.finish(&tx)?;
        }
    }
    // Before the sweep, which removes users row by row through the triggers again.
    if let Some(fts) = fts {
        fts.finish(&tx)?;
    }

    if plan.full_round && !plan.cancel.is_cancelled() {
        let swept = sweep(&tx, stage, run)?;
        if swept > 0 {
            runs::add_event(
                &tx,
                run.id,
                &plan.now,
                EventKind::Swept,
                &format!(
                    "{swept} user(s) were not in the full round and are removed (mark and sweep)"
                ),
                None,
                None,
            )?;
        }
    }

    record_skipped(&tx, run.id, plan, skipped)?;

    run.ended_at = Some(plan.now.clone());
    if plan.cancel.is_cancelled() {
        drop(tx);
        stage.forget_changes()?;
        run.counts = Default::default();
        run.status = RunStatus::Cancelled;
        return close_without_applying(
            store,
            stage,
            run,
            Some("Cancelled while applying; nothing was applied."),
        );
    }
    if plan.preview {
        drop(tx);
        run.status = RunStatus::Preview;
        return close_without_applying(store, stage, run, None);
    }
    if run.counts.removed > threshold && !plan.allow_deletes {
        drop(tx);
        run.status = RunStatus::NeedsApproval;
        let msg = format!(
            "This run would remove {} users, more than the deletion guard allows ({threshold}). Nothing was applied. \
             Review who would be removed, then choose Allow deletes (dirsync sync --allow-deletes).",
            run.counts.removed
        );
        run.error = Some(msg.clone());
        return close_without_applying(store, stage, run, Some(&msg));
    }

    copy_changes(&tx, stage, run.id)?;
    commit_applied(tx, plan, run)
}

/// The run's note on users the sync scope kept out.
pub(super) fn record_skipped(
    tx: &Transaction,
    run_id: i64,
    plan: &ApplyPlan,
    skipped: u64,
) -> Result<(), SyncError> {
    if skipped > 0 {
        runs::add_event(
            tx,
            run_id,
            &plan.now,
            EventKind::Info,
            &format!(
                "{skipped} user(s) outside the sync scope ({}) were not added",
                plan.scope.text()
            ),
            None,
            None,
        )?;
    }
    Ok(())
}

/// Ends an applied round: the new deltaLink, what it tracks and the scope it applied go in with
/// the directory changes, in the same transaction, and the run closes as Success.
pub(super) fn commit_applied(
    tx: Transaction,
    plan: &ApplyPlan,
    run: &mut RunRecord,
) -> Result<(), SyncError> {
    tx.execute(
        "UPDATE sync_state SET delta_link = ?1, delta_link_at = ?2 WHERE id = 1",
        params![plan.delta_link, plan.now],
    )?;
    if plan.full_round {
        mapping::set_tracked_select(&tx, Some(&plan.select))?;
    }
    // A scope different from the applied one always makes a full round, so this records the
    // scope the whole directory now satisfies.
    groups::scope::set_applied(&tx, plan.scope.text())?;
    if plan.save_scope {
        groups::scope::set(&tx, plan.scope.text())?;
    }
    run.status = RunStatus::Success;
    runs::finish(&tx, run)?;
    tx.commit()?;
    Ok(())
}

/// Closes a round that applies nothing (preview, deletion guard, cancel): the directory's
/// transaction is gone; the run keeps its record, its would-be changes from `stage` and `event`.
pub(super) fn close_without_applying(
    store: &mut Store,
    stage: &Stage,
    run: &RunRecord,
    event: Option<&str>,
) -> Result<(), SyncError> {
    let tx = store.conn_mut().transaction()?;
    copy_changes(&tx, stage, run.id)?;
    if let Some(msg) = event {
        let kind = match run.status {
            RunStatus::Cancelled => EventKind::Cancelled,
            _ => EventKind::DeletionGuard,
        };
        runs::add_event(
            &tx,
            run.id,
            run.ended_at.as_deref().unwrap_or(""),
            kind,
            msg,
            None,
            None,
        )?;
    }
    runs::finish(&tx, run)?;
    tx.commit()?;
    Ok(())
}

/// Removes every directory user the full round did not mention.
fn sweep(tx: &Transaction, stage: &mut Stage, run: &mut RunRecord) -> Result<u64, SyncError> {
    let mut swept = 0;
    let mut after = 0i64;
    loop {
        let batch: Vec<(i64, String)> = tx
            .prepare_cached("SELECT seq, id FROM users WHERE seq > ?1 ORDER BY seq LIMIT ?2")?
            .query_map(params![after, BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = *last;
        for (_, id) in batch {
            if stage.seen(&id)? {
                continue;
            }
            if let Some(gone) = directory::apply_remove(tx, &id, RemoveReason::Swept)? {
                record_removal(stage, run, gone)?;
                swept += 1;
            }
        }
    }
    Ok(swept)
}

fn record_removal(
    stage: &mut Stage,
    run: &mut RunRecord,
    gone: RemovedUser,
) -> Result<(), SyncError> {
    run.counts.removed += 1;
    let reason = match gone.reason {
        RemoveReason::SoftDeleted => "soft",
        RemoveReason::HardDeleted => "hard",
        RemoveReason::Swept => "swept",
        RemoveReason::OutOfScope => "out of scope",
    };
    stage.push_change(ChangeRecord {
        seq: 0,
        user_id: gone.id.clone(),
        name: gone.name.clone(),
        upn: gone.upn.clone(),
        kind: ChangeKind::Removed,
        reason: Some(reason.into()),
        group: None,
        detail: json!({ "groups": gone.groups }),
    })?;
    for group in gone.groups {
        run.counts.group_left += 1;
        stage.push_change(ChangeRecord {
            seq: 0,
            user_id: gone.id.clone(),
            name: gone.name.clone(),
            upn: gone.upn.clone(),
            kind: ChangeKind::Left,
            reason: Some(reason.into()),
            group: Some(group),
            detail: json!({}),
        })?;
    }
    Ok(())
}

pub(super) fn directory_has(tx: &Transaction, id: &str) -> Result<bool, SyncError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .exists([id])?)
}

/// Does the stored (merged) entry of `id` satisfy the scope?
pub(super) fn stored_in_scope(tx: &Transaction, id: &str, scope: &Rule) -> Result<bool, SyncError> {
    let raw: String = tx
        .prepare_cached("SELECT raw FROM users WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let value: Value = serde_json::from_str(&raw).map_err(|e| DirectoryError::Damaged {
        id: id.to_string(),
        reason: format!("raw is not a JSON object: {e}"),
    })?;
    Ok(scope.matches(&value))
}

fn record_memberships(
    tx: &Transaction,
    stage: &mut Stage,
    run: &mut RunRecord,
    ids: &[String],
) -> Result<(), SyncError> {
    if ids.is_empty() {
        return Ok(());
    }
    for m in groups::recompute_for_users(tx, ids)? {
        let kind = match m.change {
            Membership::Joined => {
                run.counts.group_joined += 1;
                ChangeKind::Joined
            }
            Membership::Left => {
                run.counts.group_left += 1;
                ChangeKind::Left
            }
        };
        record_user(tx, stage, &m.user_id, kind, None, Some(m.group), json!({}))?;
    }
    Ok(())
}

fn record_user(
    tx: &Transaction,
    stage: &mut Stage,
    id: &str,
    kind: ChangeKind,
    reason: Option<String>,
    group: Option<String>,
    detail: Value,
) -> Result<(), SyncError> {
    let (name, upn) = tx
        .prepare_cached("SELECT name, upn FROM users WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap_or((None, None));
    stage.push_change(ChangeRecord {
        seq: 0,
        user_id: id.to_string(),
        name,
        upn,
        kind,
        reason,
        group,
        detail,
    })?;
    Ok(())
}

fn copy_changes(tx: &Transaction, stage: &Stage, run_id: i64) -> Result<(), SyncError> {
    let mut after = 0;
    loop {
        let batch = stage.changes(after, BATCH)?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.seq;
        for c in &batch {
            runs::insert_change(tx, run_id, c)?;
        }
    }
}
