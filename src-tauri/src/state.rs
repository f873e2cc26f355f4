//! State managed by Tauri: the data directory and the open store, or why they could not be opened.
//!
//! A failure at start (no data directory, a database written by a newer version) does not stop
//! the window from opening: every command then answers with the reason, and the UI shows it.

use std::sync::{Mutex, MutexGuard};

use dirsync::{datadir::DataDir, store::Store};

use crate::error::Error;

pub struct AppState {
    inner: Result<Ready, String>,
}

struct Ready {
    data_dir: DataDir,
    store: Mutex<Store>,
}

impl AppState {
    /// Resolves the data directory (honouring `DIRSYNC_DATA_DIR`) and opens the database in it.
    pub fn open() -> Self {
        match DataDir::resolve() {
            Ok(dir) => Self::open_in(dir),
            Err(e) => Self::unavailable(e.to_string()),
        }
    }

    pub fn open_in(data_dir: DataDir) -> Self {
        match Store::open_in(&data_dir) {
            Ok(store) => Self {
                inner: Ok(Ready {
                    data_dir,
                    store: Mutex::new(store),
                }),
            },
            Err(e) => Self::unavailable(e.to_string()),
        }
    }

    fn unavailable(reason: String) -> Self {
        tracing::error!("{reason}");
        Self { inner: Err(reason) }
    }

    /// Why the store could not be opened, if it could not.
    pub fn problem(&self) -> Option<&str> {
        self.inner.as_ref().err().map(String::as_str)
    }

    pub fn data_dir(&self) -> Result<&DataDir, Error> {
        Ok(&self.ready()?.data_dir)
    }

    /// The store, locked for the duration of one command.
    pub fn store(&self) -> Result<MutexGuard<'_, Store>, Error> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back), so a
        // poisoned lock is safe to reuse.
        Ok(self
            .ready()?
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    fn ready(&self) -> Result<&Ready, Error> {
        self.inner
            .as_ref()
            .map_err(|reason| Error::Unavailable(reason.clone()))
    }
}
