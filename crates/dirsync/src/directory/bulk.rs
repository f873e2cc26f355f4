//! Writing many users in one transaction fast: the sync's apply step.
//!
//! Maintaining the full-text index and eight sort indexes row by row costs far more than the rows
//! themselves. Two shapes, both undone by a rollback (preview, deletion guard, cancel, crash)
//! because dropping and creating schema objects is transactional in SQLite:
//!
//! - [`BulkLoad`], a load into an empty directory (the first sync): drops the secondary indexes
//!   and the full-text triggers, and at the end recreates them from the exact SQL the schema
//!   declared (read back from `sqlite_master`, so it never drifts from the migrations). The
//!   full-text index is filled from the table in a few large appends while the load runs (the
//!   first sync's loader) or in one pass at the end.
//! - [`BatchedFts`], every other round: the full-text triggers would make FTS5 write a segment per
//!   row. SQLite opens a statement savepoint for every write that fires a trigger, and FTS5 flushes
//!   its pending terms to a new on-disk segment at every savepoint, then merges those one-row
//!   segments again (measured: 36 % of the CPU samples of an incremental sync of 1,000 changes,
//!   plus the kernel's time writing the segments). Instead the
//!   triggers are dropped for the round, and the entries of each batch of users are taken out of
//!   the index before the batch is written and put back after it, in two statements.

use rusqlite::Transaction;

use super::DirectoryError;

/// FTS5's pending-terms buffer during a load, and its default (SQLite's FTS5_DEFAULT_HASHSIZE).
const LOAD_HASH_BYTES: u32 = 32 * 1024 * 1024;
const DEFAULT_HASH_BYTES: u32 = 1024 * 1024;

/// The indexed columns of `users_fts`, as the triggers in the schema write them.
const FTS_COLUMNS: &str = "name, upn, mail, phone, city, department, job_title";

/// The full-text triggers on the users table.
const FTS_TRIGGERS: &str =
    "type = 'trigger' AND name IN ('users_fts_insert', 'users_fts_update', 'users_fts_delete')";

