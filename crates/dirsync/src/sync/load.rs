//! A full round into an empty directory (the first sync), applied while it is fetched.
//!
//! Staging a first sync and applying it afterwards writes every user twice and keeps the fetch
//! and the database work from overlapping. Into an empty directory nothing needs comparing, so a
//! worker thread owns the store and writes each page into the directory as it arrives, inside ONE
//! transaction for the whole round ([`directory::BulkLoad`]: no secondary index or full-text
//! maintenance per row). A thread between the fetch and the writer turns each item into its row
//! ([`Item`], [`prepare`]), so the writer mostly binds and inserts; every [`FTS_PAGES`] pages the full-text index catches up in one
//! statement, while later pages are still being fetched. When the last page is in, the change
//! records and memberships are written set-based, the sort indexes are built once, and the round
//! commits with its deltaLink
//! ([`apply::commit_applied`]), as a staged round does. Cancel, an error, a crash, or a restart
//! of the round (Graph lost the delta token) roll the transaction back: nothing half-applied, no
//! deltaLink. A preview keeps the would-be records and rolls the directory back.
//!
//! What a staged round gets from its stage, the load reproduces: a user sent twice is merged
//! (later properties win), a user removed later in the same round leaves no trace, and the sync
//! scope judges the merged object (users outside it wait, merged, in a temporary table in case a
//! later appearance brings them in).

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{json, Map, Value};
use tokio::sync::mpsc::{Receiver, Sender};

use super::apply::{self, ApplyPlan};
use super::stage::{self, Stage};
use super::{Phase, Progress, SyncError};
use crate::datadir::DataDir;
use crate::directory::{self, DirectoryError, RemoveReason};
use crate::graph::DeltaRemoved;
use crate::groups::{self, Membership, EMPLOYEE_NETWORK};
use crate::mapping::Mapping;
use crate::rules::Rule;
use crate::runs::{self, ChangeKind, ChangeRecord, RunRecord, RunStatus};
use crate::store::Store;

/// What the fetching side sends the loader: pages of `T`, Graph's items (to the preparer) or
/// [`Item`]s (from it, to the writer).
pub(super) enum Feed<T = Item> {
    /// The items of one delta page, in order.
    Page(Vec<T>),
    /// Graph lost the delta token: the round starts over from nothing.
    Restart,
    /// The last page is in. `run` carries the traffic figures.
    Done {
        delta_link: String,
        run: Box<RunRecord>,
        now: String,
    },
}

/// The middle of the pipeline, on its own thread: turns each fetched page into [`Item`]s and
/// passes everything on in order, so neither the fetch nor the writer spends time on it. Ends
/// when the fetching side is done or the writer has stopped.
pub(super) fn prepare(mut fetched: Receiver<Feed<Value>>, writer: Sender<Feed>, with: Preparer) {
    while let Some(feed) = fetched.blocking_recv() {
        let feed = match feed {
            Feed::Page(items) => Feed::Page(
                items
                    .into_iter()
                    .map(|item| Item::prepare(item, &with))
                    .collect(),
            ),
            Feed::Restart => Feed::Restart,
            Feed::Done {
                delta_link,
                run,
                now,
            } => Feed::Done {
                delta_link,
                run,
                now,
            },
        };
        if writer.blocking_send(feed).is_err() {
            return;
        }
    }
}

/// How many pages the loader writes before the full-text index catches up with them (about
/// 20,000 users at Graph's largest page size): each catch-up writes one segment, which FTS5
/// merges with the others later.
const FTS_PAGES: usize = 20;

/// One delta item, and when it is a plain entry the sync scope admits, its row ready to insert.
/// Preparing rows on the fetching side (which mostly waits for Graph) keeps the single writer
/// to binding and inserting.
pub(super) struct Item {
    value: Value,
    new: Option<directory::NewUser>,
}

impl Item {
    fn prepare(mut value: Value, plan: &Preparer) -> Self {
        let new = if plan.scope.matches(&value) {
            // Without its annotations the item still means the same to the merge it may go to.
            directory::NewUser::prepare(&mut value, &plan.mapping)
        } else {
            None
        };
        Self { value, new }
    }
}

/// What preparing an item needs: the round's mapping and scope.
pub(super) struct Preparer {
    pub(super) mapping: Mapping,
    pub(super) scope: Rule,
}

