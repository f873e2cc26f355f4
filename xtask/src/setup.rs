//! `cargo xtask setup`: installs what a fresh machine lacks to build and test, and nothing more.
//! Idempotent: when everything is present it only queries (a second or two).

use std::path::PathBuf;
use std::process::Command;

use crate::run::{self, Result};

/// Debian 12 / Ubuntu 22.04+ packages: WebKitGTK 4.1 and GTK 3 to build the shell, Xvfb, xauth
/// and D-Bus to run it headless, WebKitWebDriver (webkit2gtk-driver) for the WebDriver tests.
pub const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libssl-dev",
    "libsoup-3.0-dev",
    "libxdo-dev",
    "libdbus-1-dev",
    "xvfb",
    "xauth",
    "dbus",
    "dbus-x11",
    "at-spi2-core",
    "webkit2gtk-driver",
];

/// tauri-driver's major version must match Tauri's; a 3.0 alpha exists, so pin 2.x.
const TAURI_DRIVER_REQ: &str = "^2";

pub fn run() -> Result {
    run::step("setup: system packages");
    system_packages()?;
    run::step("setup: Rust components");
    rust_components()?;
    run::step("setup: tauri-driver");
    tauri_driver()?;
    println!("setup: everything needed to build and test is installed");
    Ok(())
}

fn os_release() -> (String, String) {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(|v| v.trim_matches('"').to_ascii_lowercase())
            .unwrap_or_default()
    };
    (field("ID"), field("ID_LIKE"))
}

fn is_debian_like() -> bool {
    let (id, like) = os_release();
    ["debian", "ubuntu"]
        .iter()
        .any(|d| id == *d || like.split_whitespace().any(|l| l == *d))
}

fn system_packages() -> Result {
    if !cfg!(target_os = "linux") || !is_debian_like() {
        println!(
            "This is not Debian or Ubuntu, so setup installs nothing. Install the equivalents of:\n  {}\n\
             (WebKitGTK 4.1 and GTK 3 development files, libayatana-appindicator, librsvg, OpenSSL, \
             Xvfb, D-Bus and WebKitWebDriver), then run `cargo xtask test` again.\n\
             On macOS and Windows the app builds with the platform webview; the WebDriver suite \
             needs Linux (tauri-driver does not support macOS).",
            APT_PACKAGES.join(" ")
        );
        return Ok(());
    }
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        println!("all {} packages are installed", APT_PACKAGES.len());
        return Ok(());
    }
    println!("missing: {}", missing.join(" "));
    run::status(&mut apt(&["update"]))?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(&missing);
    run::status(&mut apt(&install))
}

fn installed(package: &str) -> bool {
    run::output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|s| s.trim_end().ends_with("install ok installed"))
}

/// apt-get, through sudo unless we are root, never prompting.
fn apt(args: &[&str]) -> Command {
    let mut cmd = if run::is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    cmd.env("DEBIAN_FRONTEND", "noninteractive").args(args);
    cmd
}

fn rust_components() -> Result {
    let missing: Vec<&str> = [("rustfmt", "fmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(_, sub)| run::output(run::cargo().args([*sub, "--version"])).is_none())
        .map(|(component, _)| component)
        .collect();
    if missing.is_empty() {
        println!("rustfmt and clippy are installed");
        return Ok(());
    }
    let mut cmd = Command::new("rustup");
    cmd.args(["component", "add"]).args(&missing);
    run::status(&mut cmd)
}

/// Cargo's install directory (`$CARGO_HOME/bin`, by default `~/.cargo/bin`).
pub fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// The tauri-driver binary, if one is installed.
pub fn tauri_driver_path() -> Option<PathBuf> {
    let in_cargo_bin = cargo_bin_dir().join("tauri-driver");
    in_cargo_bin
        .is_file()
        .then_some(in_cargo_bin)
        .or_else(|| run::which("tauri-driver"))
}

fn tauri_driver() -> Result {
    // tauri-driver has no --version flag; cargo's install list records the version.
    let listed = run::output(run::cargo().args(["install", "--list"])).unwrap_or_default();
    let version = listed
        .lines()
        .find_map(|l| l.strip_prefix("tauri-driver v"))
        .map(|v| v.trim_end_matches(':').to_string());
    if let (Some(v), Some(path)) = (&version, tauri_driver_path()) {
        if v.starts_with("2.") {
            println!("tauri-driver {v} at {}", path.display());
            return Ok(());
        }
    }
    run::status(run::cargo().args([
        "install",
        "tauri-driver",
        "--version",
        TAURI_DRIVER_REQ,
        "--locked",
    ]))
}
