//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `setup`: install what a fresh Debian/Ubuntu machine lacks to build and test.
//! - `test`:  setup, fmt, clippy, every unit and integration test, then the WebDriver suite
//!   against the real window under Xvfb; ends with `N passed, N failed`.
//! - `demo`:  setup, build, open the app.
//! - `screenshots`: refresh `docs/screenshots/*.png` from the real window (for the README).
//! - `bench`: measure sync, rules and search against the emulator; write BENCHMARKS.md.

#[cfg(target_os = "linux")]
mod bench;
/// Peak memory comes from Linux's `wait4` rusage; elsewhere the bench says so.
#[cfg(not(target_os = "linux"))]
mod bench {
    pub fn run(_: &[String]) -> crate::run::Result {
        Err("cargo xtask bench measures with Linux's wait4 rusage; run it on Linux".into())
    }
}
mod demo;
mod run;
mod setup;
mod test;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <setup|test|demo|screenshots|bench>

  setup   install the system packages and tools needed to build and test (Debian/Ubuntu)
  test    setup, cargo fmt --check, clippy -D warnings, all tests, and the WebDriver suite
  demo    setup, build and open Directory Sync
  screenshots  refresh docs/screenshots/*.png from the real window under Xvfb
  bench   [--quick] [--runs N] [--no-million]: measure sync, rules and search against the
          emulator (release build) and write BENCHMARKS.md; run it under `nice -n 5` on shared machines";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("test") => test::run(),
        Some("demo") => demo::run(),
        Some("screenshots") => test::screenshots(),
        Some("bench") => bench::run(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            if let Some(cmd) = other {
                eprintln!("unknown command '{cmd}'\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
