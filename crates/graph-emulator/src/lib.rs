//! Microsoft identity platform + Microsoft Graph emulator for dirsync.
//!
//! One listener serves identity (`/{tenant}/oauth2/v2.0/...`), Graph (`/v1.0/...`) and the control
//! API (`/_emulator/...`). Start one in-process with [`Emulator::start`].

// Handlers return early with a ready `Response` as the error; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

pub mod clients;
pub mod control;
pub mod errors;
pub mod faults;
pub mod graph;
pub mod identity;
mod reqlog;
pub mod state;
pub mod tenant;
pub mod tokens;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clients::{
    ClientApp, RedirectKind, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, DEMO_CLIENT_ID,
    GRAPH_APP_ID, NO_CONSENT_CLIENT_ID, WEB_REDIRECT_CLIENT_ID, WEB_REDIRECT_CLIENT_SECRET,
};
pub use control::{Control, UserSnapshot};
pub use faults::{FaultKind, FaultSpec};
pub use state::LoggedRequest;
pub use tenant::store::{StoreError, UserState};

/// Documented behaviours that clients must cope with, made deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quirks {
    /// The second page of every multi-page delta round is empty but carries a nextLink.
    pub empty_page: bool,
    /// Each later page of a delta round repeats the last user of the previous page.
    pub duplicates: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            empty_page: true,
            duplicates: true,
        }
    }
}

/// Emulator configuration.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// 0 = random port.
    pub port: u16,
    /// Generated users (ignored with `tenant_file`).
    pub users: usize,
    pub seed: u64,
    /// Delta page size (1..=999).
    pub page_size: usize,
    /// Skip the sign-in and consent pages.
    pub auto_approve: bool,
    /// A hand-written tenant (see [`tenant::file`]).
    pub tenant_file: Option<PathBuf>,
    pub access_token_lifetime: chrono::Duration,
    pub refresh_token_lifetime: chrono::Duration,
    pub delta_token_lifetime: chrono::Duration,
    pub code_lifetime: chrono::Duration,
    pub quirks: Quirks,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            users: 50,
            seed: 1,
            page_size: 200,
            auto_approve: false,
            tenant_file: None,
            access_token_lifetime: chrono::Duration::seconds(3599),
            refresh_token_lifetime: chrono::Duration::days(90),
            delta_token_lifetime: chrono::Duration::days(7),
            code_lifetime: chrono::Duration::seconds(60),
            quirks: Quirks::default(),
        }
    }
}

