//! The WebDriver harness: one tauri-driver, one app and one fresh data directory per test.
//!
//! tauri-driver forwards only `application` and `args` to WebKitWebDriver, so the app's
//! environment (data directory, headless rendering switches) is set on tauri-driver itself and
//! inherited. tauri-driver runs in its own process group, which also holds WebKitWebDriver and
//! the app; the whole group is killed when the test ends, pass or fail, so nothing is orphaned.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use tempfile::TempDir;

/// Upper bound for the window to show something; generous for a loaded 2-core CI machine.
const PATIENCE: Duration = Duration::from_secs(30);
/// New-session requests tried before a test fails (see `Window::start`).
const SESSION_ATTEMPTS: u32 = 3;

/// Upper bound for a whole test, so a WebDriver call that never answers fails the test instead
/// of hanging the suite.
const TEST_LIMIT: Duration = Duration::from_secs(300);

/// Runs `test` against a freshly started app with an empty data directory.
pub async fn run(name: &str, test: impl AsyncFnOnce(&Window)) {
    run_with(name, |_| {}, test).await
}

/// Like [`run`], with `prepare` filling the data directory before the app starts.
pub async fn run_with(name: &str, prepare: impl FnOnce(&Path), test: impl AsyncFnOnce(&Window)) {
    run_opts(name, Options::default(), prepare, test).await
}

/// How the app is started, beyond the defaults every test gets (a fresh data directory, the
/// 0600 token file store instead of a keychain, a private HOME and XDG directories).
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Use this data directory instead of a fresh one, e.g. to start the app again on the
    /// same data (the caller keeps it alive).
    pub data_dir: Option<PathBuf>,
    /// The program the app opens sign-in pages with (`BROWSER`), e.g.
    /// `tenant::scripted_browser()`, or `true` for a browser that never answers.
    pub browser: Option<PathBuf>,
    /// More environment for the app.
    pub env: Vec<(String, std::ffi::OsString)>,
    /// Command-line arguments for the app (e.g. start at login's `--minimized`).
    pub args: Vec<String>,
}

