//! `cargo xtask demo`: setup, build and open Directory Sync on the demo tenant.
//!
//! The app starts the demo tenant (the Graph emulator, 2,431 people) inside itself and points
//! its settings at it; the admin signs in to it in the browser on the emulator's own pages. The
//! normal data directory is used, so the demo (signed in, synced) is still there next time.

use std::process::Command;

use crate::run::{self, Result};
use crate::setup;

/// Arguments the app is started with by `cargo xtask demo`: `--demo` chooses the demo tenant
/// (the app's `demo::DEMO_ARG`).
pub fn demo_args() -> Vec<String> {
    vec!["--demo".to_string()]
}

fn has_display() -> bool {
    let set = |var| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    !cfg!(all(unix, not(target_os = "macos"))) || set("DISPLAY") || set("WAYLAND_DISPLAY")
}

pub fn run() -> Result {
    // Checked first: no point in a long build for a window nobody can see.
    if !has_display() {
        return Err(
            "no display (DISPLAY and WAYLAND_DISPLAY are unset): run `cargo xtask demo` \
                    from a desktop session, or `cargo xtask test` to check the app headless"
                .into(),
        );
    }
    setup::run()?;
    run::step("build the app (dirsync-app)");
    run::status(run::cargo().args(["build", "-p", "dirsync-app"]))?;
    run::step("open Directory Sync on the demo tenant");
    let app = run::target_dir().join("debug").join("dirsync-app");
    run::status(Command::new(app).args(demo_args()))
}
