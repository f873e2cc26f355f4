//! `dirsync sign-in [--no-browser] [--app [--client-secret-file PATH]]` and `dirsync sign-out`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use dirsync::auth::{Auth, AuthError, ClientSecret, SignInOptions, SignedIn};
use dirsync::datadir::DataDir;
use dirsync::settings;
use dirsync::store::Store;

use crate::context::{fail, Exit, EXIT_FAILED, EXIT_USAGE};

#[derive(Args)]
pub struct SignInArgs {
    /// Print the sign-in URL instead of opening a browser
    #[arg(long)]
    no_browser: bool,
    /// Sign in as the application with a client secret (unattended use). The secret is read from
    /// DIRSYNC_CLIENT_SECRET or --client-secret-file, never from the command line.
    #[arg(long)]
    app: bool,
    /// File holding the client secret (first line); remembered as the client_secret_file setting
    #[arg(long, value_name = "PATH", requires = "app")]
    client_secret_file: Option<PathBuf>,
    /// Give up waiting for the browser after this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    timeout: u64,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime starts")
}

fn auth() -> Result<Auth, String> {
    let dir = DataDir::resolve().map_err(|e| e.to_string())?;
    Auth::new(dir).map_err(|e| e.to_string())
}

/// Exit 4 when the failure means "sign in (again)", 2 for settings, 1 otherwise.
fn exit_for(e: &AuthError) -> Exit {
    match e {
        e if e.is_sign_in_required() => Exit::SignInRequired,
        AuthError::Config(_) => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

fn report(signed_in: &SignedIn) {
    println!("Signed in as {}", signed_in.account.summary());
    if let Some(w) = &signed_in.storage_warning {
        eprintln!("warning: {w}");
    }
}

pub fn sign_in(args: SignInArgs) -> ExitCode {
    let auth = match auth() {
        Ok(a) => a,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let app_mode = args.app
        || Store::open_in(auth.data_dir())
            .ok()
            .and_then(|s| settings::get(&s, "auth_mode").ok())
            .is_some_and(|m| m == "app");
    let rt = runtime();
    if app_mode {
        return rt.block_on(sign_in_app(&auth, args.client_secret_file));
    }
    rt.block_on(async {
        let opts = SignInOptions {
            timeout: std::time::Duration::from_secs(args.timeout.max(1)),
            ..Default::default()
        };
        let pending = match auth.start_sign_in(opts).await {
            Ok(p) => p,
            Err(e) => return fail(&e, exit_for(&e)),
        };
        let show_url = |why: Option<String>| {
            if let Some(why) = why {
                eprintln!("dirsync: {}", crate::context::shown(why));
            }
            println!("Open this URL in a browser to sign in:\n{}", pending.url());
            let _ = std::io::stdout().flush();
        };
        if args.no_browser {
            show_url(None);
        } else if let Err(why) = pending.open_browser() {
            show_url(Some(why));
        }
        eprintln!("Waiting for the sign-in to finish in the browser (Ctrl-C to cancel)…");
        let cancel = pending.canceller();
        let outcome = tokio::select! {
            r = pending.finish() => r,
            _ = tokio::signal::ctrl_c() => {
                cancel.cancel();
                Err(AuthError::Cancelled)
            }
        };
        match outcome {
            Ok(signed_in) => {
                report(&signed_in);
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e, exit_for(&e)),
        }
    })
}

async fn sign_in_app(auth: &Auth, secret_file: Option<PathBuf>) -> ExitCode {
    let store = match Store::open_in(auth.data_dir()) {
        Ok(s) => s,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let file = match secret_file {
        Some(p) => Some(std::path::absolute(&p).unwrap_or(p)),
        None => settings::get(&store, "client_secret_file")
            .ok()
            .filter(|f| !f.trim().is_empty())
            .map(PathBuf::from),
    };
    let secret = match ClientSecret::from_env_or_file(file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(&e, EXIT_USAGE),
    };
    match auth.sign_in_app(secret).await {
        Ok(signed_in) => {
            if let Some(f) = file.as_ref().and_then(|f| f.to_str()) {
                if let Err(e) = settings::set(&store, "client_secret_file", f) {
                    return fail(e, EXIT_FAILED);
                }
            }
            report(&signed_in);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e, exit_for(&e)),
    }
}

pub fn sign_out() -> ExitCode {
    let auth = match auth() {
        Ok(a) => a,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    match runtime().block_on(auth.sign_out()) {
        Ok(()) => {
            println!("Signed out; the stored sign-in was removed.");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e, EXIT_FAILED),
    }
}
