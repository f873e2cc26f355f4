//! The store through its public API: WAL mode, migrations, and the refusal of a database that a
//! newer version wrote (which must be left exactly as it was).

use std::path::Path;

use dirsync::datadir::{DataDir, DATABASE_FILE};
use dirsync::settings;
use dirsync::store::{schema_version, Store, StoreError};
use rusqlite::Connection;

fn user_version(conn: &Connection) -> i64 {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn a_new_database_is_in_wal_mode_and_fully_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path()).unwrap();
    let store = Store::open_in(&data_dir).unwrap();

    assert_eq!(store.path(), dir.path().join(DATABASE_FILE));
    let mode: String = store
        .conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(user_version(store.conn()), schema_version() as i64);
    // The first migration's table is there and usable.
    assert_eq!(settings::get(&store, "tenant").unwrap(), "organizations");
}

#[test]
fn reopening_keeps_data_and_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path()).unwrap();
    {
        let store = Store::open_in(&data_dir).unwrap();
        settings::set(&store, "tenant", "contoso.onmicrosoft.com").unwrap();
    }
    let store = Store::open_in(&data_dir).unwrap();
    assert_eq!(user_version(store.conn()), schema_version() as i64);
    assert_eq!(
        settings::get(&store, "tenant").unwrap(),
        "contoso.onmicrosoft.com"
    );
}

/// Writes a database as a future version would: a schema version past this build's, a table of
/// its own with a row, in the given journal mode.
fn write_future_database(path: &Path, journal_mode: &str, version: usize) {
    let conn = Connection::open(path).unwrap();
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", journal_mode, |r| r.get(0))
        .unwrap();
    assert_eq!(mode, journal_mode);
    conn.execute_batch(
        "CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT;
         CREATE TABLE from_the_future (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
         INSERT INTO from_the_future (note) VALUES ('keep me');",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", version as i64)
        .unwrap();
    conn.close().unwrap();
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let newer = schema_version() + 1;
    let cases = [("wal", newer), ("delete", newer), ("wal", newer + 40)];
    for (journal_mode, version) in cases {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = DataDir::at(dir.path()).unwrap();
        let db = data_dir.database_path();
        write_future_database(&db, journal_mode, version);
        let before = std::fs::read(&db).unwrap();

        let err = Store::open_in(&data_dir).expect_err("a newer database must be refused");
        match &err {
            StoreError::TooNew { path, found, known } => {
                assert_eq!(path, &db);
                assert_eq!((*found, *known), (version, schema_version()));
            }
            other => panic!("{journal_mode}/{version}: expected TooNew, got {other:?}"),
        }
        let message = err.to_string();
        for expected in [
            "written by a newer version of Directory Sync",
            &format!("schema {version}"),
            "DIRSYNC_DATA_DIR",
        ] {
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }

        assert!(
            std::fs::read(&db).unwrap() == before,
            "{journal_mode}/{version}: the refused database was modified"
        );
        let conn = Connection::open(&db).unwrap();
        assert_eq!(user_version(&conn), version as i64);
        let note: String = conn
            .query_row("SELECT note FROM from_the_future", [], |r| r.get(0))
            .unwrap();
        assert_eq!(note, "keep me");
    }
}
