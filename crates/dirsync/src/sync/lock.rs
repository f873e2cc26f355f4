//! One run at a time across the app and the CLI: an OS file lock on `sync.lock` in the data
//! directory (released by the OS if the holder is killed) plus the `sync_lock` row saying who holds it.

use std::fs::{File, OpenOptions, TryLockError};

use rusqlite::{params, Connection, OptionalExtension};

use crate::datadir::DataDir;
use crate::runs::Trigger;

pub(crate) const LOCK_FILE: &str = "sync.lock";

/// Who holds the run lock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunningSync {
    pub run_id: i64,
    pub trigger: String,
    pub pid: u32,
    pub since: String,
}

pub(crate) struct RunLock {
    _file: File,
}

pub(crate) enum Acquire {
    Held(RunLock),
    Busy(Option<RunningSync>),
}

impl RunLock {
    pub(crate) fn try_acquire(dir: &DataDir, conn: &Connection) -> std::io::Result<Acquire> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.path().join(LOCK_FILE))?;
        match file.try_lock() {
            Ok(()) => Ok(Acquire::Held(RunLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(Acquire::Busy(holder(conn).ok().flatten())),
            Err(TryLockError::Error(e)) => Err(e),
        }
    }
}

/// The `sync_lock` row, if any.
pub(crate) fn holder(conn: &Connection) -> rusqlite::Result<Option<RunningSync>> {
    conn.query_row(
        "SELECT run_id, trigger, pid, acquired_at FROM sync_lock WHERE id = 1",
        [],
        |r| {
            Ok(RunningSync {
                run_id: r.get(0)?,
                trigger: r.get(1)?,
                pid: r.get::<_, i64>(2)? as u32,
                since: r.get(3)?,
            })
        },
    )
    .optional()
}

/// Whether a run holds the lock right now (for status displays).
pub fn running(dir: &DataDir, conn: &Connection) -> std::io::Result<Option<RunningSync>> {
    match RunLock::try_acquire(dir, conn)? {
        Acquire::Held(_) => Ok(None),
        Acquire::Busy(who) => Ok(Some(who.unwrap_or(RunningSync {
            run_id: 0,
            trigger: "unknown".into(),
            pid: 0,
            since: String::new(),
        }))),
    }
}

pub(crate) fn record(
    conn: &Connection,
    run_id: i64,
    trigger: Trigger,
    now: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sync_lock (id, run_id, trigger, pid, acquired_at) VALUES (1, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, trigger = excluded.trigger,
             pid = excluded.pid, acquired_at = excluded.acquired_at",
        params![run_id, trigger.as_str(), std::process::id() as i64, now],
    )?;
    Ok(())
}

pub(crate) fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM sync_lock", [])?;
    Ok(())
}
