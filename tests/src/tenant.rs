//! A test tenant for WebDriver (and CLI) tests: an in-process Graph emulator, and helpers that
//! point a data directory at it, sign the admin in through the core, and run a first sync.
//!
//! ```no_run
//! # async fn t() {
//! use dirsync_e2e::{tenant::Tenant, window};
//! let tenant = Tenant::start(25);
//! let prepare = |dir: &std::path::Path| {
//!     tenant.signed_in_and_synced(dir);
//! };
//! window::run_with("directory_lists_users", prepare, async |w| {
//!     w.open_page("directory").await;
//! })
//! .await;
//! # }
//! ```
//!
//! The emulator runs on its own multi-threaded runtime, so it keeps answering whatever the test
//! thread does (a `current_thread` test runtime, a blocking `prepare` closure). The helpers are
//! blocking for the same reason: they can be called from `window::run_with`'s `prepare` and from
//! async tests alike. Tokens go to the 0600 file store (`DIRSYNC_TOKEN_STORE=file`), which the
//! window harness also sets for the app, so the app finds the sign-in made here.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dirsync::account::Account;
use dirsync::auth::demo::{use_demo_tenant, DemoTenant};
use dirsync::auth::{Auth, SignInOptions, SignedIn, TokenStorePreference};
use dirsync::datadir::DataDir;
use dirsync::graph::GraphClient;
use dirsync::runs::Trigger;
use dirsync::settings;
use dirsync::store::Store;
use dirsync::sync::{self, CancelToken, RunSummary, SyncOptions};
use graph_emulator::{Emulator, EmulatorConfig};
use tempfile::TempDir;

/// A running emulated tenant with auto-approved sign-in, and a data directory of its own.
pub struct Tenant {
    emulator: Option<Emulator>,
    runtime: Option<tokio::runtime::Runtime>,
    data: TempDir,
    account: OnceLock<Account>,
}

impl Tenant {
    /// A tenant of `users` generated users (seed 1, default quirks: an empty second delta page
    /// and repeated users across pages), sign-in approved without pages.
    pub fn start(users: usize) -> Self {
        Self::start_with(EmulatorConfig {
            users,
            auto_approve: true,
            ..Default::default()
        })
    }

    /// A tenant with a full emulator configuration (port 0 picks a free port).
    pub fn start_with(config: EmulatorConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("test-tenant")
            .enable_all()
            .build()
            .expect("the tenant's runtime starts");
        let emulator = off_thread(&runtime, Emulator::start(config)).expect("the emulator starts");
        let data = tempfile::Builder::new()
            .prefix("dirsync-e2e-tenant-")
            .tempdir()
            .expect("temp dir");
        Self {
            emulator: Some(emulator),
            runtime: Some(runtime),
            data,
            account: OnceLock::new(),
        }
    }

    pub fn emulator(&self) -> &Emulator {
        self.emulator
            .as_ref()
            .expect("the emulator runs until drop")
    }

    /// A data directory owned by the tenant (kept until it drops), for tests that start the
    /// app more than once on the same data (`window::Options::data_dir`).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// The settings that point sign-in and Graph at this tenant.
    pub fn demo(&self) -> DemoTenant {
        let emu = self.emulator();
        DemoTenant {
            authority: emu.authority(),
            graph_url: emu.graph_url(),
            tenant_id: emu.tenant_id(),
            client_id: emu.client_id(),
        }
    }

    /// Points the settings in `dir` at this tenant; nobody is signed in yet. `demo` is set back
    /// to false: to the app this is a configured tenant, not its own built-in demo (which it
    /// would start and point the settings at instead).
    pub fn configure(&self, dir: &Path) {
        let store = Store::open_in(&data_dir(dir)).expect("the store opens");
        use_demo_tenant(&store, &self.demo()).expect("demo settings are valid");
        settings::set(&store, "demo", "false").unwrap();
    }

    /// Signs the first administrator in through the core's interactive flow, with the
    /// `scripted-browser` as the browser and the token file store. `configure` first.
    pub fn sign_in(&self, dir: &Path) -> SignedIn {
        let auth = Auth::with_token_store(data_dir(dir), TokenStorePreference::File)
            .expect("the token file store is available");
        self.block_on(async move {
            let pending = auth
                .start_sign_in(SignInOptions::default())
                .await
                .expect("sign-in starts");
            let browser = scripted_browser();
            let url = pending.url().to_string();
            let ran = tokio::task::spawn_blocking(move || {
                std::process::Command::new(&browser).arg(url).status()
            })
            .await
            .unwrap()
            .expect("scripted-browser runs");
            assert!(ran.success(), "scripted-browser did not reach the app");
            pending.finish().await.expect("sign-in succeeds")
        })
    }

    /// One sync (manual trigger) with the account signed in to `dir`.
    pub fn sync(&self, dir: &Path) -> RunSummary {
        let dir = data_dir(dir);
        let auth = Auth::with_token_store(dir.clone(), TokenStorePreference::File).unwrap();
        let tokens = auth.token_provider().expect("signed in");
        let client = GraphClient::new(&self.emulator().graph_url(), tokens).unwrap();
        self.block_on(async move {
            sync::run(
                &dir,
                &client,
                SyncOptions::new(Trigger::Manual),
                |_| {},
                CancelToken::new(),
            )
            .await
            .expect("the sync succeeds")
        })
    }

    /// `configure` + `sign_in`: a data directory the app opens signed in.
    pub fn signed_in(&self, dir: &Path) -> SignedIn {
        self.configure(dir);
        self.sign_in(dir)
    }

    /// `configure` + `sign_in` + `sync`: the app opens on a filled directory.
    pub fn signed_in_and_synced(&self, dir: &Path) -> RunSummary {
        self.signed_in(dir);
        self.sync(dir)
    }

    /// Who signing in to this tenant records (admin UPN, display name, tenant name), found by
    /// a core sign-in in a scratch directory: what the UI should show after its own sign-in.
    pub fn expected_account(&self) -> &Account {
        self.account.get_or_init(|| {
            let scratch = tempfile::tempdir().unwrap();
            self.signed_in(scratch.path()).account
        })
    }

    /// Runs `fut` on the tenant's runtime from any thread, inside a runtime or not.
    pub fn block_on<T: Send>(&self, fut: impl Future<Output = T> + Send) -> T {
        off_thread(self.runtime.as_ref().unwrap(), fut)
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        // Dropping a runtime inside another runtime's context panics; shut down in the background.
        drop(self.emulator.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// `block_on` on a scoped thread: allowed even when the caller is itself inside a runtime.
fn off_thread<T: Send>(rt: &tokio::runtime::Runtime, fut: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| rt.block_on(fut))
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

fn data_dir(dir: &Path) -> DataDir {
    DataDir::at(dir).expect("the data directory is usable")
}

/// The `scripted-browser` binary from `graph-emulator`, next to the app in the target dir; built
/// on demand when missing (`cargo xtask test` builds it with the app).
pub fn scripted_browser() -> PathBuf {
    let bin = crate::window::target_dir()
        .join("debug")
        .join(format!("scripted-browser{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "graph-emulator",
                "--bin",
                "scripted-browser",
            ])
            .arg("--target-dir")
            .arg(crate::window::target_dir())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building scripted-browser failed");
    }
    bin
}
