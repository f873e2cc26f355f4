//! Where all state lives: one data directory, the platform default for the app identifier
//! (the same directory Tauri's `app_data_dir` resolves to), overridden by `DIRSYNC_DATA_DIR`.

use std::path::{Path, PathBuf};

use crate::APP_IDENTIFIER;

/// Environment variable that overrides the data directory (honoured by the app, the CLI and the tests).
pub const DATA_DIR_ENV: &str = "DIRSYNC_DATA_DIR";

/// File name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "dirsync.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "no data directory could be found for this user; set {DATA_DIR_ENV} to a writable folder"
    )]
    NoPlatformDir,
    #[error("cannot create the data directory {path}: {source}; set {DATA_DIR_ENV} to a writable folder")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A resolved, existing data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Resolves the data directory from the environment and creates it if needed.
    pub fn resolve() -> Result<Self, DataDirError> {
        let root = match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => dirs::data_dir()
                .ok_or(DataDirError::NoPlatformDir)?
                .join(APP_IDENTIFIER),
        };
        Self::at(root)
    }

    /// Uses `root` as the data directory, creating it if needed.
    pub fn at(root: impl Into<PathBuf>) -> Result<Self, DataDirError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|source| DataDirError::Create {
            path: root.clone(),
            source,
        })?;
        Ok(Self { root })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    pub fn database_path(&self) -> PathBuf {
        self.root.join(DATABASE_FILE)
    }
}
