//! The one SQLite database: opened in WAL mode, migrated at start, refused when a newer
//! version of the app wrote it (so an older binary never damages a newer schema).

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite_migration::{MigrationDefinitionError, Migrations, M};

use crate::datadir::DataDir;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} was written by a newer version of Directory Sync (schema {found}, this version knows up to {known}); \
         install the newer version, or point DIRSYNC_DATA_DIR at another folder"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot upgrade the database {path}: {message}")]
    Migrate { path: PathBuf, message: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// The schema, in order: schema version N is the N-th entry. Append new migrations;
/// never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_settings.sql"),
    include_str!("migrations/002_account.sql"),
    include_str!("migrations/003_directory.sql"),
    include_str!("migrations/004_groups.sql"),
    include_str!("migrations/005_sync_state.sql"),
    include_str!("migrations/006_runs.sql"),
    include_str!("migrations/007_history.sql"),
    include_str!("migrations/008_groups_dynamic.sql"),
    include_str!("migrations/009_phone_digits.sql"),
    include_str!("migrations/010_lean_indexes.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// The newest schema version this build understands.
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

/// An open, migrated database connection.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the database in `data_dir`, creating and migrating it as needed.
    pub fn open_in(data_dir: &DataDir) -> Result<Self, StoreError> {
        Self::open(&data_dir.database_path())
    }

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        // Before anything that writes: switching a rollback-journal database to WAL rewrites its header.
        refuse_if_too_new(&conn, path)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        migrate(&mut conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// Refuses a database whose schema is newer than this build knows; returns its schema version.
fn refuse_if_too_new(conn: &Connection, path: &Path) -> Result<usize, StoreError> {
    let found: usize =
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    let known = schema_version();
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    Ok(found)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found = refuse_if_too_new(conn, path)?;
    let known = schema_version();
    migrations().to_latest(conn).map_err(|e| match e {
        rusqlite_migration::Error::MigrationDefinition(
            MigrationDefinitionError::DatabaseTooFarAhead,
        ) => StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known,
        },
        other => StoreError::Migrate {
            path: path.to_path_buf(),
            message: other.to_string(),
        },
    })
}
