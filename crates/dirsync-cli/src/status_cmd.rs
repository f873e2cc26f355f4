//! `dirsync status [--json]`: the signed-in account and tenant, or why a sign-in is needed.
//! Exit 4 when a sign-in is needed, so schedulers can alert on it.

use std::process::ExitCode;

use clap::Args;
use dirsync::auth::{Auth, SignInState, TokenStorageKind};
use dirsync::datadir::DataDir;
use dirsync::store::Store;
use dirsync::sync::{self, Clock, SyncStatus};

use crate::context::{fail, Exit, EXIT_FAILED};

#[derive(Args)]
pub struct StatusArgs {
    /// Print machine-readable JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: StatusArgs) -> ExitCode {
    let mut status = match DataDir::resolve()
        .map_err(|e| e.to_string())
        .and_then(|d| Auth::new(d).map_err(|e| e.to_string()))
        .and_then(|a| a.status().map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    // Why a sign-in is needed may quote the identity platform's answer.
    status.reason = status.reason.map(crate::context::shown);
    let sync_status = sync_state();
    if args.json {
        let mut v = serde_json::to_value(&status).expect("status serializes");
        v["sync"] = serde_json::to_value(&sync_status).expect("sync status serializes");
        println!("{}", serde_json::to_string_pretty(&v).expect("serializes"));
    } else {
        match (&status.state, &status.account) {
            (SignInState::SignedIn, Some(a)) => {
                println!("Signed in as {}", a.summary());
                println!("Tenant id:  {}", a.tenant_id);
                println!(
                    "Since:      {}",
                    a.signed_in_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            (SignInState::SignInRequired, _) => println!(
                "Sign-in required: {}. Run `dirsync sign-in`.",
                status.reason.as_deref().unwrap_or("sign in again")
            ),
            _ => println!("Not signed in. Run `dirsync sign-in`."),
        }
        match status.token_storage {
            TokenStorageKind::Keychain => println!("Sign-in kept in the OS keychain"),
            TokenStorageKind::File { .. } => {
                println!("Sign-in kept in a file readable only by you")
            }
        }
        if let Some(w) = &status.storage_warning {
            eprintln!("warning: {w}");
        }
        if let Some(s) = &sync_status {
            print_sync(s);
        }
    }
    match status.state {
        SignInState::SignedIn => ExitCode::SUCCESS,
        _ => Exit::SignInRequired.into(),
    }
}

/// The sync's side of the status: last run and the stored delta link's age.
fn sync_state() -> Option<SyncStatus> {
    let dir = DataDir::resolve().ok()?;
    let store = Store::open_in(&dir).ok()?;
    sync::status(&dir, &store, &Clock::system()).ok()
}

fn print_sync(s: &SyncStatus) {
    match &s.last_run {
        Some(r) => println!(
            "Last run:   {} {} ({}, {}): {} added, {} updated, {} removed",
            r.id,
            r.status.label(),
            r.trigger,
            r.started_at,
            r.counts.added,
            r.counts.updated,
            r.counts.removed
        ),
        None => println!("Last run:   none yet"),
    }
    match (s.delta_link_age_secs, s.delta_link_too_old) {
        (Some(age), true) => println!(
            "Delta link: {} days old; {} Use `dirsync sync --reset`.",
            age / 86_400,
            sync::DELTA_LINK_TOO_OLD
        ),
        (Some(age), false) => println!(
            "Delta link: {} old",
            match age {
                a if a < 3600 => format!("{} min", a / 60),
                a if a < 86_400 => format!("{} h", a / 3600),
                a => format!("{} days", a / 86_400),
            }
        ),
        (None, _) => println!("Delta link: none stored"),
    }
    if let Some(why) = &s.full_round_reason {
        println!("Next sync:  full round ({why})");
    }
}
