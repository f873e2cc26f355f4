//! `cargo xtask bench [--quick] [--runs N] [--no-million] [--no-coldstart]`: measures the real
//! work end to end against the emulator on loopback and writes the figures into BENCHMARKS.md.
//!
//! Every process is timed from spawn to exit and its peak resident memory and CPU time come from
//! the kernel (`wait4` rusage), so the figures are those of the `dirsync` process itself. The
//! floor is `crates/dirsync/examples/bench.rs floor`: the same Graph client and page parser as
//! the sync, storing nothing. `--quick` runs tiny sizes once each in the debug build: the smoke
//! run `cargo xtask test` includes so the harness never rots (it fails on errors, not on timings);
//! it skips the app cold start, which needs a release build of the app (`tests/src/bin/coldstart.rs`
//! drives it through WebDriver under Xvfb).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::run::{self, Result};

const BEGIN: &str =
    "<!-- bench:begin (written by cargo xtask bench; edit outside these markers) -->";
const END: &str = "<!-- bench:end -->";

/// The delay added to every Graph response for the latency run: an assumed round trip and
/// service time for a page of 999 users across a network (loopback answers in milliseconds).
const GRAPH_LATENCY_MS: u64 = 250;

/// The issue's target for the 100,000-user first sync: at most this many times the floor.
const FLOOR_RATIO_TARGET: f64 = 1.5;

struct Options {
    quick: bool,
    runs: usize,
    million: bool,
    /// Build the app and measure its cold start (off in the quick run and with --no-coldstart).
    cold_start: bool,
}

struct Sizes {
    users: usize,
    changes: usize,
    rule_changed: usize,
    million: Option<usize>,
    search_runs: usize,
    profile: &'static str,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut o = Options {
            quick: false,
            runs: 3,
            million: true,
            cold_start: true,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--quick" => o.quick = true,
                "--no-million" => o.million = false,
                "--no-coldstart" => o.cold_start = false,
                "--runs" => {
                    o.runs = it
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|n| *n > 0)
                        .ok_or("--runs takes a number of runs, e.g. --runs 3")?
                }
                other => {
                    return Err(format!(
                        "unknown bench option '{other}' (--quick, --runs N, --no-million, --no-coldstart)"
                    ))
                }
            }
        }
        if o.quick {
            o.runs = 1;
            o.million = false;
            o.cold_start = false;
        }
        Ok(o)
    }

    fn sizes(&self) -> Sizes {
        if self.quick {
            Sizes {
                users: 500,
                changes: 30,
                rule_changed: 50,
                million: None,
                search_runs: 3,
                profile: "debug",
            }
        } else {
            Sizes {
                users: 100_000,
                changes: 1_000,
                rule_changed: 1_000,
                million: self.million.then_some(1_000_000),
                search_runs: 20,
                profile: "release",
            }
        }
    }
}

/// One measured process.
#[derive(Clone, Copy)]
struct Measured {
    wall: Duration,
    cpu: Duration,
    peak_rss_kb: u64,
}

/// Samples per metric, in milliseconds (or KiB for memory).
#[derive(Default)]
struct Samples(BTreeMap<String, Vec<f64>>);

impl Samples {
    fn push(&mut self, name: &str, value: f64) {
        self.0.entry(name.to_string()).or_default().push(value);
    }
    fn process(&mut self, name: &str, m: Measured) {
        self.push(&format!("{name}.wall"), m.wall.as_secs_f64() * 1000.0);
        self.push(&format!("{name}.cpu"), m.cpu.as_secs_f64() * 1000.0);
        self.push(&format!("{name}.rss"), m.peak_rss_kb as f64);
    }
    /// (median, min, max)
    fn stats(&self, name: &str) -> Option<(f64, f64, f64)> {
        let mut v = self.0.get(name)?.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        };
        Some((median, v[0], v[v.len() - 1]))
    }
    fn median(&self, name: &str) -> Option<f64> {
        self.stats(name).map(|s| s.0)
    }
    /// The ratio of two medians, when both exist and the divisor is not zero.
    fn ratio(&self, name: &str, over: &str) -> Option<f64> {
        match (self.median(name), self.median(over)) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        }
    }
}

