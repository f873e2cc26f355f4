//! `dirsync`: the headless front end of Directory Sync, for servers and schedulers.
//! Every command is a thin adapter over the `dirsync` core crate.
//!
//! Exit codes: 0 success, 1 failed, 2 usage, 3 needs approval, 4 sign-in required.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod auth_cmd;
mod config_cmd;
mod context;
mod groups_cmd;
mod mapping_cmd;
mod rules_cmd;
mod runs_cmd;
mod status_cmd;
mod sync_cmd;
mod users_cmd;

#[derive(Parser)]
#[command(name = "dirsync", version = dirsync::VERSION, about = "Keep a local organization directory in sync with Entra ID (Azure AD)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read and change settings (authority, tenant, client_id, graph_url, ...)
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Groups: list, show, create and edit dynamic (rule) and static groups, members, sync scope
    #[command(subcommand)]
    Groups(groups_cmd::GroupsCommand),
    /// Check and evaluate dynamic-membership rules (Entra ID syntax)
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
    /// Sign in with Microsoft (opens the browser), or as the application with --app
    SignIn(auth_cmd::SignInArgs),
    /// Remove the stored sign-in
    SignOut,
    /// Show the signed-in account and tenant, or why a sign-in is needed (exit 4)
    Status(status_cmd::StatusArgs),
    /// List and show users of the local directory
    #[command(subcommand)]
    Users(users_cmd::UsersCommand),
    /// Show and change which Azure AD attribute fills each directory field
    #[command(subcommand)]
    Mapping(mapping_cmd::MappingCommand),
    /// The AAD sync history: list runs, show one, export its log (text, JSON Lines, CSV)
    #[command(subcommand)]
    Runs(runs_cmd::RunsCommand),
    /// Sync the directory with Azure AD now (exit 3: needs approval, 4: sign-in required)
    Sync(sync_cmd::SyncArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                context::EXIT_USAGE.into()
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Config(cmd) => config_cmd::run(cmd),
        Command::Groups(cmd) => groups_cmd::run(cmd),
        Command::Rules(cmd) => rules_cmd::run(cmd),
        Command::SignIn(args) => auth_cmd::sign_in(args),
        Command::SignOut => auth_cmd::sign_out(),
        Command::Status(args) => status_cmd::run(args),
        Command::Users(cmd) => users_cmd::run(cmd),
        Command::Mapping(cmd) => mapping_cmd::run(cmd),
        Command::Runs(cmd) => runs_cmd::run(cmd),
        Command::Sync(args) => sync_cmd::run(args),
    }
}
