//! `dirsync status [--json]`: the signed-in account and tenant, or why a sign-in is needed.
//! Exit 4 when a sign-in is needed, so schedulers can alert on it.

use std::process::ExitCode;

use clap::Args;
use dirsync::auth::{Auth, SignInState, TokenStorageKind};
use dirsync::datadir::DataDir;

use crate::context::{fail, Exit, EXIT_FAILED};

#[derive(Args)]
pub struct StatusArgs {
    /// Print machine-readable JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: StatusArgs) -> ExitCode {
    let status = match DataDir::resolve()
        .map_err(|e| e.to_string())
        .and_then(|d| Auth::new(d).map_err(|e| e.to_string()))
        .and_then(|a| a.status().map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).expect("status serializes")
        );
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
    }
    match status.state {
        SignInState::SignedIn => ExitCode::SUCCESS,
        _ => Exit::SignInRequired.into(),
    }
}
