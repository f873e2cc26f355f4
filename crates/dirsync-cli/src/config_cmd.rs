//! `dirsync config get|set|list`.

use std::process::ExitCode;

use clap::Subcommand;
use dirsync::settings;

use crate::context::{fail, open_store, EXIT_FAILED, EXIT_USAGE};

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print one setting's value
    Get { key: String },
    /// Change one setting
    Set { key: String, value: String },
    /// Print every setting with its value
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: ConfigCommand) -> ExitCode {
    let store = match open_store() {
        Ok(s) => s,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let usage_or_failed = |e: settings::SettingsError| match e {
        settings::SettingsError::Unknown(_) | settings::SettingsError::Invalid { .. } => {
            fail(e, EXIT_USAGE)
        }
        other => fail(other, EXIT_FAILED),
    };
    match cmd {
        ConfigCommand::Get { key } => match settings::get(&store, &key) {
            Ok(v) => {
                println!("{v}");
                ExitCode::SUCCESS
            }
            Err(e) => usage_or_failed(e),
        },
        ConfigCommand::Set { key, value } => match settings::set(&store, &key, &value) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage_or_failed(e),
        },
        ConfigCommand::List { json } => match settings::list(&store) {
            Ok(all) if json => {
                let map: serde_json::Map<_, _> = all
                    .into_iter()
                    .map(|(k, v)| (k.name.to_string(), serde_json::Value::String(v)))
                    .collect();
                println!("{}", serde_json::Value::Object(map));
                ExitCode::SUCCESS
            }
            Ok(all) => {
                for (k, v) in all {
                    println!("{:<12} {:<40} # {}", k.name, v, k.description);
                }
                ExitCode::SUCCESS
            }
            Err(e) => usage_or_failed(e),
        },
    }
}
