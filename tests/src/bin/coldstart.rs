//! App cold start to an interactive window, measured through WebDriver. `cargo xtask bench` runs
//! it under Xvfb and a private D-Bus session and reports the median; it is a program, not a test,
//! so the WebDriver suite (`--ignored` tests) never runs it.
//!
//! usage: `coldstart <runs> [data-dir]` (the app is `DIRSYNC_APP_BIN`, as for the suite). Each run
//! starts the app afresh through the harness in `dirsync_e2e::window` (tauri-driver, then
//! WebKitWebDriver, then the app) on `data-dir` (default: a new, empty one each run), and measures
//! from the app process's start, as the kernel recorded it, to the moment WebDriver finds the first
//! page rendered with the data it asked Rust for (`#page[data-ready]`), polled every 10 ms.
//! Prints `sample coldstart <ms>` per run, and `sample coldstart_session <ms>`: how much of it had
//! passed when the WebDriver session was ready to poll (the page may be ready before that).

use std::path::PathBuf;
use std::time::Duration;

use dirsync_e2e::window::{self, Options, Window};
use fantoccini::Locator;

/// The window must show its first page within this, or the run fails.
const LIMIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(10);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .expect("usage: coldstart <runs> [data-dir]");
    let data_dir = args.next().map(PathBuf::from);
    for run in 0..runs {
        let options = Options {
            data_dir: data_dir.clone(),
            ..Options::default()
        };
        window::run_opts(
            &format!("coldstart-{run}"),
            options,
            |_| {},
            async |w: &Window| {
                let session = since_app_start(w);
                let ready = wait_for_first_page(w).await;
                println!(
                    "sample coldstart_session {:.1}",
                    session.as_secs_f64() * 1e3
                );
                println!("sample coldstart {:.1}", ready.as_secs_f64() * 1e3);
            },
        )
        .await;
    }
}

/// Time from the app's start to the first page rendered, as seen by WebDriver.
async fn wait_for_first_page(w: &Window) -> Duration {
    let waited = std::time::Instant::now();
    loop {
        if w.client()
            .find(Locator::Css("#page[data-ready]"))
            .await
            .is_ok()
        {
            return since_app_start(w);
        }
        assert!(
            waited.elapsed() < LIMIT,
            "the window showed no page within {LIMIT:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Time since the app process of `w` started (its start time in /proc, on the boot-time clock).
fn since_app_start(w: &Window) -> Duration {
    let pid = app_pid(w).expect("the app process (DIRSYNC_APP_BIN with this data directory) runs");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // Fields after the command name in parentheses; `starttime` is field 22 of the whole line.
    let ticks: u64 = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|t| t.parse().ok())
        .expect("a start time in /proc/<pid>/stat");
    // SAFETY: sysconf has no preconditions; clock_gettime writes only into `now`.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut now) };
    let now = now.tv_sec as f64 + now.tv_nsec as f64 / 1e9;
    Duration::from_secs_f64((now - ticks as f64 / hz).max(0.0))
}

/// The process running the app binary with this window's data directory.
fn app_pid(w: &Window) -> Option<u32> {
    let app = std::fs::canonicalize(std::env::var_os("DIRSYNC_APP_BIN")?).ok()?;
    let wanted = format!(
        "{}={}",
        dirsync::datadir::DATA_DIR_ENV,
        w.data_dir().display()
    );
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
            if exe != app {
                return None;
            }
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            environ
                .split(|b| *b == 0)
                .any(|var| var == wanted.as_bytes())
                .then_some(pid)
        })
}
