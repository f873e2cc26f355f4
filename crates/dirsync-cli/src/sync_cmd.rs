//! `dirsync sync [--preview] [--allow-deletes] [--reset [--yes]] [--json]`: one sync run, as the
//! app's Sync now; `--reset` first drops the stored delta link (Reset sync), after a confirmation.
//! Exit 0 success (or preview), 1 failed or cancelled, 3 needs approval, 4 sign-in required.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use dirsync::auth::Auth;
use dirsync::datadir::DataDir;
use dirsync::graph::GraphClient;
use dirsync::runs::{self, ChangeKind, ChangeRecord, RunRecord, RunStatus, Trigger};
use dirsync::settings;
use dirsync::store::Store;
use dirsync::sync::{self, CancelToken, Phase, Progress, SyncError, SyncOptions};

use crate::context::{fail, shown, Exit, EXIT_FAILED};

#[derive(Args)]
pub struct SyncArgs {
    /// Dry run: show what would be added, changed and removed; apply nothing
    #[arg(long)]
    preview: bool,
    /// Apply even if more users would be removed than the deletion guard allows
    #[arg(long)]
    allow_deletes: bool,
    /// Print the run (and, for a preview or a stopped run, its changes) as JSON
    #[arg(long)]
    json: bool,
    /// Reset sync first: drop the stored delta link, so this run reads every user again and
    /// removes those no longer in Azure AD (still under the deletion guard)
    #[arg(long, conflicts_with = "preview")]
    reset: bool,
    /// Do not ask before --reset (for scripts)
    #[arg(long, requires = "reset")]
    yes: bool,
}

pub fn run(args: SyncArgs) -> ExitCode {
    let dir = match DataDir::resolve() {
        Ok(d) => d,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let graph_url = match Store::open_in(&dir)
        .map_err(|e| e.to_string())
        .and_then(|s| settings::get(&s, "graph_url").map_err(|e| e.to_string()))
    {
        Ok(u) => u,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let tokens = match Auth::new(dir.clone()).and_then(|a| a.token_provider()) {
        Ok(t) => t,
        Err(e) if e.is_sign_in_required() => {
            return fail(format!("{e}. Run `dirsync sign-in`."), Exit::SignInRequired)
        }
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let client = match GraphClient::new(&graph_url, tokens) {
        Ok(c) => c,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let mut trigger = Trigger::Cli;
    if args.reset {
        if let Err(code) = reset(&dir, args.yes) {
            return code;
        }
        trigger = Trigger::Reset;
    }
    let opts = SyncOptions {
        preview: args.preview,
        allow_deletes: args.allow_deletes,
        ..SyncOptions::new(trigger)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let result = rt.block_on(async {
        let cancel = CancelToken::new();
        let on_ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_ctrl_c.cancel();
            }
        });
        sync::run(
            &dir,
            &client,
            opts,
            move |p: &Progress| {
                if show_progress {
                    progress_line(p)
                }
            },
            cancel,
        )
        .await
    });
    if show_progress {
        eprintln!();
    }
    match result {
        Ok(run) => report(&dir, &run, args.json),
        Err(e) => {
            let code = match &e {
                SyncError::SignInRequired(_) => Exit::SignInRequired,
                _ => EXIT_FAILED,
            };
            if args.json {
                let v = serde_json::json!({ "status": "failed", "error": shown(&e) });
                println!("{v}");
            }
            match code {
                Exit::SignInRequired => fail(format!("{e}. Run `dirsync sign-in`."), code),
                _ => fail(e, code),
            }
        }
    }
}

/// Reset sync after saying what it does: asks on a terminal, needs --yes otherwise.
fn reset(dir: &DataDir, yes: bool) -> Result<(), ExitCode> {
    eprintln!("Reset sync: {}", sync::RESET_EXPLAINED);
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(fail(
                "--reset needs a confirmation: add --yes to reset without asking",
                crate::context::EXIT_USAGE,
            ));
        }
        eprint!("Reset sync now? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Err(fail("Reset sync cancelled; nothing changed", EXIT_FAILED));
        }
    }
    let store = Store::open_in(dir).map_err(|e| fail(e, EXIT_FAILED))?;
    let entry = sync::reset_by(dir, &store, Trigger::Cli, &sync::Clock::system())
        .map_err(|e| fail(e, EXIT_FAILED))?;
    eprintln!(
        "The stored delta link was dropped (history entry {}).",
        entry.id
    );
    Ok(())
}

