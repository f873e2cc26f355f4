//! The demo tenant: the Graph emulator started inside the app, for admins without a tenant.
//!
//! It listens on a fixed loopback port ([`DEFAULT_PORT`], or `DIRSYNC_DEMO_PORT`) with a fixed
//! seed and size, so the saved settings and the refresh token stay valid across restarts (the
//! emulator signs tokens with a key derived from the seed). The sign-in and consent pages are
//! the emulator's real ones: the admin picks an account in the browser like in a real tenant.
//! Changes made to the demo tenant live in memory only; each start is the same organization.
//!
//! The shell may depend on the emulator; the core may not (it only knows the settings, through
//! `dirsync::auth::demo`).

use std::sync::Mutex;

use dirsync::auth::demo::DemoTenant;
use graph_emulator::{Emulator, EmulatorConfig};

/// Where the demo tenant listens unless `DIRSYNC_DEMO_PORT` says otherwise.
pub const DEFAULT_PORT: u16 = 47290;
/// Overrides [`DEFAULT_PORT`] (tests use a free port so they never meet a running demo).
pub const PORT_ENV: &str = "DIRSYNC_DEMO_PORT";
/// Starts the app on the demo tenant (as `--demo` does); `cargo xtask demo` uses the argument.
pub const DEMO_ENV: &str = "DIRSYNC_DEMO";
pub const DEMO_ARG: &str = "--demo";
/// The same organization every time: 2,431 people, generated from seed 1.
pub const USERS: usize = 2431;
pub const SEED: u64 = 1;

/// The running demo tenant, if any; managed state.
#[derive(Default)]
pub struct DemoHost {
    running: tauri::async_runtime::Mutex<Option<Emulator>>,
    notice: Mutex<Option<String>>,
}

impl DemoHost {
    /// Starts the demo tenant unless it already runs, and says where it is.
    pub async fn ensure(&self) -> Result<DemoTenant, String> {
        let mut running = self.running.lock().await;
        if let Some(emu) = running.as_ref() {
            return Ok(tenant_of(emu));
        }
        let port = preferred_port()?;
        let emu = match Emulator::start(config(port)).await {
            Ok(emu) => emu,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                let emu = Emulator::start(config(0))
                    .await
                    .map_err(|e| format!("cannot start the demo tenant: {e}"))?;
                let notice = format!(
                    "Port {port} on this computer is taken by another program, so the demo tenant \
                     runs on port {} this time; sign in to it again.",
                    emu.port()
                );
                tracing::warn!("{notice}");
                *self.notice.lock().unwrap_or_else(|p| p.into_inner()) = Some(notice);
                emu
            }
            Err(e) => return Err(format!("cannot start the demo tenant on port {port}: {e}")),
        };
        tracing::info!(port = emu.port(), users = USERS, "demo tenant started");
        let tenant = tenant_of(&emu);
        *running = Some(emu);
        Ok(tenant)
    }

    /// Stops the demo tenant (Leave the demo tenant).
    pub async fn stop(&self) {
        if let Some(emu) = self.running.lock().await.take() {
            emu.shutdown().await;
            tracing::info!("demo tenant stopped");
        }
        *self.notice.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Why the demo tenant is not where it usually is, if it is not.
    pub fn notice(&self) -> Option<String> {
        self.notice
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn config(port: u16) -> EmulatorConfig {
    EmulatorConfig {
        port,
        users: USERS,
        seed: SEED,
        // The admin sees the emulator's account picker and consent page, as with Microsoft.
        auto_approve: false,
        ..Default::default()
    }
}

fn tenant_of(emu: &Emulator) -> DemoTenant {
    DemoTenant {
        authority: emu.authority(),
        graph_url: emu.graph_url(),
        tenant_id: emu.tenant_id(),
        client_id: emu.client_id(),
    }
}

fn preferred_port() -> Result<u16, String> {
    match std::env::var(PORT_ENV) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u16>()
            .map_err(|_| format!("{PORT_ENV}={v} is not a port number (1-65535)")),
        _ => Ok(DEFAULT_PORT),
    }
}

/// Whether this start asked for the demo tenant (`--demo` or `DIRSYNC_DEMO=1`).
pub fn requested_at_start() -> bool {
    std::env::args().any(|a| a == DEMO_ARG)
        || std::env::var(DEMO_ENV).is_ok_and(|v| v == "1" || v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_tenant_is_the_same_on_every_start_and_falls_back_when_the_port_is_taken() {
        tauri::async_runtime::block_on(same_tenant_and_port_fallback());
    }

    async fn same_tenant_and_port_fallback() {
        // Hold a port so the demo must fall back, and check it says so.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let a = DemoHost::default();
        std::env::set_var(PORT_ENV, port.to_string());
        let first = a.ensure().await.unwrap();
        std::env::remove_var(PORT_ENV);
        assert_ne!(first.authority, format!("http://127.0.0.1:{port}"));
        let notice = a.notice().expect("the fallback is explained");
        assert!(notice.contains(&port.to_string()), "{notice}");
        // A second ensure returns the running tenant, not a new one.
        assert_eq!(a.ensure().await.unwrap(), first);
        a.stop().await;
        assert_eq!(a.notice(), None);

        // Same seed, same organization: the tenant id does not depend on the start.
        let b = DemoHost::default();
        std::env::set_var(PORT_ENV, "0");
        let second = b.ensure().await.unwrap();
        std::env::remove_var(PORT_ENV);
        assert_eq!(second.tenant_id, first.tenant_id);
        assert_eq!(second.client_id, graph_emulator::DEMO_CLIENT_ID);
        b.stop().await;
    }
}