/// How a load ended without an error.
pub(super) enum Loaded {
    /// The run reached an end state (Success, Preview, Cancelled while applying) and is recorded.
    Finished(Box<RunRecord>),
    /// The feed stopped before the round was complete (cancel, or a fetch error): rolled back.
    Abandoned,
}

enum Next {
    Restart,
    Abandoned,
    Done {
        delta_link: String,
        run: Box<RunRecord>,
        now: String,
    },
}

/// Loads the round `feed` delivers into the (empty) directory of `store`.
pub(super) fn load(
    store: &mut Store,
    dir: &DataDir,
    mut feed: Receiver<Feed>,
    mut plan: ApplyPlan,
    run_id: i64,
) -> Result<Loaded, SyncError> {
    apply::with_apply_cache(store, |store| loop {
        let tx = store.conn_mut().transaction()?;
        let mut bulk = directory::BulkLoad::begin_with_history(&tx)?;
        tx.execute_batch(
            "CREATE TEMP TABLE load_skipped (id TEXT PRIMARY KEY, raw TEXT NOT NULL) WITHOUT ROWID",
        )?;
        let mut round = Round {
            run_id,
            skipped: false,
            unindexed: 0,
            records: 0,
            failed: 0,
        };
        let (mut run, now) = match round.receive(&tx, &mut bulk, &mut feed, &plan)? {
            // Dropping the transaction rolls the attempt back; the next one starts clean.
            Next::Restart => continue,
            Next::Abandoned => return Ok(Loaded::Abandoned),
            Next::Done {
                delta_link,
                run,
                now,
            } => {
                plan.delta_link = delta_link;
                (run, now)
            }
        };
        plan.now = now;
        round.finish(&tx, &plan, &mut run)?;
        bulk.finish(&tx)?;
        run.ended_at = Some(plan.now.clone());

        if plan.cancel.is_cancelled() {
            drop(tx);
            run.counts = Default::default();
            run.status = RunStatus::Cancelled;
            let stage = Stage::create(dir)?;
            let closed = apply::close_without_applying(
                store,
                &stage,
                &run,
                Some("Cancelled while applying; nothing was applied."),
            );
            stage.discard();
            return closed.map(|()| Loaded::Finished(run));
        }
        if plan.preview {
            // The records survive the rollback through a stage, as a staged preview's do.
            let mut stage = Stage::create(dir)?;
            let kept = keep_records(&tx, &mut stage, run.id);
            drop(tx);
            run.status = RunStatus::Preview;
            let closed =
                kept.and_then(|()| apply::close_without_applying(store, &stage, &run, None));
            stage.discard();
            return closed.map(|()| Loaded::Finished(run));
        }
        apply::commit_applied(tx, &plan, &mut run)?;
        return Ok(Loaded::Finished(run));
    })
}

struct Round {
    run_id: i64,
    /// Whether any user waits in `temp.load_skipped` (until then no item needs looking up there).
    skipped: bool,
    /// Pages written since the full-text index last caught up.
    unindexed: usize,
    /// Change records written so far (their `seq` runs from 1).
    records: i64,
    failed: u64,
}

impl Round {
    fn receive(
        &mut self,
        tx: &Transaction,
        bulk: &mut directory::BulkLoad,
        feed: &mut Receiver<Feed>,
        plan: &ApplyPlan,
    ) -> Result<Next, SyncError> {
        while let Some(item) = feed.blocking_recv() {
            match item {
                // Cancel is the fetching side's to notice: it stops feeding.
                Feed::Page(items) => {
                    let now = directory::now_utc();
                    for item in &items {
                        if let Some(new) = &item.new {
                            // A user seen for the first time in the round: one insert, which
                            // reports a user already written (sent twice) to merge instead.
                            let waiting = self.skipped && skipped_raw(tx, new.id())?.is_some();
                            if !waiting && directory::insert_new(tx, new, &now)? {
                                continue;
                            }
                        }
                        self.rewrite(tx, bulk, &item.value, plan)?;
                    }
                    self.unindexed += 1;
                    if self.unindexed >= FTS_PAGES {
                        bulk.index_new(tx)?;
                        self.unindexed = 0;
                    }
                }
                Feed::Restart => return Ok(Next::Restart),
                Feed::Done {
                    delta_link,
                    run,
                    now,
                } => {
                    return Ok(Next::Done {
                        delta_link,
                        run,
                        now,
                    })
                }
            }
        }
        Ok(Next::Abandoned)
    }