/// A running emulator.
pub struct Emulator {
    state: Arc<state::State>,
    control: Control,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

fn tenant_guid(seed: u64) -> String {
    let a = tenant::generator::mix(seed ^ 0x007E_4A47);
    let b = tenant::generator::mix(a);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_bytes(bytes)
        .with_version(uuid::Version::Random)
        .with_variant(uuid::Variant::RFC4122)
        .into_uuid()
        .to_string()
}

fn invalid(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

impl Emulator {
    /// Binds 127.0.0.1 (`port` 0 = random) and serves on a tokio task.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://127.0.0.1:{}", addr.port());
        let file = match &config.tenant_file {
            Some(p) => Some(tenant::file::TenantFile::load(p)?),
            None => None,
        };
        let mut info = state::TenantInfo {
            id: tenant_guid(config.seed),
            domain: "contoso.example".into(),
            display_name: "Contoso".into(),
        };
        if let Some(f) = &file {
            if let Some(id) = &f.tenant.id {
                info.id = id.to_ascii_lowercase();
            }
            if let Some(d) = &f.tenant.domain {
                info.domain = d.clone();
            }
            if let Some(n) = &f.tenant.display_name {
                info.display_name = n.clone();
            }
        }
        let extension = format!("extension_{}_jobGroup", DEMO_CLIENT_ID.replace('-', ""));
        let count = if file.is_some() { 0 } else { config.users };
        let gen = tenant::generator::Generator::new(config.seed, count, &info.domain, &extension);
        let initial_seq = chrono::Utc::now().timestamp_micros().max(1) as u64;
        let mut store = tenant::store::Store::new(gen, initial_seq);
        if let Some(f) = file {
            load_file(&mut store, f)?;
        }
        let clients: HashMap<String, ClientApp> = ClientApp::builtin()
            .into_iter()
            .map(|c| (c.client_id.to_ascii_lowercase(), c))
            .collect();
        let st = Arc::new(state::State {
            page_size: AtomicUsize::new(config.page_size.clamp(1, 999)),
            faults: Mutex::new(faults::Faults::new(config.seed)),
            signer: tokens::Signer::new(config.seed),
            config,
            base_url,
            tenant: info,
            store: Mutex::new(store),
            clock_offset: Mutex::new(chrono::Duration::zero()),
            log: Mutex::new(Vec::new()),
            identity: Mutex::new(state::IdentityState::default()),
            clients: Mutex::new(clients),
            delta_reset_seq: Mutex::new(None),
        });
        let app = router(st.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Emulator {
            control: Control { st: st.clone() },
            state: st,
            addr,
            stop: Some(tx),
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }
    /// Authority host; clients append `/{tenant}/oauth2/v2.0/authorize`.
    pub fn authority(&self) -> String {
        self.base_url()
    }
    /// Graph base; clients append `/v1.0/users/delta`.
    pub fn graph_url(&self) -> String {
        self.base_url()
    }
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    pub fn tenant_id(&self) -> String {
        self.state.tenant.id.clone()
    }
    pub fn tenant_domain(&self) -> String {
        self.state.tenant.domain.clone()
    }
    /// The demo public client ([`DEMO_CLIENT_ID`]).
    pub fn client_id(&self) -> String {
        DEMO_CLIENT_ID.to_owned()
    }
    /// The first administrator's user principal name.
    pub fn admin_upn(&self) -> String {
        self.admin_upns().into_iter().next().unwrap_or_default()
    }
    pub fn admin_upns(&self) -> Vec<String> {
        let store = self.state.store.lock().unwrap();
        store
            .admins
            .iter()
            .filter_map(|id| store.get(id))
            .filter_map(|v| v.user["userPrincipalName"].as_str().map(str::to_owned))
            .collect()
    }
    /// Name of the directory extension attribute (`extension_<demoAppId>_jobGroup`).
    pub fn extension_attribute(&self) -> String {
        self.state.extension_name()
    }
    pub fn control(&self) -> &Control {
        &self.control
    }
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

fn load_file(store: &mut tenant::store::Store, f: tenant::file::TenantFile) -> std::io::Result<()> {
    use serde_json::Value;
    let mut managers = Vec::new();
    let mut ids = Vec::new();
    for mut u in f.users {
        let manager = u.as_object_mut().and_then(|o| o.remove("manager"));
        let id = store.add_user(u, true).map_err(invalid)?;
        if let Some(m) = manager.filter(|m| !m.is_null()) {
            managers.push((id.clone(), m));
        }
        ids.push(id);
    }
    for (id, m) in managers {
        let key = m
            .as_str()
            .ok_or_else(|| invalid("manager must be an id or upn"))?;
        let mid = store
            .find(key)
            .and_then(|v| v.user["id"].as_str().map(str::to_owned))
            .ok_or_else(|| invalid(format!("unknown manager {key}")))?;
        store.set_initial(&id, "manager", Value::String(mid));
    }
    let mut admins: Vec<String> = f
        .admins
        .iter()
        .map(|upn| {
            store
                .find(upn)
                .and_then(|v| v.user["id"].as_str().map(str::to_owned))
                .ok_or_else(|| invalid(format!("unknown admin {upn}")))
        })
        .collect::<Result<_, _>>()?;
    if admins.is_empty() {
        admins = ids
            .iter()
            .filter(|id| {
                store.get(id).is_some_and(|v| {
                    v.user["jobTitle"]
                        .as_str()
                        .is_some_and(|t| t.contains("Administrator"))
                })
            })
            .cloned()
            .collect();
    }
    if admins.is_empty() {
        admins = ids.into_iter().take(1).collect();
    }
    store.admins = admins;
    Ok(())
}

fn router(st: Arc<state::State>) -> Router {
    Router::new()
        .merge(identity::router())
        .merge(graph::router())
        .merge(control::router())
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            faults::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            st.clone(),
            reqlog::layer,
        ))
        .with_state(st)
}
