//! Shared test harness for the sync tests: an emulated tenant, a data directory, a Graph client
//! signed in with client credentials, and helpers to compare directories.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dirsync::auth::{AuthError, TokenProvider};
use dirsync::datadir::DataDir;
use dirsync::graph::{GraphClient, RetryPolicy, Sleeper};
use dirsync::runs::{self, ChangeKind, ChangeRecord, EventKind, RunEvent, Trigger};
use dirsync::store::Store;
use dirsync::sync::{self, CancelToken, Progress, RunSummary, SyncError, SyncOptions};
use graph_emulator::{
    Emulator, EmulatorConfig, Quirks, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET,
};

/// Client-credentials tokens from the emulator; counts forced refreshes.
pub struct AppTokens {
    token_url: String,
    http: reqwest::Client,
    cached: Mutex<Option<String>>,
    pub refreshes: AtomicUsize,
}

impl AppTokens {
    pub fn new(emu: &Emulator) -> Self {
        Self::at(&emu.authority(), &emu.tenant_id())
    }

    pub fn at(authority: &str, tenant: &str) -> Self {
        Self {
            token_url: format!("{authority}/{tenant}/oauth2/v2.0/token"),
            http: reqwest::Client::new(),
            cached: Mutex::new(None),
            refreshes: AtomicUsize::new(0),
        }
    }
}

#[async_trait::async_trait]
impl TokenProvider for AppTokens {
    async fn access_token(&self, force_refresh: bool) -> Result<String, AuthError> {
        if force_refresh {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
        } else if let Some(t) = self.cached.lock().unwrap().clone() {
            return Ok(t);
        }
        let resp: serde_json::Value = self
            .http
            .post(&self.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", CONFIDENTIAL_CLIENT_ID),
                ("client_secret", CONFIDENTIAL_CLIENT_SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .map_err(|e| AuthError::Network(e.to_string()))?
            .json()
            .await
            .map_err(|e| AuthError::Network(e.to_string()))?;
        let token = resp["access_token"]
            .as_str()
            .ok_or_else(|| AuthError::Network(format!("no token: {resp}")))?
            .to_string();
        *self.cached.lock().unwrap() = Some(token.clone());
        Ok(token)
    }
}

/// Records retry waits instead of sleeping (no real multi-second waits in tests).
#[derive(Default)]
pub struct NoSleep(pub Mutex<Vec<Duration>>);

#[async_trait::async_trait]
impl Sleeper for NoSleep {
    async fn sleep(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

pub struct Tenant {
    pub emu: Emulator,
    pub tokens: Arc<AppTokens>,
    pub sleeps: Arc<NoSleep>,
    pub client: GraphClient,
}

/// Ids of the emulator's active users for which `pred` holds, sorted.
pub fn tenant_where(t: &Tenant, pred: impl Fn(&serde_json::Value) -> bool) -> Vec<String> {
    let mut ids: Vec<String> = t
        .emu
        .control()
        .users_snapshot()
        .iter()
        .filter(|u| pred(u))
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

pub fn config(users: usize, page_size: usize) -> EmulatorConfig {
    EmulatorConfig {
        users,
        seed: 7,
        page_size,
        auto_approve: true,
        quirks: Quirks {
            empty_page: true,
            duplicates: true,
        },
        ..Default::default()
    }
}

pub async fn tenant(users: usize, page_size: usize) -> Tenant {
    tenant_with(config(users, page_size)).await
}

pub async fn tenant_with(cfg: EmulatorConfig) -> Tenant {
    let emu = Emulator::start(cfg).await.expect("emulator starts");
    let tokens = Arc::new(AppTokens::new(&emu));
    let sleeps = Arc::new(NoSleep::default());
    let client = test_client(&emu.graph_url(), tokens.clone(), sleeps.clone());
    Tenant {
        emu,
        tokens,
        sleeps,
        client,
    }
}

/// A Graph client with tiny retry delays and no real sleeping.
pub fn test_client(graph_url: &str, tokens: Arc<AppTokens>, sleeps: Arc<NoSleep>) -> GraphClient {
    GraphClient::new(graph_url, tokens)
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_retries: 6,
            max_total_wait: Duration::from_secs(600),
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_malformed: 3,
        })
        .with_sleeper(sleeps)
}

/// A data directory of its own.
pub struct Dir {
    _tmp: tempfile::TempDir,
    pub data: DataDir,
}

pub fn data_dir() -> Dir {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::at(tmp.path().join("data")).unwrap();
    Store::open_in(&data).unwrap();
    Dir { _tmp: tmp, data }
}

impl Dir {
    pub fn store(&self) -> Store {
        Store::open_in(&self.data).unwrap()
    }

    pub async fn sync(&self, t: &Tenant) -> Result<RunSummary, SyncError> {
        self.sync_with(t, SyncOptions::new(Trigger::Manual)).await
    }

    pub async fn sync_with(&self, t: &Tenant, opts: SyncOptions) -> Result<RunSummary, SyncError> {
        sync::run(
            &self.data,
            &t.client,
            opts,
            |_: &Progress| {},
            CancelToken::new(),
        )
        .await
    }

    /// The directory as exported (CSV), without the Added/Changed timestamps.
    pub fn export(&self) -> Vec<Vec<String>> {
        let store = self.store();
        let mut out = Vec::new();
        dirsync::directory::export_csv(store.conn(), &mut out).unwrap();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(out.as_slice());
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                let n = r.len();
                r.iter().take(n - 2).map(str::to_string).collect()
            })
            .collect()
    }

    /// Every group membership, by group name.
    pub fn memberships(&self) -> BTreeMap<String, Vec<String>> {
        let store = self.store();
        dirsync::groups::list(store.conn())
            .unwrap()
            .into_iter()
            .map(|g| {
                let mut ids = dirsync::groups::member_ids(store.conn(), &g.name).unwrap();
                ids.sort();
                (g.name, ids)
            })
            .collect()
    }

    /// FTS5's own check that the full-text index holds exactly the rows of the users table, word
    /// for word.
    pub fn assert_index_matches_table(&self) {
        self.store()
            .conn()
            .execute(
                "INSERT INTO users_fts (users_fts, rank) VALUES ('integrity-check', 1)",
                [],
            )
            .unwrap_or_else(|e| panic!("the full-text index differs from the users table: {e}"));
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids = dirsync::directory::all_ids(self.store().conn()).unwrap();
        ids.sort();
        ids
    }

    pub fn changes(&self, run_id: i64) -> Vec<ChangeRecord> {
        runs::changes(self.store().conn(), run_id, 0, 100_000).unwrap()
    }

    pub fn changes_of(&self, run_id: i64, kind: ChangeKind) -> Vec<ChangeRecord> {
        self.changes(run_id)
            .into_iter()
            .filter(|c| c.kind == kind)
            .collect()
    }

    pub fn events(&self, run_id: i64) -> Vec<RunEvent> {
        runs::events(self.store().conn(), run_id).unwrap()
    }

    pub fn events_of(&self, run_id: i64, kind: EventKind) -> Vec<RunEvent> {
        self.events(run_id)
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect()
    }

    pub fn status(&self) -> sync::SyncStatus {
        sync::status(&self.data, &self.store(), &sync::Clock::system()).unwrap()
    }
}

/// Ids of the active users the emulator holds that the default sync scope selects (members, no
/// guests): the users a sync brings into the directory.
pub fn tenant_ids(t: &Tenant) -> Vec<String> {
    let mut ids: Vec<String> = t
        .emu
        .control()
        .users_snapshot()
        .iter()
        .filter(|u| u["userType"] == "Member")
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}
