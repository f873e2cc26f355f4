//! Shared emulator state.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clients::ClientApp;
use crate::faults::Faults;
use crate::tenant::store::Store;
use crate::tokens::Signer;
use crate::EmulatorConfig;

/// Tenant identity.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    pub id: String,
    pub domain: String,
    pub display_name: String,
}

/// An authorization request waiting for sign-in or consent.
#[derive(Clone, Debug)]
pub struct Flow {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: String,
    pub user_id: Option<String>,
}

/// An issued authorization code.
#[derive(Clone, Debug)]
pub struct CodeGrant {
    pub flow: Flow,
    pub user_id: String,
    pub issued: DateTime<Utc>,
}

#[derive(Default)]
pub struct IdentityState {
    pub flows: HashMap<String, Flow>,
    pub codes: HashMap<String, CodeGrant>,
    pub redeemed: HashSet<String>,
    /// (user id, client id) -> user-consented scopes.
    pub consents: HashMap<(String, String), BTreeSet<String>>,
    /// Refresh tokens issued before this instant are revoked.
    pub revoked_before: Option<DateTime<Utc>>,
}

/// A logged request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub fault: Option<String>,
    pub headers: std::collections::BTreeMap<String, String>,
}

pub struct State {
    pub config: EmulatorConfig,
    pub base_url: String,
    pub tenant: TenantInfo,
    pub signer: Signer,
    pub store: Mutex<Store>,
    pub clock_offset: Mutex<Duration>,
    pub page_size: AtomicUsize,
    pub faults: Mutex<Faults>,
    pub log: Mutex<Vec<LoggedRequest>>,
    pub identity: Mutex<IdentityState>,
    pub clients: Mutex<HashMap<String, ClientApp>>,
    /// Delta and skip tokens issued before this sequence number answer 410 Gone.
    pub delta_reset_seq: Mutex<Option<u64>>,
}

impl State {
    /// The simulated clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.clock_offset.lock().unwrap()
    }

    pub fn page_size(&self) -> usize {
        self.page_size.load(Ordering::Relaxed)
    }

    pub fn set_page_size(&self, n: usize) {
        self.page_size.store(n.clamp(1, 999), Ordering::Relaxed);
    }

    pub fn client(&self, id: &str) -> Option<ClientApp> {
        self.clients
            .lock()
            .unwrap()
            .get(&id.to_ascii_lowercase())
            .cloned()
    }

    /// Accepts `common`, `organizations`, the tenant GUID and the tenant domain.
    pub fn tenant_matches(&self, t: &str) -> bool {
        t.eq_ignore_ascii_case("common")
            || t.eq_ignore_ascii_case("organizations")
            || t.eq_ignore_ascii_case(&self.tenant.id)
            || t.eq_ignore_ascii_case(&self.tenant.domain)
    }

    pub fn extension_name(&self) -> String {
        self.store.lock().unwrap().gen.extension_name.clone()
    }
}
