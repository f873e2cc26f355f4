//! `cargo xtask test`: everything CI checks, in the order that fails fastest, ending with one
//! summary line `N passed, N failed` (fmt and clippy count as one check each).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::run::{self, Result};
use crate::setup;

/// Xvfb screen for the WebDriver suite: larger than the 1100x720 window.
pub(crate) const XVFB_SCREEN: &str = "-screen 0 1280x800x24";

#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    lines: Vec<String>,
}

impl Tally {
    fn check(&mut self, name: &str, result: Result) {
        match result {
            Ok(()) => {
                self.passed += 1;
                self.lines.push(format!("{name}: ok"));
            }
            Err(e) => {
                self.failed += 1;
                self.lines.push(format!("{name}: FAILED ({e})"));
            }
        }
    }

    fn tests(&mut self, name: &str, outcome: TestOutcome) {
        let TestOutcome {
            passed,
            failed,
            ignored,
            exit,
        } = outcome;
        // A run that failed without a failing test (e.g. a compile error) still counts as a failure.
        let failed = if exit.is_err() && failed == 0 {
            1
        } else {
            failed
        };
        self.passed += passed;
        self.failed += failed;
        let mut line = format!("{name}: {passed} passed, {failed} failed");
        if ignored > 0 {
            line.push_str(&format!(", {ignored} ignored"));
        }
        if let Err(e) = exit {
            line.push_str(&format!(" ({e})"));
        }
        self.lines.push(line);
    }
}