    /// [`Round::item`] for an item that may rewrite or remove a user the full-text index holds.
    fn rewrite(
        &mut self,
        tx: &Transaction,
        bulk: &mut directory::BulkLoad,
        item: &Value,
        plan: &ApplyPlan,
    ) -> Result<(), SyncError> {
        let id = item.get("id").and_then(Value::as_str).map(str::trim);
        let indexed = match id {
            Some(id) => bulk.forget(tx, id)?,
            None => false,
        };
        self.item(tx, item, plan)?;
        if let (true, Some(id)) = (indexed, id) {
            bulk.reindex(tx, id)?;
        }
        Ok(())
    }

    /// One delta item into the directory.
    fn item(&mut self, tx: &Transaction, item: &Value, plan: &ApplyPlan) -> Result<(), SyncError> {
        // As the stage does: an item without an id names no one.
        let Some(id) = item.get("id").and_then(Value::as_str) else {
            return Ok(());
        };
        if DeltaRemoved::of(item).is_some() {
            // Whatever this round wrote of the user goes; nothing was recorded yet.
            directory::apply_remove(tx, id, RemoveReason::HardDeleted)?;
            forget_skipped(tx, id)?;
            return Ok(());
        }
        if apply::directory_has(tx, id)? {
            // Sent again in the round: merged, then judged again on the merged object.
            self.upsert(tx, id, item, plan)?;
            if !apply::stored_in_scope(tx, id, &plan.scope)? {
                let raw: String = tx
                    .prepare_cached("SELECT raw FROM users WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))?;
                directory::apply_remove(tx, id, RemoveReason::OutOfScope)?;
                self.skipped = true;
                remember_skipped(tx, id, &raw)?;
            }
            return Ok(());
        }
        let merged = match skipped_raw(tx, id)? {
            Some(earlier) => {
                let mut merged = earlier;
                if let Some(obj) = item.as_object() {
                    stage::merge(&mut merged, obj);
                }
                Value::Object(merged)
            }
            None => item.clone(),
        };
        if plan.scope.matches(&merged) {
            forget_skipped(tx, id)?;
            self.upsert(tx, id, &merged, plan)
        } else {
            self.skipped = true;
            remember_skipped(tx, id, &merged.to_string())
        }
    }

    fn upsert(
        &mut self,
        tx: &Transaction,
        id: &str,
        user: &Value,
        plan: &ApplyPlan,
    ) -> Result<(), SyncError> {
        match directory::apply_upsert(tx, user, &plan.mapping) {
            Ok(_) => Ok(()),
            // One unusable user must not hold back the rest of the directory.
            Err(
                e @ (DirectoryError::Damaged { .. }
                | DirectoryError::NotAnObject(_)
                | DirectoryError::MissingId),
            ) => {
                self.failed += 1;
                self.record(
                    tx,
                    ChangeRecord {
                        seq: 0,
                        user_id: id.to_string(),
                        name: None,
                        upn: None,
                        kind: ChangeKind::Failed,
                        reason: Some(e.to_string()),
                        group: None,
                        detail: json!({}),
                    },
                )
            }
            Err(e) => Err(e.into()),
        }
    }

    fn record(&mut self, tx: &Transaction, mut c: ChangeRecord) -> Result<(), SyncError> {
        self.records += 1;
        c.seq = self.records;
        runs::insert_change(tx, self.run_id, &c)?;
        Ok(())
    }

    /// The round is in: every stored user is an addition and joins its groups. Records and
    /// memberships are written set-based where no rule needs evaluating.
    fn finish(
        &mut self,
        tx: &Transaction,
        plan: &ApplyPlan,
        run: &mut RunRecord,
    ) -> Result<(), SyncError> {
        let users = directory::count(tx)?;
        let (run_id, pages, seen) = (run.id, run.traffic.pages, run.traffic.users_seen);
        let report = |applied: u64| {
            (plan.progress)(&Progress {
                run_id,
                phase: Phase::Applying,
                full_round: true,
                pages,
                users: seen,
                total: Some(users),
                applied,
            })
        };
        report(0);
        let skipped: i64 =
            tx.query_row("SELECT COUNT(*) FROM temp.load_skipped", [], |r| r.get(0))?;
        tx.execute_batch("DROP TABLE temp.load_skipped")?;
        apply::record_skipped(tx, run.id, plan, skipped as u64)?;

        // Added: the user's fields, as `{"fields": ...}` like a staged round's records. `fields` is
        // the compact JSON this load wrote, so the detail is spliced as text: re-parsing it with
        // json() cost as much as the rest of the statement.
        let added = tx.execute(
            "INSERT INTO run_changes (run_id, seq, user_id, name, upn, kind, reason, group_name, detail)
             SELECT ?1, ?2 + row_number() OVER (ORDER BY seq), id, name, upn, ?3, NULL, NULL,
                    '{\"fields\":' || fields || '}'
             FROM users ORDER BY seq",
            params![run.id, self.records, ChangeKind::Added.as_str()],
        )? as i64;
        self.records += added;
        run.counts.added = added as u64;
        run.counts.failed = self.failed;

        match groups::join_network_if_only_group(tx)? {
            Some(joined) => {
                // Everyone stored joined.
                tx.execute(
                    "INSERT INTO run_changes (run_id, seq, user_id, name, upn, kind, reason, group_name, detail)
                     SELECT ?1, ?2 + row_number() OVER (ORDER BY seq), id, name, upn, ?3, NULL, ?4, '{}'
                     FROM users ORDER BY seq",
                    params![run.id, self.records, ChangeKind::Joined.as_str(), EMPLOYEE_NETWORK],
                )?;
                self.records += joined as i64;
                run.counts.group_joined = joined;
            }
            None => self.evaluate_groups(tx, run)?,
        }
        report(users);
        Ok(())
    }

    /// Dynamic groups exist: every user's rules are evaluated, a batch at a time.
    fn evaluate_groups(&mut self, tx: &Transaction, run: &mut RunRecord) -> Result<(), SyncError> {
        let mut after = 0i64;
        loop {
            let batch: Vec<(i64, String)> = tx
                .prepare_cached("SELECT seq, id FROM users WHERE seq > ?1 ORDER BY seq LIMIT ?2")?
                .query_map(params![after, apply::BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let Some((last, _)) = batch.last() else {
                return Ok(());
            };
            after = *last;
            let ids: Vec<String> = batch.into_iter().map(|(_, id)| id).collect();
            for m in groups::recompute_for_users(tx, &ids)? {
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
                let (name, upn) = tx
                    .prepare_cached("SELECT name, upn FROM users WHERE id = ?1")?
                    .query_row([&m.user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                self.record(
                    tx,
                    ChangeRecord {
                        seq: 0,
                        user_id: m.user_id,
                        name,
                        upn,
                        kind,
                        reason: None,
                        group: Some(m.group),
                        detail: json!({}),
                    },
                )?;
            }
        }
    }
}

fn skipped_raw(tx: &Transaction, id: &str) -> Result<Option<Map<String, Value>>, SyncError> {
    let raw: Option<String> = tx
        .prepare_cached("SELECT raw FROM temp.load_skipped WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    // Written by this round from a parsed object: it parses.
    Ok(raw.and_then(|raw| serde_json::from_str(&raw).ok()))
}

fn remember_skipped(tx: &Transaction, id: &str, raw: &str) -> Result<(), SyncError> {
    tx.prepare_cached("INSERT OR REPLACE INTO temp.load_skipped (id, raw) VALUES (?1, ?2)")?
        .execute([id, raw])?;
    Ok(())
}

fn forget_skipped(tx: &Transaction, id: &str) -> Result<(), SyncError> {
    tx.prepare_cached("DELETE FROM temp.load_skipped WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Copies the run's change records into `stage`, so they outlive the transaction.
fn keep_records(tx: &Transaction, stage: &mut Stage, run_id: i64) -> Result<(), SyncError> {
    stage.begin_apply()?;
    let mut after = 0;
    loop {
        let page = runs::changes_after(tx, run_id, after, apply::BATCH)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        for c in page {
            stage.push_change(c)?;
        }
    }
}