/// Like [`run_with`], with [`Options`].
pub async fn run_opts(
    name: &str,
    options: Options,
    prepare: impl FnOnce(&Path),
    test: impl AsyncFnOnce(&Window),
) {
    let window = Window::launch(name, options, prepare).await;
    let bounded = async {
        if tokio::time::timeout(TEST_LIMIT, test(&window))
            .await
            .is_err()
        {
            panic!("`{name}` did not finish within {TEST_LIMIT:?}");
        }
    };
    let outcome = AssertUnwindSafe(bounded).catch_unwind().await;
    if outcome.is_err() {
        window.save_failure_screenshot().await;
    }
    window.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A running app under WebDriver control.
pub struct Window {
    client: Client,
    name: String,
    data_dir: PathBuf,
    home: TempDir,
    _driver: Driver,
}

impl Window {
    async fn launch(name: &str, options: Options, prepare: impl FnOnce(&Path)) -> Self {
        require_display();
        let app = app_binary();
        let home = tempfile::Builder::new()
            .prefix(&format!("dirsync-e2e-{name}-"))
            .tempdir()
            .expect("temp dir");
        let data_dir = options
            .data_dir
            .clone()
            .unwrap_or_else(|| home.path().join("data"));
        std::fs::create_dir_all(&data_dir).unwrap();
        prepare(&data_dir);

        let driver = Driver::start(home.path(), &data_dir, &options);
        let caps = json!({ "tauri:options": { "application": app, "args": options.args } });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        // tauri-driver listens before WebKitWebDriver behind it is ready, so under load the first
        // new-session request can find no one answering; a few spaced attempts absorb that.
        let mut attempt = 1;
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&driver.url())
                .await
            {
                Ok(client) => break client,
                Err(e) if attempt < SESSION_ATTEMPTS => {
                    eprintln!("WebDriver session attempt {attempt} failed ({e}); retrying");
                    tokio::time::sleep(Duration::from_secs(2 * attempt as u64)).await;
                    attempt += 1;
                }
                Err(e) => panic!(
                    "WebDriver could not start the app {} after {attempt} attempts: {e}\n--- tauri-driver log ---\n{}",
                    app.display(),
                    driver.log()
                ),
            }
        };
        Self {
            client,
            name: name.to_string(),
            data_dir,
            home,
            _driver: driver,
        }
    }

    /// The `DIRSYNC_DATA_DIR` the app was started with.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// The app's `HOME` (and the parent of its XDG directories): a temp dir, so nothing the app
    /// writes for the desktop (start at login's autostart entry) reaches the real home.
    pub fn home(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Waits for the first element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element matches `{css}`: {e}"))
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("cannot read the text of `{css}`: {e}"))
    }

    /// Waits until the element matching `css` shows exactly `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        self.wait_for_text_where(css, &format!("{expected:?}"), |t| t == expected)
            .await;
    }

    /// Waits until the element matching `css` shows text containing `needle`; returns the text.
    pub async fn wait_for_text_containing(&self, css: &str, needle: &str) -> String {
        self.wait_for_text_where(css, &format!("text containing {needle:?}"), |t| {
            t.contains(needle)
        })
        .await
    }

    async fn wait_for_text_where(
        &self,
        css: &str,
        wanted: &str,
        matches: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = String::new();
        while Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                seen = el.text().await.unwrap_or_default();
                if matches(&seen) {
                    return seen;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("`{css}` shows {seen:?}, expected {wanted}");
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// Sends keys (text or `fantoccini::key::Key` values) to the focused element.
    pub async fn press(&self, keys: &str) {
        let focused = self
            .client
            .active_element()
            .await
            .expect("a focused element");
        focused.send_keys(keys).await.expect("send keys");
    }

    /// Waits until `page` (e.g. "settings") has finished rendering.
    pub async fn wait_for_page(&self, page: &str) {
        self.find(&format!("#page[data-ready=\"{page}\"]")).await;
    }

    /// Opens `page` from the navigation and waits for it.
    pub async fn open_page(&self, page: &str) {
        self.click(&format!("#nav a[data-page=\"{page}\"]")).await;
        self.wait_for_page(page).await;
    }

    /// Saves a screenshot of the window as `<DIRSYNC_SCREENSHOT_DIR>/<file>.png` when that
    /// variable is set (`cargo xtask screenshots` uses it for the README); does nothing otherwise.
    pub async fn snapshot(&self, file: &str) {
        if let Some(dir) = std::env::var_os("DIRSYNC_SCREENSHOT_DIR") {
            self.save_screenshot(&Path::new(&dir).join(format!("{file}.png")))
                .await;
        }
    }

    async fn save_screenshot(&self, path: &Path) {
        // Let the window paint what the DOM already holds: a fresh window can be a frame behind.
        let painted = self.client.execute_async(
            "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
            vec![],
        );
        let _ = tokio::time::timeout(PATIENCE, painted).await;
        let shot = tokio::time::timeout(PATIENCE, self.client.screenshot()).await;
        match shot {
            Err(_) => eprintln!("no screenshot: WebDriver did not answer within {PATIENCE:?}"),
            Ok(Err(e)) => eprintln!("cannot take a screenshot: {e}"),
            Ok(Ok(png)) => {
                let _ = std::fs::create_dir_all(path.parent().unwrap());
                match std::fs::write(path, png) {
                    Ok(()) => eprintln!("screenshot saved: {}", path.display()),
                    Err(e) => eprintln!("cannot save screenshot {}: {e}", path.display()),
                }
            }
        }
    }

    async fn save_failure_screenshot(&self) {
        let path = target_dir()
            .join("e2e-screenshots")
            .join(format!("{}.png", self.name));
        self.save_screenshot(&path).await;
    }

    async fn close(self) {
        // Ending the session closes the app; the driver's Drop then kills whatever is left.
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.close()).await;
    }
}

