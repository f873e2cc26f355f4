//! What every command needs: the data directory, the open store, and uniform error reporting.

use std::fmt::Display;
use std::process::ExitCode;

use dirsync::datadir::DataDir;
use dirsync::store::Store;

/// Exit statuses shared by every command (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Exit {
    Success = 0,
    Failed = 1,
    Usage = 2,
    NeedsApproval = 3,
    SignInRequired = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

pub const EXIT_FAILED: Exit = Exit::Failed;
pub const EXIT_USAGE: Exit = Exit::Usage;

/// Opens the store in the resolved data directory.
pub fn open_store() -> Result<Store, String> {
    let dir = DataDir::resolve().map_err(|e| e.to_string())?;
    Store::open_in(&dir).map_err(|e| e.to_string())
}

/// Prints `dirsync: <error>` on stderr and returns the given exit code.
pub fn fail(err: impl Display, code: Exit) -> ExitCode {
    eprintln!("dirsync: {}", shown(err));
    code.into()
}

/// An error's text as the CLI shows it: through the same redaction as the history and its
/// exports, since an error can quote a server's answer or a request, credentials included.
pub fn shown(err: impl Display) -> String {
    dirsync::runs::redact(&err.to_string()).into_owned()
}
