//! Where a file the admin saves goes (a run's log, the directory as CSV): the native save dialog,
//! or the directory or file named by `DIRSYNC_SAVE_PATH` when that is set (the WebDriver tests
//! set it, because the GTK dialog cannot be driven).
//!
//! The dialog is opened from Rust (tauri-plugin-dialog), on a blocking worker thread, never on
//! the main thread. Files are written to a temporary sibling and renamed into place, so a failed
//! export never leaves half a file under the chosen name.
//!
//! ```ignore
//! let Some(path) = save_path::choose(&app, &SaveRequest::new("dirsync-run-7-2026-11-02.log")
//!     .filter("Log file", &["log", "txt"])).await? else { return Ok(None) }; // cancelled
//! save_path::write_file(&path, |w| dirsync::runs::export(conn, 7, Format::Text, w))?;
//! ```

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::error::Error;

/// The override of the save dialog: a directory (the suggested file name is appended) or a file.
pub const SAVE_PATH_ENV: &str = "DIRSYNC_SAVE_PATH";

/// What to save: the suggested file name and the file-type filters the dialog offers.
#[derive(Debug, Clone)]
pub struct SaveRequest {
    pub file_name: String,
    pub title: Option<String>,
    pub filters: Vec<(String, Vec<String>)>,
}

impl SaveRequest {
    pub fn new(file_name: impl Into<String>) -> Self {
        Self {
            file_name: file_name.into(),
            title: None,
            filters: Vec::new(),
        }
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    pub fn filter(mut self, name: &str, extensions: &[&str]) -> Self {
        self.filters.push((
            name.to_string(),
            extensions.iter().map(|e| e.to_string()).collect(),
        ));
        self
    }
}

/// Asks where to save: `Ok(None)` when the admin cancelled the dialog.
pub async fn choose<R: Runtime>(
    app: &AppHandle<R>,
    req: &SaveRequest,
) -> Result<Option<PathBuf>, Error> {
    if let Some(value) = std::env::var_os(SAVE_PATH_ENV).filter(|v| !v.is_empty()) {
        return Ok(Some(overridden(&value, &req.file_name)));
    }
    let mut dialog = app.dialog().file().set_file_name(&req.file_name);
    if let Some(title) = &req.title {
        dialog = dialog.set_title(title);
    }
    for (name, exts) in &req.filters {
        let exts: Vec<&str> = exts.iter().map(String::as_str).collect();
        dialog = dialog.add_filter(name, &exts);
    }
    // `blocking_save_file` must not run on the main thread; a blocking worker waits for it.
    let picked = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
        .await
        .map_err(|e| Error::Dialog(e.to_string()))?;
    picked
        .map(|p| p.into_path().map_err(|e| Error::Dialog(e.to_string())))
        .transpose()
}

/// The path `DIRSYNC_SAVE_PATH` stands for: inside it when it is an existing directory (or ends
/// with a separator), else the file itself.
pub fn overridden(value: &OsStr, file_name: &str) -> PathBuf {
    let path = PathBuf::from(value);
    let names_dir = value
        .to_str()
        .is_some_and(|s| s.ends_with('/') || s.ends_with(std::path::MAIN_SEPARATOR));
    if path.is_dir() || names_dir {
        path.join(file_name)
    } else {
        path
    }
}

/// Writes `path` through `write`: into a temporary file next to it, renamed over `path` only when
/// `write` succeeded, so the admin never finds a truncated file under the name they chose.
pub fn write_file<E: std::fmt::Display>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), Error> {
    let fail = |reason: String| Error::Write {
        path: path.display().to_string(),
        reason,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = dir.join(format!(".{name}.part-{}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| fail(e.to_string()))?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out).map_err(|e| fail(e.to_string()))?;
        let file = out.into_inner().map_err(|e| fail(e.to_string()))?;
        file.sync_all().map_err(|e| fail(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_names_a_directory_or_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let cases = [
            (dir.clone().into_os_string(), dir.join("a.log")),
            (
                format!("{}/new/", dir.display()).into(),
                dir.join("new").join("a.log"),
            ),
            (dir.join("x.txt").into_os_string(), dir.join("x.txt")),
        ];
        for (value, expected) in cases {
            assert_eq!(overridden(&value, "a.log"), expected, "{value:?}");
        }
    }

    #[test]
    fn a_failed_write_leaves_no_file_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("out.log");
        let err = write_file(&path, |w| {
            w.write_all(b"half").unwrap();
            Err("the run was pruned meanwhile")
        })
        .unwrap_err();
        assert!(err.to_string().contains("the run was pruned"), "{err}");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

        write_file(&path, |w| w.write_all(b"whole\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "whole\n");
    }
}
