//! The demo tenant: settings that point sign-in and Graph at an emulator the app (or
//! `cargo xtask demo`) started in-process. The core never depends on the emulator itself.

use crate::settings::{self, SettingsError};
use crate::store::Store;

/// Where an in-process emulator listens, and its demo public client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoTenant {
    /// Identity host, e.g. `http://127.0.0.1:PORT`.
    pub authority: String,
    pub graph_url: String,
    pub tenant_id: String,
    pub client_id: String,
}

/// Points the settings at the demo tenant and sets `demo=true`.
pub fn use_demo_tenant(store: &Store, demo: &DemoTenant) -> Result<(), SettingsError> {
    settings::set(store, "authority", &demo.authority)?;
    settings::set(store, "tenant", &demo.tenant_id)?;
    settings::set(store, "client_id", &demo.client_id)?;
    settings::set(store, "graph_url", &demo.graph_url)?;
    settings::set(store, "auth_mode", "user")?;
    settings::set(store, "demo", "true")
}

/// Restores the default (real Microsoft) endpoints and `demo=false`; the client id is cleared
/// because the demo client does not exist in a real tenant.
pub fn leave_demo_tenant(store: &Store) -> Result<(), SettingsError> {
    for name in ["authority", "tenant", "client_id", "graph_url"] {
        settings::set(store, name, settings::key(name)?.default)?;
    }
    settings::set(store, "demo", "false")
}

/// Whether the settings point at the demo tenant.
pub fn is_demo(store: &Store) -> Result<bool, SettingsError> {
    Ok(settings::get(store, "demo")? == "true")
}