pub fn run(args: &[String]) -> Result {
    if !cfg!(target_os = "linux") {
        return Err(
            "cargo xtask bench reads peak memory from Linux's wait4 rusage; run it on Linux".into(),
        );
    }
    let opts = Options::parse(args)?;
    let sizes = opts.sizes();
    let started = Instant::now();

    run::step(&format!("build ({})", sizes.profile));
    let mut build = run::cargo();
    build.args([
        "build",
        "-p",
        "dirsync-cli",
        "-p",
        "graph-emulator",
        "-p",
        "dirsync",
        "--bins",
        "--example",
        "bench",
    ]);
    if sizes.profile == "release" {
        build.arg("--release");
    }
    if opts.cold_start {
        build.args(["-p", "dirsync-app", "-p", "dirsync-e2e"]);
    }
    run::status(&mut build)?;
    let bin = run::target_dir().join(sizes.profile);
    let work = run::target_dir().join("bench-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let tools = Tools { bin, work };

    let mut s = Samples::default();
    let mut notes = Vec::new();

    // 100,000 users: full sync beside the floor, then incremental, rules and search on the result.
    run::step(&format!(
        "full sync of {} users beside the floor, {} run(s)",
        sizes.users, opts.runs
    ));
    let emu = Emulator::start(&tools, sizes.users, 7)?;
    let mut last_dir = None;
    for r in 0..opts.runs {
        let dir = tools.data_dir(&format!("full-{r}"), &emu)?;
        let emulator_before = emu.cpu();
        let floor = tools.probe(&dir, &["floor"])?;
        if let (Some(a), Some(b)) = (emulator_before, emu.cpu()) {
            s.push("emulator_floor.cpu", (b - a).as_secs_f64() * 1000.0);
        }
        let users: u64 = floor.value("users").unwrap_or(0);
        if users < sizes.users as u64 {
            return Err(format!(
                "the floor client read {users} users, expected at least {}",
                sizes.users
            ));
        }
        s.process("floor", floor.measured);
        let sync = tools.dirsync(&dir, &["sync"])?;
        let added = sync.summary_count("added")?;
        if added != sizes.users as u64 {
            return Err(format!(
                "the first sync added {added} users, expected {}",
                sizes.users
            ));
        }
        s.process("full", sync.measured);
        println!(
            "   run {}: sync {:.2} s ({} MiB peak), floor {:.2} s",
            r + 1,
            sync.measured.wall.as_secs_f64(),
            sync.measured.peak_rss_kb / 1024,
            floor.measured.wall.as_secs_f64()
        );
        if let Some(previous) = last_dir.replace(dir) {
            let _ = std::fs::remove_dir_all(previous);
        }
    }
    let dir = last_dir.expect("at least one run");
    run::step("the database work of the first sync alone");
    tools
        .probe(&dir, &["store-floor", &opts.runs.to_string()])?
        .samples_into(&mut s);

    run::step(&format!(
        "incremental sync of {} changes, {} run(s)",
        sizes.changes, opts.runs
    ));
    for _ in 0..opts.runs {
        let control = format!("{}/_emulator", emu.base);
        tools.probe(&dir, &["mutate", &control, &sizes.changes.to_string()])?;
        let sync = tools.dirsync(&dir, &["sync", "--allow-deletes"])?;
        let changed = sync.summary_count("added")?
            + sync.summary_count("updated")?
            + sync.summary_count("removed")?;
        if changed < sizes.changes as u64 {
            return Err(format!(
                "the incremental sync applied {changed} changes, expected {}",
                sizes.changes
            ));
        }
        s.process("incremental", sync.measured);
    }

    // The same round when every Graph response takes as long as a service across a network
    // does: whether the store keeps pace with the pages, which loopback cannot show.
    run::step(&format!(
        "full sync beside the floor, every Graph response {GRAPH_LATENCY_MS} ms late, {} run(s)",
        opts.runs
    ));
    http_post(
        &emu.base,
        "/_emulator/faults",
        &format!(r#"{{"type":"slow","millis":{GRAPH_LATENCY_MS},"fraction":1.0}}"#),
    )?;
    // The incremental runs changed the tenant: a first sync now adds everyone alive in it.
    let info = http(&emu.base, "GET", "/_emulator/info", "")?;
    let alive: u64 = info
        .split_once(r#""userCount":"#)
        .and_then(|(_, rest)| rest.split([',', '}']).next()?.trim().parse().ok())
        .ok_or_else(|| format!("no userCount in the emulator's info: {info}"))?;
    for r in 0..opts.runs {
        let dir = tools.data_dir(&format!("latency-{r}"), &emu)?;
        let floor = tools.probe(&dir, &["floor"])?;
        let sync = tools.dirsync(&dir, &["sync"])?;
        let added = sync.summary_count("added")?;
        if added != alive {
            return Err(format!(
                "with latency, the first sync added {added} users; the tenant has {alive}"
            ));
        }
        s.process("floor_latency", floor.measured);
        s.process("full_latency", sync.measured);
        let _ = std::fs::remove_dir_all(dir);
    }
    drop(emu);

    run::step("dynamic-group rules (50 rules)");
    let rules = tools.probe(
        &dir,
        &[
            "rules",
            &opts.runs.max(3).to_string(),
            &sizes.rule_changed.to_string(),
        ],
    )?;
    rules.samples_into(&mut s);

    run::step("directory search");
    let search = tools.probe(&dir, &["search", &sizes.search_runs.to_string()])?;
    search.samples_into(&mut s);
    let matches: Vec<(String, u64)> = search
        .lines
        .iter()
        .filter_map(|l| {
            let mut w = l.strip_prefix("matches ")?.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.parse().ok()?))
        })
        .collect();
    if !opts.cold_start {
        notes.push(
            "App cold start was not measured (the quick run and --no-coldstart skip the app build)."
                .to_string(),
        );
    } else {
        run::step("app cold start to an interactive window (WebDriver)");
        let runs = opts.runs.max(5).to_string();
        tools.cold_start(&runs, None, "coldstart_empty", &mut s)?;
        tools.cold_start(&runs, Some(&dir), "coldstart_full", &mut s)?;
        notes.push(format!(
            "Cold start: `tests/src/bin/coldstart.rs` starts the release app {runs} times through \
             tauri-driver under Xvfb and measures from the app process's start (kernel start time) \
             to WebDriver finding the first page rendered with its data (`#page[data-ready]`, \
             polled every 10 ms); the first run reads the binary from disk, later ones from the \
             page cache. Median of the session being ready to poll: {} (empty) / {} (full).",
            s.median("coldstart_empty_session")
                .map_or("–".into(), |m| format!("{m:.0} ms")),
            s.median("coldstart_full_session")
                .map_or("–".into(), |m| format!("{m:.0} ms")),
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);

    if let Some(million) = sizes.million {
        run::step(&format!("full sync of {million} users"));
        let emu = Emulator::start(&tools, million, 7)?;
        let dir = tools.data_dir("million", &emu)?;
        let sync = tools.dirsync(&dir, &["sync"])?;
        let added = sync.summary_count("added")?;
        if added != million as u64 {
            return Err(format!(
                "the first sync added {added} users, expected {million}"
            ));
        }
        s.process("million", sync.measured);
        let _ = std::fs::remove_dir_all(&dir);
    } else if !opts.quick {
        notes.push("The 1,000,000-user sync was skipped (--no-million).".to_string());
    }

    let report = Report {
        opts: &opts,
        sizes: &sizes,
        s: &s,
        matches: &matches,
        notes: &notes,
    }
    .markdown();
    println!("\n{report}");
    let path = if opts.quick {
        tools.work.join("BENCHMARKS-quick.md")
    } else {
        run::root().join("BENCHMARKS.md")
    };
    write_between_markers(&path, &report)?;
    println!("wrote {} ({:.0?})", path.display(), started.elapsed());
    Ok(())
}

struct Tools {
    bin: PathBuf,
    work: PathBuf,
}

/// A finished probe or CLI process: its stdout lines and measurements.
struct Output {
    lines: Vec<String>,
    measured: Measured,
}

impl Output {
    /// `key value` lines.
    fn value<T: std::str::FromStr>(&self, key: &str) -> Option<T> {
        self.lines.iter().find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(' ')?;
            rest.trim().parse().ok()
        })
    }

    fn samples_into(&self, s: &mut Samples) {
        for (name, ms) in samples(&self.lines) {
            s.push(name, ms);
        }
    }

    /// A count from the CLI's `Sync complete: N added, N updated, ...` line.
    fn summary_count(&self, what: &str) -> Result<u64> {
        let line = self
            .lines
            .iter()
            .find(|l| l.starts_with("Sync complete:"))
            .ok_or_else(|| {
                format!(
                    "the sync did not complete; it printed:\n{}",
                    self.lines.join("\n")
                )
            })?;
        line.split([':', ',', ';', '('])
            .find_map(|part| {
                let mut w = part.split_whitespace();
                let n = w.next()?.parse().ok()?;
                (w.next()? == what).then_some(n)
            })
            .ok_or_else(|| format!("no '{what}' count in: {line}"))
    }
}

impl Tools {
    /// A fresh data directory configured for the emulator and signed in as the bench's app.
    fn data_dir(&self, name: &str, emu: &Emulator) -> Result<PathBuf> {
        let dir = self.work.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for (k, v) in [
            ("authority", emu.base.as_str()),
            ("tenant", emu.tenant_id.as_str()),
            ("client_id", emu.client_id.as_str()),
            ("graph_url", emu.base.as_str()),
            // The whole tenant, guests included (the default scope syncs members only), so the
            // sync stores every user the floor reads.
            ("sync_scope", "user.objectId -ne null"),
        ] {
            self.dirsync(&dir, &["config", "set", k, v])?;
        }
        // The secret file is remembered by sign-in, so every later command of this data directory
        // (sync, the probes) renews its token like an unattended deployment would.
        let secret = dir.join("client-secret");
        write_private(&secret, &emu.secret)?;
        let mut cmd = self.command(&dir, "dirsync");
        cmd.args(["sign-in", "--app", "--client-secret-file"])
            .arg(&secret);
        measure(cmd, &self.log())?;
        Ok(dir)
    }

    fn command(&self, dir: &Path, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.env("DIRSYNC_DATA_DIR", dir)
            .env("DIRSYNC_TOKEN_STORE", "file")
            .env("RUST_LOG", "warn")
            .env_remove("DIRSYNC_CLIENT_SECRET")
            .env_remove("BROWSER");
        cmd
    }

    fn log(&self) -> PathBuf {
        self.work.join("bench.log")
    }

    fn dirsync(&self, dir: &Path, args: &[&str]) -> Result<Output> {
        let mut cmd = self.command(dir, "dirsync");
        cmd.args(args);
        measure(cmd, &self.log())
    }

    /// Runs the cold-start probe (`tests/src/bin/coldstart.rs`) `runs` times on `data` (None: a
    /// new empty data directory each run), under Xvfb and a private D-Bus session like the
    /// WebDriver suite, and files its samples under `name`.
    fn cold_start(&self, runs: &str, data: Option<&Path>, name: &str, s: &mut Samples) -> Result {
        use std::os::unix::process::CommandExt;
        let probe = self.bin.join("coldstart");
        let mut path = vec![crate::setup::cargo_bin_dir()]; // where tauri-driver is installed
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let out_path = self.work.join(format!("{name}.out"));
        let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
        let err = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log())
            .map_err(|e| e.to_string())?;
        let mut cmd = Command::new("xvfb-run");
        cmd.args([
            "-a",
            "-s",
            crate::test::XVFB_SCREEN,
            "dbus-run-session",
            "--",
        ])
        .arg(&probe)
        .arg(runs)
        .args(data)
        .env(
            "PATH",
            std::env::join_paths(path).map_err(|e| e.to_string())?,
        )
        .env("DIRSYNC_APP_BIN", self.bin.join("dirsync-app"))
        .env("RUST_LOG", "warn")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Its own group: services the D-Bus session starts on demand outlive it and are
        // ended with the group (see test.rs); output goes to a file nothing keeps open.
        .process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", probe.display()))?;
        let status = child.wait().map_err(|e| e.to_string());
        crate::test::end_process_group(child.id());
        let text = std::fs::read_to_string(&out_path).unwrap_or_default();
        if !status?.success() {
            return Err(format!(
                "the cold-start probe failed; it printed:\n{text}\n(stderr is in {})",
                self.log().display()
            ));
        }
        for (key, ms) in samples(text.lines()) {
            s.push(&key.replacen("coldstart", name, 1), ms);
        }
        Ok(())
    }

    fn probe(&self, dir: &Path, args: &[&str]) -> Result<Output> {
        let mut cmd = self.command(dir, "examples/bench");
        cmd.args(args);
        measure(cmd, &self.log())
    }
}