fn progress_line(p: &Progress) {
    let total = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
    let line = match p.phase {
        Phase::Fetching => format!(
            "Reading Azure AD: page {}, {} users{total}",
            p.pages, p.users
        ),
        Phase::Applying => format!("Applying: {}{total}", p.applied),
    };
    let mut err = std::io::stderr();
    let _ = write!(err, "\r{line:<60}");
    let _ = err.flush();
}

fn report(dir: &DataDir, run: &RunRecord, json: bool) -> ExitCode {
    let show_changes = matches!(run.status, RunStatus::Preview | RunStatus::NeedsApproval);
    let changes = if show_changes {
        match Store::open_in(dir)
            .map_err(|e| e.to_string())
            .and_then(|s| all_changes(&s, run.id).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => return fail(e, EXIT_FAILED),
        }
    } else {
        Vec::new()
    };
    if json {
        let mut v = serde_json::json!({ "run": run });
        if show_changes {
            v["changes"] = serde_json::to_value(&changes).expect("changes serialize");
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&v).expect("run serializes")
        );
    } else {
        print_text(run, &changes);
    }
    match run.status {
        RunStatus::Success | RunStatus::Preview => ExitCode::SUCCESS,
        RunStatus::NeedsApproval => Exit::NeedsApproval.into(),
        _ => EXIT_FAILED.into(),
    }
}

fn all_changes(store: &Store, run_id: i64) -> Result<Vec<ChangeRecord>, runs::RunsError> {
    let mut out = Vec::new();
    loop {
        let page = runs::changes(store.conn(), run_id, out.len() as u64, 1000)?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

fn who(c: &ChangeRecord) -> String {
    match (&c.name, &c.upn) {
        (Some(n), Some(u)) => format!("{n} <{u}>"),
        (Some(n), None) => n.clone(),
        (None, Some(u)) => u.clone(),
        (None, None) => c.user_id.clone(),
    }
}

fn print_text(run: &RunRecord, changes: &[ChangeRecord]) {
    let c = &run.counts;
    let round = if run.full_round {
        format!(
            "full round: {}",
            run.full_round_reason.as_deref().unwrap_or("requested")
        )
    } else {
        "incremental".to_string()
    };
    let verb = match run.status {
        RunStatus::Success => "Sync complete",
        RunStatus::Preview => "Preview (nothing applied)",
        RunStatus::NeedsApproval => "Needs approval (nothing applied)",
        RunStatus::Cancelled => "Cancelled (nothing applied)",
        _ => "Sync ended",
    };
    println!(
        "{verb}: {} added, {} updated, {} removed, {} unchanged, {} failed; groups: {} joined, {} left ({round}; {} pages)",
        c.added, c.updated, c.removed, c.unchanged, c.failed, c.group_joined, c.group_left, run.traffic.pages
    );
    if run.status == RunStatus::NeedsApproval {
        if let Some(e) = &run.error {
            println!("{e}");
        }
    }
    for ch in changes {
        match ch.kind {
            ChangeKind::Added => println!("+ {}", who(ch)),
            ChangeKind::Updated => {
                println!("~ {}", who(ch));
                for f in ch.detail["changes"].as_array().into_iter().flatten() {
                    let val = |v: &serde_json::Value| v.as_str().unwrap_or("(empty)").to_string();
                    println!(
                        "    {}: {} -> {}",
                        f["field"].as_str().unwrap_or("?"),
                        val(&f["old"]),
                        val(&f["new"])
                    );
                }
            }
            ChangeKind::Removed => println!(
                "- {} ({})",
                who(ch),
                match ch.reason.as_deref() {
                    Some("soft") => "deleted, restorable",
                    Some("hard") => "permanently deleted",
                    Some("swept") => "no longer in Azure AD",
                    _ => "removed",
                }
            ),
            ChangeKind::Failed => println!(
                "! {}: {}",
                who(ch),
                ch.reason.as_deref().unwrap_or("failed")
            ),
            ChangeKind::Joined | ChangeKind::Left => {}
        }
    }
    if run.status == RunStatus::NeedsApproval {
        println!("Run `dirsync sync --allow-deletes` to apply.");
    }
}