/// tauri-driver in its own process group, killed with everything it started.
struct Driver {
    child: Child,
    port: u16,
    native_port: u16,
    log: PathBuf,
}

impl Driver {
    fn start(home: &Path, data_dir: &Path, options: &Options) -> Self {
        let tauri_driver = tauri_driver();
        let native = which("WebKitWebDriver").unwrap_or_else(|| {
            panic!("WebKitWebDriver is not installed (Debian package webkit2gtk-driver): run `cargo xtask setup`")
        });
        let (port, native_port) = (free_port(), free_port());
        let log = home.join("tauri-driver.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let xdg = |sub: &str| {
            let dir = home.join(sub);
            std::fs::create_dir_all(&dir).unwrap();
            dir
        };
        let runtime = xdg("runtime");
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();

        let mut cmd = Command::new(&tauri_driver);
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .arg("--native-driver")
            .arg(&native)
            .env(dirsync::datadir::DATA_DIR_ENV, data_dir)
            // auto-launch writes $HOME/.config/autostart whatever XDG_CONFIG_HOME says.
            .env("HOME", home)
            .env("XDG_DATA_HOME", xdg("xdg-data"))
            .env("XDG_CONFIG_HOME", xdg("xdg-config"))
            .env("XDG_CACHE_HOME", xdg("xdg-cache"))
            .env("XDG_RUNTIME_DIR", runtime)
            // Never a real keychain: the refresh token goes to the 0600 file in the data
            // directory, where `tenant::Tenant::sign_in` also puts it.
            .env(dirsync::auth::TOKEN_STORE_ENV, "file")
            // Xvfb has no GPU. WEBKIT_DISABLE_COMPOSITING_MODE / WEBKIT_DISABLE_DMABUF_RENDERER,
            // often suggested against blank windows, make WebDriver screenshots hang forever on
            // WebKitGTK 2.50 (Debian 12); plain software GL renders correctly.
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
            .env_remove("WEBKIT_DISABLE_DMABUF_RENDERER")
            .env("GDK_BACKEND", "x11")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .process_group(0);
        match &options.browser {
            Some(browser) => cmd.env(dirsync::auth::BROWSER_ENV, browser),
            // No test may open a real browser.
            None => cmd.env(dirsync::auth::BROWSER_ENV, "true"),
        };
        cmd.envs(options.env.iter().map(|(k, v)| (k, v)));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tauri_driver.display()));
        let mut driver = Self {
            child,
            port,
            native_port,
            log,
        };
        driver.wait_until_listening();
        driver
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before listening:\n{}",
                    self.log()
                );
            }
            // tauri-driver listens before the WebKitWebDriver it started does; a session
            // requested in between fails with "client error (Connect)" on a loaded machine.
            let listening = |port| TcpStream::connect(("127.0.0.1", port)).is_ok();
            if listening(self.port) && listening(self.native_port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "tauri-driver did not listen on port {} within {PATIENCE:?}:\n{}",
            self.port,
            self.log()
        );
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is the driver's pid (process_group(0)); a negative pid signals the group.
        let group = self.child.id() as libc::pid_t;
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

fn require_display() {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        panic!("no X display: run the WebDriver suite with `cargo xtask test`, which starts Xvfb");
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The cargo target directory the tests and the app were built into.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The app binary: `DIRSYNC_APP_BIN` (set by xtask) or the debug build in the target dir.
fn app_binary() -> PathBuf {
    let app = std::env::var_os("DIRSYNC_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join("dirsync-app"));
    assert!(
        app.is_file(),
        "{} does not exist: build it with `cargo build -p dirsync-app` (cargo xtask test does)",
        app.display()
    );
    app
}

fn tauri_driver() -> PathBuf {
    which("tauri-driver")
        .or_else(|| {
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
            Some(home.join("bin").join("tauri-driver")).filter(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("tauri-driver is not installed: run `cargo xtask setup`"))
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}