/// The `sample <name> <milliseconds>` lines of a probe's output.
fn samples<'a, S: AsRef<str> + ?Sized + 'a>(
    lines: impl IntoIterator<Item = &'a S>,
) -> Vec<(&'a str, f64)> {
    lines
        .into_iter()
        .filter_map(|l| {
            let mut w = l.as_ref().split_whitespace();
            match (w.next(), w.next(), w.next()) {
                (Some("sample"), Some(name), Some(ms)) => Some((name, ms.parse().ok()?)),
                _ => None,
            }
        })
        .collect()
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

/// Runs `cmd` to completion (stderr appended to `log`), measuring it; Err unless it exits 0.
fn measure(mut cmd: Command, log: &Path) -> Result<Output> {
    let err = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let what = format!("{cmd:?}");
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let mut out = String::new();
    let _ = child.stdout.take().expect("piped").read_to_string(&mut out);
    let (code, usage) = reap(&child)?;
    let wall = started.elapsed();
    let lines: Vec<String> = out.lines().map(str::to_string).collect();
    if code != Some(0) {
        return Err(format!(
            "{what} failed (exit {code:?}); stdout:\n{}\n(stderr is in {})",
            lines.join("\n"),
            log.display()
        ));
    }
    Ok(Output {
        lines,
        measured: Measured {
            wall,
            cpu: usage.cpu,
            peak_rss_kb: usage.max_rss_kb,
        },
    })
}

struct Usage {
    cpu: Duration,
    max_rss_kb: u64,
}

/// `struct rusage` on 64-bit Linux: two timevals then fourteen longs, all `long`.
#[repr(C)]
struct RUsage([std::os::raw::c_long; 18]);

/// `_SC_CLK_TCK` in Linux's `<unistd.h>`: the unit of `/proc/<pid>/stat`'s CPU times.
const SC_CLK_TCK: i32 = 2;

extern "C" {
    fn sysconf(name: i32) -> std::os::raw::c_long;
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut RUsage) -> i32;
}

