//! Directory Sync core.
//!
//! Everything the product does lives here: the data directory and its SQLite store, settings,
//! sign-in, the Microsoft Graph client, attribute mapping, dynamic-membership rules, the sync
//! engine and its history, and the schedule. This crate knows nothing of Tauri or of any UI;
//! the desktop shell (`src-tauri`) and the `dirsync` CLI are thin adapters over it.

pub mod account;
pub mod auth;
pub mod datadir;
pub mod directory;
pub mod graph;
pub mod groups;
pub mod mapping;
pub mod rules;
pub mod runs;
pub mod schedule;
pub mod settings;
pub mod store;
pub mod sync;

/// The version of the core crate, shown in Settings and `dirsync --version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The application identifier; the platform data directory is named after it, as Tauri names its own.
pub const APP_IDENTIFIER: &str = "com.dirsync.app";
