//! The round's staging area: a scratch SQLite file beside the database that receives delta pages as
//! they arrive (so memory holds one page, whatever the tenant size) and, while a round is applied,
//! the change records. It is thrown away when the run ends and at the start of the next run, so a
//! crash mid-round leaves nothing behind that matters.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::datadir::DataDir;
use crate::graph::DeltaRemoved;
use crate::runs::{ChangeKind, ChangeRecord};

pub(crate) const STAGE_FILE: &str = "sync-stage.sqlite3";

/// One staged delta item: the merged object, or a removal.
pub(crate) enum StagedItem {
    Upsert(Value),
    Removed(DeltaRemoved),
}

pub(crate) struct Stage {
    conn: Connection,
    path: PathBuf,
    next_seq: i64,
    next_change: i64,
}

impl Stage {
    /// Discards whatever an earlier run left and creates an empty stage.
    pub(crate) fn create(dir: &DataDir) -> rusqlite::Result<Self> {
        let path = dir.path().join(STAGE_FILE);
        discard(&path);
        let conn = Connection::open(&path)?;
        // Scratch data: durability buys nothing, a crash discards it anyway.
        conn.pragma_update(None, "journal_mode", "MEMORY")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        // Only this connection ever opens the file: no file lock taken and released per statement.
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        conn.execute_batch(
            "CREATE TABLE items (
                 id      TEXT PRIMARY KEY,
                 seq     INTEGER NOT NULL,
                 removed TEXT,              -- changed | deleted; NULL: body holds the merged object
                 body    TEXT
             );
             CREATE INDEX items_by_seq ON items (seq);
             CREATE TABLE changes (
                 seq INTEGER PRIMARY KEY, user_id TEXT NOT NULL, name TEXT, upn TEXT, kind TEXT NOT NULL,
                 reason TEXT, group_name TEXT, detail TEXT NOT NULL
             );",
        )?;
        Ok(Self {
            conn,
            path,
            next_seq: 1,
            next_change: 1,
        })
    }

    /// Empties the items (a round restarted from scratch).
    pub(crate) fn clear_items(&mut self) -> rusqlite::Result<()> {
        self.conn.execute("DELETE FROM items", [])?;
        Ok(())
    }

    /// Stages one page in one transaction. Duplicates merge into the earlier object (later
    /// properties win); a removal replaces it; an object after a removal (restore) replaces that.
    pub(crate) fn put_page(&mut self, items: &[Value]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut get = tx.prepare_cached("SELECT removed, body FROM items WHERE id = ?1")?;
            let mut put = tx.prepare_cached(
                "INSERT INTO items (id, seq, removed, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, removed = excluded.removed, body = excluded.body",
            )?;
            for item in items {
                let Some(id) = item.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let seq = self.next_seq;
                self.next_seq += 1;
                if let Some(reason) = DeltaRemoved::of(item) {
                    let reason = match reason {
                        DeltaRemoved::Changed => "changed",
                        DeltaRemoved::Deleted => "deleted",
                    };
                    put.execute(params![id, seq, reason, Option::<String>::None])?;
                    continue;
                }
                let mut merged = match get
                    .query_row([id], |r| {
                        Ok((
                            r.get::<_, Option<String>>(0)?,
                            r.get::<_, Option<String>>(1)?,
                        ))
                    })
                    .optional()?
                {
                    Some((None, Some(body))) => {
                        serde_json::from_str::<Map<String, Value>>(&body).unwrap_or_default()
                    }
                    _ => Map::new(),
                };
                if let Some(obj) = item.as_object() {
                    merge(&mut merged, obj);
                }
                put.execute(params![
                    id,
                    seq,
                    Option::<String>::None,
                    Value::Object(merged).to_string()
                ])?;
            }
        }
        tx.commit()
    }

    /// Up to `limit` staged items after `after_seq`, in arrival order of their last appearance.
    pub(crate) fn batch(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> rusqlite::Result<Vec<(i64, String, StagedItem)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, removed, body FROM items WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |r| {
            let seq: i64 = r.get(0)?;
            let id: String = r.get(1)?;
            let removed: Option<String> = r.get(2)?;
            let body: Option<String> = r.get(3)?;
            let item = match removed.as_deref() {
                Some("changed") => StagedItem::Removed(DeltaRemoved::Changed),
                Some(_) => StagedItem::Removed(DeltaRemoved::Deleted),
                None => StagedItem::Upsert(
                    body.and_then(|b| serde_json::from_str(&b).ok())
                        .unwrap_or(Value::Null),
                ),
            };
            Ok((seq, id, item))
        })?;
        rows.collect()
    }

    /// Whether `id` appeared in this round at all (mark and sweep).
    pub(crate) fn seen(&self, id: &str) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
            .exists([id])
    }

    pub(crate) fn item_count(&self) -> rusqlite::Result<u64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
    }

    /// Opens the transaction that holds the apply phase's change records: one commit for them all
    /// instead of one per record (the stage is scratch; it is discarded, never committed, at the end).
    pub(crate) fn begin_apply(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN")
    }

    /// Records a change (applied or would-be) until the run's outcome is known.
    pub(crate) fn push_change(&mut self, mut c: ChangeRecord) -> rusqlite::Result<()> {
        c.seq = self.next_change;
        self.next_change += 1;
        self.conn
            .prepare_cached(
                "INSERT INTO changes (seq, user_id, name, upn, kind, reason, group_name, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                c.seq,
                c.user_id,
                c.name,
                c.upn,
                c.kind.as_str(),
                c.reason,
                c.group,
                c.detail.to_string()
            ])?;
        Ok(())
    }

    pub(crate) fn forget_changes(&mut self) -> rusqlite::Result<()> {
        self.conn.execute("DELETE FROM changes", [])?;
        self.next_change = 1;
        Ok(())
    }

    /// Change records after `after_seq`, in order, `limit` at a time.
    pub(crate) fn changes(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> rusqlite::Result<Vec<ChangeRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, user_id, name, upn, kind, reason, group_name, detail FROM changes
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |r| {
            let kind: String = r.get(4)?;
            let detail: String = r.get(7)?;
            Ok(ChangeRecord {
                seq: r.get(0)?,
                user_id: r.get(1)?,
                name: r.get(2)?,
                upn: r.get(3)?,
                kind: ChangeKind::parse(&kind).unwrap_or(ChangeKind::Failed),
                reason: r.get(5)?,
                group: r.get(6)?,
                detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
            })
        })?;
        rows.collect()
    }

    /// Closes and deletes the stage.
    pub(crate) fn discard(self) {
        let Stage { conn, path, .. } = self;
        drop(conn);
        discard(&path);
    }
}

fn discard(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Later properties win; nested objects (onPremisesExtensionAttributes) merge key by key;
/// annotations (`@odata.*`, `manager@delta`) are dropped.
pub(super) fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        if k.contains('@') {
            continue;
        }
        match (into.get_mut(k), v) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}
