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

/// The schema as the versions before migration 009 left it.
fn write_schema_8(path: &Path) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    let migrations = rusqlite_migration::Migrations::new(
        [
            include_str!("../src/store/migrations/001_settings.sql"),
            include_str!("../src/store/migrations/002_account.sql"),
            include_str!("../src/store/migrations/003_directory.sql"),
            include_str!("../src/store/migrations/004_groups.sql"),
            include_str!("../src/store/migrations/005_sync_state.sql"),
            include_str!("../src/store/migrations/006_runs.sql"),
            include_str!("../src/store/migrations/007_history.sql"),
            include_str!("../src/store/migrations/008_groups_dynamic.sql"),
        ]
        .into_iter()
        .map(rusqlite_migration::M::up)
        .collect(),
    );
    migrations.to_latest(&mut conn).unwrap();
    assert_eq!(user_version(&conn), 8);
    conn
}

/// What the current code stores in `phone_digits` for a user with this mobile phone.
fn phone_digits_written_now(phone: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("now.sqlite3")).unwrap();
    let mapping = dirsync::mapping::load(store.conn()).unwrap();
    let tx = store.conn_mut().transaction().unwrap();
    let user = serde_json::json!({"id": "u", "mobilePhone": phone});
    dirsync::directory::apply_upsert(&tx, &user, &mapping).unwrap();
    tx.query_row("SELECT phone_digits FROM users", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn migration_9_keeps_only_the_phone_digits_and_phones_are_still_found() {
    // (stored phone, the digit suffixes the versions before 009 wrote)
    let phones = [
        (
            "+1 (425) 555-0101",
            "14255550101 4255550101 255550101 55550101 5550101 550101 50101 0101 101",
        ),
        (
            "206.555.0199",
            "2065550199 065550199 65550199 5550199 550199 50199 0199 199",
        ),
        ("+44 20 7946 0958 ext. 12", "44207946095812 4207946095812"),
        ("tel:+49/30/123\t4", "4930123 4 930123 4"),
        ("０１２ 345 ٦٧", "345 45"),
        ("no phone", ""),
        ("", ""),
    ];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DATABASE_FILE);
    {
        let conn = write_schema_8(&db);
        for (i, (phone, old)) in phones.iter().enumerate() {
            conn.execute(
                "INSERT INTO users (id, name, phone, phone_digits, fields, raw, added_at, changed_at)
                 VALUES (?1, ?1, ?2, NULLIF(?3, ''), '{}', '{}', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
                rusqlite::params![format!("u{i}"), phone, old],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO users (id, name, fields, raw, added_at, changed_at)
             VALUES ('none', 'none', '{}', '{}', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
    }

    let store = Store::open(&db).unwrap();
    assert_eq!(user_version(store.conn()), schema_version() as i64);
    for (i, (phone, _)) in phones.iter().enumerate() {
        let migrated: Option<String> = store
            .conn()
            .query_row(
                "SELECT phone_digits FROM users WHERE id = ?1",
                [format!("u{i}")],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(migrated, phone_digits_written_now(phone), "{phone:?}");
    }
    store
        .conn()
        .execute(
            "INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("the full-text index was rebuilt from the migrated rows");

    let search = |text: &str| {
        let query = dirsync::directory::Query {
            text: text.into(),
            ..Default::default()
        };
        let page = dirsync::directory::search(store.conn(), &query).unwrap();
        assert_eq!(page.total as usize, page.items.len(), "total for {text:?}");
        let mut ids: Vec<String> = page.items.into_iter().map(|u| u.id).collect();
        ids.sort();
        ids
    };
    let cases: &[(&str, &[&str])] = &[
        ("5550101", &["u0"]),
        ("555-01", &["u0", "u1"]),
        ("0958 12", &["u2"]),
        ("30 1234", &["u3"]),
        ("45", &["u4"]),
        ("0101", &["u0"]),
        ("phone", &["u5"]),
    ];
    for (text, expected) in cases {
        assert_eq!(search(text), *expected, "search {text:?}");
    }
}
