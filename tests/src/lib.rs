//! End-to-end test support for Directory Sync.
//!
//! `window` drives the real app through tauri-driver and WebKitWebDriver. Those tests are
//! `#[ignore]`d so a plain `cargo test` (which may have no display) skips them visibly;
//! `cargo xtask test` runs them with `--ignored` under Xvfb and a private D-Bus session.

pub mod window;
