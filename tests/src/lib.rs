//! End-to-end test support for Directory Sync.
//!
//! `window` drives the real app through tauri-driver and WebKitWebDriver. Those tests are
//! `#[ignore]`d so a plain `cargo test` (which may have no display) skips them visibly;
//! `cargo xtask test` runs them with `--ignored` under Xvfb and a private D-Bus session.
//!
//! `tenant` is an in-process emulated tenant: it configures a data directory, signs the admin
//! in and runs a first sync, so window tests start from a signed-in, synced app.

pub mod desktop;
pub mod tenant;
pub mod window;
