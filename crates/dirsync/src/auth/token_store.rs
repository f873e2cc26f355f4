//! Where the refresh token lives: the OS keychain (Secret Service, Keychain, Credential Manager)
//! through `keyring`, or, where no keychain is reachable, `<datadir>/refresh-token` with mode 0600
//! and a one-time warning. Only the refresh token is stored, so it fits Windows' 2560-byte limit.
//! `DIRSYNC_TOKEN_STORE=file|keychain` forces a choice (tests and CI never touch a real keychain).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::config::KEYCHAIN_SERVICE;
use super::AuthError;
use crate::datadir::DataDir;

/// Environment variable forcing the token store: `file` or `keychain`.
pub const TOKEN_STORE_ENV: &str = "DIRSYNC_TOKEN_STORE";

/// File name of the fallback store inside the data directory.
pub const FALLBACK_FILE: &str = "refresh-token";

/// Which store to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStorePreference {
    /// The keychain when reachable, else the file (with a warning).
    Auto,
    Keychain,
    File,
}

impl TokenStorePreference {
    /// From `DIRSYNC_TOKEN_STORE`; `Auto` when unset.
    pub fn from_env() -> Result<Self, AuthError> {
        match std::env::var(TOKEN_STORE_ENV)
            .ok()
            .as_deref()
            .map(str::trim)
        {
            None | Some("") | Some("auto") => Ok(Self::Auto),
            Some("file") => Ok(Self::File),
            Some("keychain") => Ok(Self::Keychain),
            Some(other) => Err(AuthError::Config(format!(
                "{TOKEN_STORE_ENV}={other} is not understood; use file or keychain"
            ))),
        }
    }
}

/// Where the refresh token is kept, for status displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStorageKind {
    Keychain,
    /// The 0600 file; `fallback` when chosen because no keychain was reachable.
    File {
        fallback: bool,
    },
}

/// The refresh-token store.
#[derive(Debug, Clone)]
pub struct TokenStore {
    kind: TokenStorageKind,
    file: PathBuf,
}

/// The fallback file's content: the key ties the token to one configuration.
#[derive(Serialize, Deserialize)]
struct FileRecord {
    key: String,
    refresh_token: String,
}

static KEYCHAIN_PROBE: OnceLock<Result<(), String>> = OnceLock::new();
static FALLBACK_WARNED: AtomicBool = AtomicBool::new(false);

/// Whether the platform keychain answers (probed once per process).
fn keychain_reachable() -> Result<(), String> {
    KEYCHAIN_PROBE
        .get_or_init(|| {
            let entry =
                keyring::Entry::new(KEYCHAIN_SERVICE, "probe").map_err(|e| e.to_string())?;
            match entry.get_password() {
                Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        })
        .clone()
}

impl TokenStore {
    /// Chooses the store for `data_dir`. Blocking (the keychain probe may talk to D-Bus).
    pub fn select(data_dir: &DataDir, pref: TokenStorePreference) -> Result<Self, AuthError> {
        let file = data_dir.path().join(FALLBACK_FILE);
        let kind = match pref {
            TokenStorePreference::File => TokenStorageKind::File { fallback: false },
            TokenStorePreference::Keychain => {
                keychain_reachable().map_err(|e| {
                    AuthError::TokenStorage(format!(
                        "the OS keychain is not reachable ({e}); unset {TOKEN_STORE_ENV} to fall back to a protected file"
                    ))
                })?;
                TokenStorageKind::Keychain
            }
            TokenStorePreference::Auto => match keychain_reachable() {
                Ok(()) => TokenStorageKind::Keychain,
                Err(e) => {
                    if !FALLBACK_WARNED.swap(true, Ordering::SeqCst) {
                        tracing::warn!(
                            "no OS keychain is reachable ({e}); the refresh token is kept in {} (readable only by you)",
                            file.display()
                        );
                    }
                    TokenStorageKind::File { fallback: true }
                }
            },
        };
        Ok(Self { kind, file })
    }

    pub fn kind(&self) -> TokenStorageKind {
        self.kind
    }

    /// The one-time notice for the UI when the file fallback is in use, else `None`.
    pub fn warning(&self) -> Option<String> {
        match self.kind {
            TokenStorageKind::File { fallback: true } => Some(format!(
                "No OS keychain is reachable, so your sign-in is kept in {} (readable only by you).",
                self.file.display()
            )),
            _ => None,
        }
    }

    /// The fallback file's path (used only when `kind` is `File`).
    pub fn file_path(&self) -> &Path {
        &self.file
    }

    /// The refresh token stored under `key`, if any. Blocking.
    pub fn load(&self, key: &str) -> Result<Option<String>, AuthError> {
        match self.kind {
            TokenStorageKind::Keychain => match entry(key)?.get_password() {
                Ok(t) => Ok(Some(t)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(keychain_err("read", e)),
            },
            TokenStorageKind::File { .. } => {
                let text = match std::fs::read_to_string(&self.file) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(file_err("read", &self.file, e)),
                };
                let rec: FileRecord = serde_json::from_str(&text).map_err(|_| {
                    AuthError::TokenStorage(format!(
                        "{} is damaged; sign out and sign in again",
                        self.file.display()
                    ))
                })?;
                Ok((rec.key == key).then_some(rec.refresh_token))
            }
        }
    }

    /// Stores (replaces) the refresh token under `key`. Blocking.
    pub fn save(&self, key: &str, refresh_token: &str) -> Result<(), AuthError> {
        match self.kind {
            TokenStorageKind::Keychain => entry(key)?
                .set_password(refresh_token)
                .map_err(|e| keychain_err("store", e)),
            TokenStorageKind::File { .. } => {
                let rec = FileRecord {
                    key: key.to_string(),
                    refresh_token: refresh_token.to_string(),
                };
                let json = serde_json::to_string(&rec).expect("two strings serialize");
                write_private(&self.file, json.as_bytes())
                    .map_err(|e| file_err("write", &self.file, e))
            }
        }
    }

    /// Removes the refresh token under `key` (absent is fine). Blocking.
    pub fn delete(&self, key: &str) -> Result<(), AuthError> {
        match self.kind {
            TokenStorageKind::Keychain => match entry(key)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keychain_err("remove", e)),
            },
            TokenStorageKind::File { .. } => match std::fs::remove_file(&self.file) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(file_err("remove", &self.file, e)),
            },
        }
    }
}

fn entry(key: &str) -> Result<keyring::Entry, AuthError> {
    keyring::Entry::new(KEYCHAIN_SERVICE, key).map_err(|e| keychain_err("open", e))
}

// keyring errors describe the platform failure, never the secret.
fn keychain_err(what: &str, e: keyring::Error) -> AuthError {
    let detail = match e {
        keyring::Error::BadEncoding(_) => "the stored value is not text".to_string(),
        other => other.to_string(),
    };
    AuthError::TokenStorage(format!(
        "cannot {what} the sign-in in the OS keychain: {detail}"
    ))
}

fn file_err(what: &str, path: &Path, e: std::io::Error) -> AuthError {
    AuthError::TokenStorage(format!("cannot {what} {}: {e}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file created with mode 0600 (never readable by
/// others, not even briefly), then renames it into place.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}
