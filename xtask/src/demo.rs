//! `cargo xtask demo`: setup, build and open Directory Sync.

use std::process::Command;

use crate::run::{self, Result};
use crate::setup;

/// Arguments the app is started with by `cargo xtask demo`. The embedded demo tenant (the Graph
/// emulator) hooks in here once it lands.
pub fn demo_args() -> Vec<String> {
    Vec::new()
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
    run::step("open Directory Sync");
    let app = run::target_dir().join("debug").join("dirsync-app");
    run::status(Command::new(app).args(demo_args()))
}