/// Reaps `child` and returns its exit code (None: killed by a signal) and resource usage.
fn reap(child: &Child) -> Result<(Option<i32>, Usage)> {
    let pid = child.id() as i32;
    let mut status = 0i32;
    let mut ru = RUsage([0; 18]);
    loop {
        // SAFETY: `status` and `ru` are valid for writes and `ru` has the kernel's layout of
        // `struct rusage` on 64-bit Linux (18 longs); the pid is our own unreaped child.
        let r = unsafe { wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4({pid}): {e}"));
        }
    }
    let tv = |s: std::os::raw::c_long, us: std::os::raw::c_long| {
        Duration::from_secs(s as u64) + Duration::from_micros(us as u64)
    };
    let code = (status & 0x7f == 0).then_some((status >> 8) & 0xff);
    Ok((
        code,
        Usage {
            cpu: tv(ru.0[0], ru.0[1]) + tv(ru.0[2], ru.0[3]),
            max_rss_kb: ru.0[4] as u64,
        },
    ))
}

/// The emulator binary on a free loopback port, with a confidential client registered for the
/// bench (client credentials: no browser). Killed when dropped.
struct Emulator {
    child: Child,
    base: String,
    tenant_id: String,
    client_id: String,
    secret: String,
}

impl Emulator {
    fn start(tools: &Tools, users: usize, seed: u64) -> Result<Self> {
        let log = std::fs::File::create(tools.work.join(format!("emulator-{users}.log")))
            .map_err(|e| e.to_string())?;
        let mut child = Command::new(tools.bin.join("graph-emulator"))
            .args([
                "--port",
                "0",
                "--users",
                &users.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .args(["--page-size", "999", "--auto-approve"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let mut fields = BTreeMap::new();
        let stdout = child.stdout.take().expect("piped");
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some((k, v)) = line.split_once(": ") {
                fields.insert(k.to_string(), v.trim().to_string());
            }
            if fields.contains_key("admin_upn") {
                break;
            }
        }
        let field = |k: &str| {
            fields.get(k).cloned().ok_or_else(|| {
                format!(
                    "the emulator did not print '{k}:' (see its log in {})",
                    tools.work.display()
                )
            })
        };
        let (base, tenant_id) = (field("graph")?, field("tenant_id")?);
        let random = random_hex(32);
        let client_id = format!(
            "{}-{}-4{}-8{}-{}",
            &random[0..8],
            &random[8..12],
            &random[13..16],
            &random[17..20],
            &random[20..32]
        );
        let secret = format!("bench~{}", random_hex(24));
        let mut emu = Emulator {
            child,
            base: base.trim_end_matches('/').to_string(),
            tenant_id,
            client_id,
            secret,
        };
        let body = format!(
            r#"{{"clientId":"{}","displayName":"dirsync bench","publicClient":false,"redirectUris":[],"redirectKind":"web","secret":"{}","adminConsented":[],"appRoles":["User.Read.All"]}}"#,
            emu.client_id, emu.secret
        );
        let answer = http_post(&emu.base, "/_emulator/clients", &body);
        if let Err(e) = answer {
            let _ = emu.child.kill();
            return Err(format!(
                "cannot register the bench client with the emulator: {e}"
            ));
        }
        Ok(emu)
    }

    /// The CPU time (user + system) the emulator process has used so far, from `/proc`.
    fn cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // Fields after the parenthesised command name, from field 3 (state): utime is 14, stime 15.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { sysconf(SC_CLK_TCK) };
        (per_second > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_second as f64))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 POST to the emulator on loopback; Ok on a 2xx status.
fn http_post(base: &str, path: &str, body: &str) -> Result<()> {
    http(base, "POST", path, body).map(drop)
}

/// A minimal HTTP/1.1 request to the emulator on loopback: the response body on a 2xx status.
fn http(base: &str, method: &str, path: &str, body: &str) -> Result<String> {
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| format!("the emulator's base URL '{base}' is not http://"))?
        .split('/')
        .next()
        .unwrap_or_default();
    let mut stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    let status = answer.split_whitespace().nth(1).unwrap_or_default();
    if status.starts_with('2') {
        Ok(answer
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_string())
    } else {
        Err(format!(
            "{method} {path} answered: {}",
            answer.lines().next().unwrap_or_default()
        ))
    }
}

/// Hex digits from the standard library's randomly keyed hasher (no dependencies).
fn random_hex(len: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < len {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(len);
    out
}

struct Report<'a> {
    opts: &'a Options,
    sizes: &'a Sizes,
    s: &'a Samples,
    matches: &'a [(String, u64)],
    notes: &'a [String],
}

impl Report<'_> {
    fn markdown(&self) -> String {
        let s = self.s;
        let n = |x: usize| {
            let t = x.to_string();
            let mut out = String::new();
            for (i, c) in t.chars().enumerate() {
                if i > 0 && (t.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        let secs = |name: &str| {
            s.stats(name)
                .map(|(m, lo, hi)| format!("{:.2} s ({:.2}–{:.2})", m / 1e3, lo / 1e3, hi / 1e3))
        };
        let ms = |name: &str| {
            s.stats(name)
                .map(|(m, lo, hi)| format!("{m:.1} ms ({lo:.1}–{hi:.1})"))
        };
        let mib = |name: &str| {
            s.stats(name).map(|(m, lo, hi)| {
                format!(
                    "{:.0} MiB ({:.0}–{:.0})",
                    m / 1024.0,
                    lo / 1024.0,
                    hi / 1024.0
                )
            })
        };
        let verdict = |ok: Option<bool>| match ok {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "n/a",
        };
        let below = |name: &str, limit: f64| s.median(name).map(|m| m < limit);
        let dash = || "–".to_string();
        let users = n(self.sizes.users);
        let mut rows: Vec<[String; 4]> = Vec::new();
        let ratio = s.ratio("full.wall", "floor.wall");
        rows.push([
            format!("Full first sync, {users} users: wall"),
            secs("full.wall").unwrap_or_else(dash),
            format!("≤ {FLOOR_RATIO_TARGET} × floor"),
            verdict(ratio.map(|r| r <= FLOOR_RATIO_TARGET)).into(),
        ]);
        rows.push([
            "… the floor (fetch + parse, store nothing): wall".to_string(),
            secs("floor.wall").unwrap_or_else(dash),
            "".into(),
            "".into(),
        ]);
        rows.push([
            "… ratio sync / floor".into(),
            ratio.map_or_else(dash, |r| format!("{r:.2}")),
            format!("≤ {FLOOR_RATIO_TARGET}"),
            verdict(ratio.map(|r| r <= FLOOR_RATIO_TARGET)).into(),
        ]);
        rows.push([
            "… sync CPU time (user + sys) / floor CPU time".into(),
            match (secs("full.cpu"), secs("floor.cpu")) {
                (Some(a), Some(b)) => format!("{a} / {b}"),
                _ => dash(),
            },
            "".into(),
            "".into(),
        ]);
        rows.push([
            "… the emulator's CPU time serving the floor's round".into(),
            secs("emulator_floor.cpu").unwrap_or_else(dash),
            "".into(),
            "".into(),
        ]);
        rows.push([
            "… the database work alone (the synced rows copied set-based into a new database, \
             the first sync's index and full-text builds, one transaction): wall"
                .into(),
            match (secs("store_floor"), s.ratio("store_floor", "floor.wall")) {
                (Some(t), Some(r)) => format!("{t}, {r:.2} × floor"),
                _ => dash(),
            },
            "".into(),
            "".into(),
        ]);
        rows.push([
            format!(
                "… the same round with every Graph response {GRAPH_LATENCY_MS} ms late: sync / \
                 floor wall"
            ),
            match (
                secs("full_latency.wall"),
                secs("floor_latency.wall"),
                s.ratio("full_latency.wall", "floor_latency.wall"),
            ) {
                (Some(a), Some(b), Some(r)) => format!("{a} / {b}, ratio {r:.2}"),
                _ => dash(),
            },
            "".into(),
            "".into(),
        ]);
        rows.push([
            "… sync peak memory (`dirsync` process)".into(),
            mib("full.rss").unwrap_or_else(dash),
            "< 150 MB".into(),
            verdict(below("full.rss", 150e6 / 1024.0)).into(),
        ]);
        rows.push([
            "… floor peak memory".into(),
            mib("floor.rss").unwrap_or_else(dash),
            "".into(),
            "".into(),
        ]);
        if let Some(m) = self.sizes.million {
            rows.push([
                format!("Full first sync, {} users: wall", n(m)),
                secs("million.wall").unwrap_or_else(dash),
                "completes".into(),
                verdict(s.median("million.wall").map(|_| true)).into(),
            ]);
            rows.push([
                "… peak memory".into(),
                mib("million.rss").unwrap_or_else(dash),
                "< 250 MB".into(),
                verdict(below("million.rss", 250e6 / 1024.0)).into(),
            ]);
        }
        rows.push([
            format!(
                "Incremental sync, {} changes on {users} users: wall",
                n(self.sizes.changes)
            ),
            secs("incremental.wall").unwrap_or_else(dash),
            "< 1 s".into(),
            verdict(below("incremental.wall", 1000.0)).into(),
        ]);
        rows.push([
            "… peak memory".into(),
            mib("incremental.rss").unwrap_or_else(dash),
            "".into(),
            "".into(),
        ]);
        rows.push([
            format!("50 rules over {users} users (evaluate)"),
            ms("rules_full").unwrap_or_else(dash),
            "< 1 s".into(),
            verdict(below("rules_full", 1000.0)).into(),
        ]);
        rows.push([
            "… read, parse and evaluate, streamed from the database".into(),
            ms("rules_full_streamed").unwrap_or_else(dash),
            "".into(),
            "".into(),
        ]);
        rows.push([
            format!(
                "50 rules for {} changed users (read by id + evaluate)",
                n(self.sizes.rule_changed)
            ),
            ms("rules_incremental").unwrap_or_else(dash),
            "< 50 ms".into(),
            verdict(below("rules_incremental", 50.0)).into(),
        ]);
        for (name, count) in self.matches {
            let key = format!("search_{name}");
            let query = match name.as_str() {
                "list" => "(empty: first page of everyone)",
                "name" => "`megan`",
                "full_name" => "`sofia nguyen`",
                "one_letter" => "`a`",
                "city" => "`berlin`",
                "phone" => "`206 555`",
                _ => name,
            };
            rows.push([
                format!("Search {query}, {} matches, first 100", n(*count as usize)),
                ms(&key).unwrap_or_else(dash),
                "< 50 ms".into(),
                verdict(below(&key, 50.0)).into(),
            ]);
        }
        for (key, what) in [
            ("coldstart_empty", "empty data directory"),
            ("coldstart_full", &format!("the {users}-user directory")),
        ] {
            rows.push([
                format!("App cold start to an interactive window, {what}"),
                ms(key).unwrap_or_else(dash),
                "< 1.5 s".into(),
                match s.median(key) {
                    Some(m) => verdict(Some(m < 1500.0)).into(),
                    None => "not measured".into(),
                },
            ]);
        }

        let mut notes: Vec<String> = self.notes.to_vec();
        if let (Some(floor), Some(emulator), Some(store)) = (
            s.median("floor.wall"),
            s.median("emulator_floor.cpu"),
            s.median("store_floor"),
        ) {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
            notes.insert(
                0,
                format!(
                    "The ratio's budget: {FLOOR_RATIO_TARGET} × the floor is {:.2} s; on {cores:.0} cores that is \
                     {:.2} s of CPU, of which the emulator serving the round takes {:.2} s, leaving \
                     {:.2} s for the sync process. The database work alone takes {:.2} s on one \
                     thread (one SQLite connection writes at a time).",
                    FLOOR_RATIO_TARGET * floor / 1e3,
                    cores * FLOOR_RATIO_TARGET * floor / 1e3,
                    emulator / 1e3,
                    (cores * FLOOR_RATIO_TARGET * floor - emulator) / 1e3,
                    store / 1e3,
                ),
            );
        }
        let mut md = String::new();
        md.push_str(&format!(
            "Measured {} on {}{}. Median of {} run(s) (search: {} runs), min–max in brackets.\n\n",
            today(),
            machine(),
            if self.opts.quick {
                " — **quick smoke run, tiny sizes: not a measurement**"
            } else {
                ""
            },
            self.opts.runs,
            self.sizes.search_runs,
        ));
        md.push_str("| Measurement | Result | Target | |\n| --- | --- | --- | --- |\n");
        for [a, b, c, d] in rows {
            md.push_str(&format!("| {a} | {b} | {c} | {d} |\n"));
        }
        if !notes.is_empty() {
            md.push('\n');
            for note in &notes {
                md.push_str(&format!("- {note}\n"));
            }
        }
        md
    }
}

fn today() -> String {
    run::output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .map(|d| d.trim().to_string())
        .unwrap_or_else(|| "(date unknown)".into())
}

/// CPU model, cores and memory of this machine, and its load when the run ended.
fn machine() -> String {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = read("/proc/meminfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        })
        .map_or_else(|| "?".into(), |kb| format!("{:.0}", kb / 1024.0 / 1024.0));
    let load = read("/proc/loadavg")
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string();
    format!("{model}, {cores} cores, {mem_gib} GiB RAM, load average {load} (shared machine)")
}

/// Replaces the generated part of `path` (between the markers), keeping what people wrote around it.
fn write_between_markers(path: &Path, generated: &str) -> Result {
    let block = format!("{BEGIN}\n{generated}{END}");
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{block}{}", &old[..a], &old[b + END.len()..]),
        _ if old.is_empty() => format!("# Benchmarks\n\n{block}\n"),
        _ => format!("{old}\n{block}\n"),
    };
    std::fs::write(path, new).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