/// Drops the schema objects that `filter` (a condition on `type`, `name` and `tbl_name` in
/// `sqlite_master`) selects; returns their SQL, to recreate them.
fn drop_objects(tx: &Transaction, filter: &str) -> Result<Vec<String>, DirectoryError> {
    let objects: Vec<(String, String, String)> = tx
        .prepare(&format!(
            "SELECT type, name, sql FROM sqlite_master
             WHERE sql IS NOT NULL AND ({filter})
             ORDER BY type, name"
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut sql = Vec::with_capacity(objects.len());
    for (kind, name, create) in objects {
        // Names come from sqlite_master; quoting keeps any spelling valid.
        let kind = if kind == "index" { "INDEX" } else { "TRIGGER" };
        tx.execute_batch(&format!("DROP {kind} \"{}\"", name.replace('"', "\"\"")))?;
        sql.push(create);
    }
    Ok(sql)
}

fn recreate(tx: &Transaction, sql: &[String]) -> Result<(), DirectoryError> {
    for create in sql {
        tx.execute_batch(create)?;
    }
    Ok(())
}

/// The dropped schema objects, to recreate, and how far the full-text index has caught up.
pub struct BulkLoad {
    sql: Vec<String>,
    /// Every user with a `seq` up to this one is in the full-text index (see [`BulkLoad::index_new`]).
    indexed: i64,
}

impl BulkLoad {
    /// Drops the users table's secondary indexes and the full-text triggers (a user written twice
    /// in the round must not reach an index that never held it). Only for a directory that is
    /// empty: the full-text index is filled from the table, by [`BulkLoad::index_new`] as the load
    /// goes or at the end.
    pub fn begin(tx: &Transaction) -> Result<Self, DirectoryError> {
        Self::dropping(tx, "FALSE")
    }

    /// [`BulkLoad::begin`], and also the per-user indexes of memberships and change records, for
    /// a load that writes every user's memberships and records at once at the end.
    pub fn begin_with_history(tx: &Transaction) -> Result<Self, DirectoryError> {
        Self::dropping(
            tx,
            "type = 'index' AND name IN ('group_members_by_user', 'run_changes_by_user')",
        )
    }

    fn dropping(tx: &Transaction, also: &str) -> Result<Self, DirectoryError> {
        let sql = drop_objects(
            tx,
            &format!("(tbl_name = 'users' AND (type = 'index' OR ({FTS_TRIGGERS}))) OR ({also})"),
        )?;
        // FTS5 flushes its in-memory terms to a new segment every `hashsize` bytes (1 MiB by
        // default) and then merges the segments; a larger buffer for the load means far fewer
        // merges (measured: 5.7 s -> 3.8 s CPU for 100,000 users). The setting is stored, so it
        // goes back at the end (or with a rollback).
        set_hashsize(tx, LOAD_HASH_BYTES)?;
        Ok(Self { sql, indexed: 0 })
    }

    /// Puts the users written since the last call into the full-text index, in `seq` order. A load
    /// calls this every so many users, so the index is built while the next pages are fetched
    /// rather than after the last one. (FTS5 writes its pending terms out as a segment at the end
    /// of each such statement, so not after every page.)
    pub fn index_new(&mut self, tx: &Transaction) -> Result<(), DirectoryError> {
        let last = last_seq(tx)?;
        if last <= self.indexed {
            return Ok(());
        }
        tx.prepare_cached(&format!(
            "INSERT INTO users_fts (rowid, {FTS_COLUMNS})
             SELECT seq, {FTS_COLUMNS} FROM users WHERE seq > ?1 ORDER BY seq"
        ))?
        .execute([self.indexed])?;
        self.indexed = last;
        Ok(())
    }

    /// Takes user `id` out of the full-text index if [`BulkLoad::index_new`] put it there, before
    /// it is rewritten or removed (the index must be told the old values). Returns whether it did:
    /// then [`BulkLoad::reindex`] puts the user back after the write.
    pub fn forget(&self, tx: &Transaction, id: &str) -> Result<bool, DirectoryError> {
        let deleted = tx
            .prepare_cached(&format!(
                "INSERT INTO users_fts (users_fts, rowid, {FTS_COLUMNS})
                 SELECT 'delete', seq, {FTS_COLUMNS} FROM users WHERE id = ?1 AND seq <= ?2"
            ))?
            .execute(rusqlite::params![id, self.indexed])?;
        Ok(deleted > 0)
    }

    /// Puts user `id` back into the full-text index after [`BulkLoad::forget`], if still stored.
    pub fn reindex(&mut self, tx: &Transaction, id: &str) -> Result<(), DirectoryError> {
        tx.prepare_cached(&format!(
            "INSERT INTO users_fts (rowid, {FTS_COLUMNS})
             SELECT seq, {FTS_COLUMNS} FROM users WHERE id = ?1"
        ))?
        .execute([id])?;
        // A removed user may have had the highest `seq`, which SQLite then gives the next user
        // inserted: that one must still count as not indexed.
        self.indexed = self.indexed.min(last_seq(tx)?);
        Ok(())
    }

    /// Recreates the indexes and the triggers and puts the users not indexed yet into the
    /// full-text index.
    pub fn finish(mut self, tx: &Transaction) -> Result<(), DirectoryError> {
        recreate(tx, &self.sql)?;
        if self.indexed == 0 {
            // Nothing indexed along the way: one pass over the table.
            tx.execute_batch("INSERT INTO users_fts (users_fts) VALUES ('rebuild')")?;
        } else {
            self.index_new(tx)?;
        }
        set_hashsize(tx, DEFAULT_HASH_BYTES)
    }
}

/// The highest `seq` stored, 0 for an empty table.
fn last_seq(tx: &Transaction) -> Result<i64, DirectoryError> {
    Ok(tx.query_row("SELECT coalesce(max(seq), 0) FROM users", [], |r| r.get(0))?)
}

fn set_hashsize(tx: &Transaction, bytes: u32) -> Result<(), DirectoryError> {
    tx.execute_batch(&format!(
        "INSERT INTO users_fts (users_fts, rank) VALUES ('hashsize', {bytes})"
    ))?;
    Ok(())
}

/// The full-text triggers, dropped while a round writes users batch by batch.
pub struct BatchedFts {
    triggers: Vec<String>,
}

impl BatchedFts {
    /// Drops the full-text triggers. From here until [`BatchedFts::finish`], every write to a
    /// user must sit between [`BatchedFts::forget`] and [`BatchedFts::index`] of its id.
    pub fn begin(tx: &Transaction) -> Result<Self, DirectoryError> {
        let triggers = drop_objects(tx, &format!("tbl_name = 'users' AND {FTS_TRIGGERS}"))?;
        Ok(Self { triggers })
    }

    /// Takes the stored users among `ids` out of the full-text index, before they are written.
    pub fn forget(&self, tx: &Transaction, ids: &[String]) -> Result<(), DirectoryError> {
        self.each(
            tx,
            ids,
            &format!(
                "INSERT INTO users_fts (users_fts, rowid, {FTS_COLUMNS})
                 SELECT 'delete', seq, {FTS_COLUMNS} FROM users
                 WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY seq"
            ),
        )
    }

    /// Puts the users among `ids` that are stored now back into the full-text index.
    pub fn index(&self, tx: &Transaction, ids: &[String]) -> Result<(), DirectoryError> {
        self.each(
            tx,
            ids,
            &format!(
                "INSERT INTO users_fts (rowid, {FTS_COLUMNS})
                 SELECT seq, {FTS_COLUMNS} FROM users
                 WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY seq"
            ),
        )
    }

    /// Runs `sql` (rows in `seq` order: FTS5 flushes its pending terms to disk whenever a row id
    /// is lower than the previous one) with `ids` as a JSON array.
    fn each(&self, tx: &Transaction, ids: &[String], sql: &str) -> Result<(), DirectoryError> {
        if !ids.is_empty() {
            let ids = serde_json::to_string(ids).expect("strings serialize");
            tx.prepare_cached(sql)?.execute([ids])?;
        }
        Ok(())
    }

    /// Recreates the triggers: later writes in the transaction keep the index in step again.
    pub fn finish(self, tx: &Transaction) -> Result<(), DirectoryError> {
        recreate(tx, &self.triggers)
    }
}