pub fn run() -> Result {
    let started = Instant::now();
    setup::run()?;
    let mut tally = Tally::default();

    run::step("cargo fmt --check");
    tally.check(
        "fmt",
        run::status(run::cargo().args(["fmt", "--all", "--check"])),
    );

    run::step("clippy, warnings denied");
    tally.check(
        "clippy",
        run::status(run::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    );

    run::step("unit and integration tests");
    tally.tests(
        "unit and integration tests",
        libtest(run::cargo().args(["test", "--workspace"])),
    );

    // Tiny sizes, one run each, debug build (already built by the tests): fails on errors, never
    // on timings, so the harness keeps working between real benchmark runs.
    run::step("benchmark harness smoke run (cargo xtask bench --quick)");
    tally.check("bench --quick", crate::bench::run(&["--quick".to_string()]));

    // Built after the workspace tests: `cargo test` links the app with Tauri's `test` feature,
    // and the window under test must be the real build.
    // The scripted browser signs in to the test tenants (tests/src/tenant.rs).
    run::step("build the app (dirsync-app) and the scripted browser");
    let built = run::status(run::cargo().args([
        "build",
        "-p",
        "dirsync-app",
        "-p",
        "graph-emulator",
        "--bins",
    ]));
    match built {
        Ok(()) => {
            run::step("WebDriver suite (real window, Xvfb, D-Bus session)");
            tally.tests("WebDriver suite", libtest(&mut e2e_command()));
        }
        Err(e) => tally.check("build dirsync-app (WebDriver suite not run)", Err(e)),
    }

    println!("\n==> summary ({:.0?})", started.elapsed());
    for line in &tally.lines {
        println!("  {line}");
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 {
        Ok(())
    } else {
        Err("some checks failed".into())
    }
}

/// `cargo xtask screenshots`: runs the WebDriver suite with `DIRSYNC_SCREENSHOT_DIR` set, so the
/// tests' `snapshot()` calls refresh the README's pictures of the real window.
pub fn screenshots() -> Result {
    setup::run()?;
    run::step("build the app (dirsync-app)");
    run::status(run::cargo().args(["build", "-p", "dirsync-app"]))?;
    let dir = run::root().join("docs").join("screenshots");
    run::step(&format!(
        "WebDriver suite, saving screenshots to {}",
        dir.display()
    ));
    let outcome = libtest(e2e_command().env("DIRSYNC_SCREENSHOT_DIR", &dir));
    outcome.exit
}

/// The WebDriver tests are `#[ignore]`d so plain `cargo test` skips them; here they run, each
/// against a fresh window, one at a time, on a private X server and D-Bus session.
fn e2e_command() -> Command {
    let app = run::target_dir().join("debug").join("dirsync-app");
    let mut path =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect::<Vec<_>>();
    path.insert(0, setup::cargo_bin_dir()); // where tauri-driver is installed
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    // Xvfb outside, the D-Bus session inside: services the bus starts on demand (portals,
    // the accessibility bus) then inherit DISPLAY too.
    let mut cmd = Command::new("xvfb-run");
    cmd.current_dir(run::root())
        .args(["-a", "-s", XVFB_SCREEN, "dbus-run-session", "--"])
        .arg(cargo)
        .args([
            "test",
            "-p",
            "dirsync-e2e",
            "--",
            "--ignored",
            "--test-threads=1",
        ])
        .env("PATH", std::env::join_paths(path).expect("PATH entries"))
        .env("DIRSYNC_APP_BIN", app)
        // A leaked Wayland display or a disabled bus would send the app elsewhere.
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
    cmd
}

struct TestOutcome {
    passed: u64,
    failed: u64,
    ignored: u64,
    exit: Result,
}

/// Runs a `cargo test` command, echoing its output and adding up libtest's `test result:` lines.
///
/// The command runs in its own process group and the run ends when the command exits, not when
/// its output closes: services a D-Bus session starts on demand (the desktop portals, the
/// accessibility bus) outlive `dbus-run-session`, inherit stdout and stderr, and would keep this
/// reader, and CI's own pipe, waiting forever. Whatever is left of the group is ended afterwards.
fn libtest(cmd: &mut Command) -> TestOutcome {
    let mut outcome = TestOutcome {
        passed: 0,
        failed: 0,
        ignored: 0,
        exit: Ok(()),
    };
    println!("$ {cmd:?}");
    let started = Instant::now();
    let spawned = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            outcome.exit = Err(format!("cannot start: {e}"));
            return outcome;
        }
    };
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, lines) = mpsc::channel::<String>();
    // Detached: after the group is ended it sees EOF; if a stray process still holds the pipe,
    // it is simply left behind when xtask exits.
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut echo = |line: String| {
        println!("{line}");
        if let Some(rest) = line.trim().strip_prefix("test result: ") {
            outcome.passed += count(rest, "passed");
            outcome.failed += count(rest, "failed");
            outcome.ignored += count(rest, "ignored");
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        match lines.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => echo(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break child.wait(),
        }
    };
    end_process_group(child.id());
    // What the command printed just before exiting may still be in the pipe.
    while let Ok(line) = lines.recv_timeout(Duration::from_millis(300)) {
        echo(line);
    }
    println!("   ({:.0?})", started.elapsed());
    outcome.exit = match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("exited with {status}")),
        Err(e) => Err(e.to_string()),
    };
    outcome
}

/// Ends what is left of process group `pgid`: TERM, a moment to exit cleanly, then KILL.
pub(crate) fn end_process_group(pgid: u32) {
    let signal = |sig: &str| {
        Command::new("kill")
            .args([sig, "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if signal("-TERM") {
        thread::sleep(Duration::from_millis(500));
        signal("-KILL");
    }
}

/// `count("ok. 3 passed; 1 failed; 0 ignored; ...", "failed") == 1`
fn count(result: &str, what: &str) -> u64 {
    result
        .split(';')
        .filter_map(|part| {
            let mut words = part.split_whitespace().rev();
            let (label, n) = (words.next()?, words.next()?);
            (label == what).then(|| n.parse::<u64>().ok()).flatten()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn reads_libtest_result_lines() {
        let line =
            "FAILED. 7 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.31s";
        assert_eq!(count(line, "passed"), 7);
        assert_eq!(count(line, "failed"), 2);
        assert_eq!(count(line, "ignored"), 1);
        assert_eq!(count("ok. 0 passed; 0 failed; 0 ignored", "passed"), 0);
    }
}
