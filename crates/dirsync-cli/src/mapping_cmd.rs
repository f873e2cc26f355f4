//! `dirsync mapping list|set|remove|attributes`: Manage Mapping from the command line.

use std::process::ExitCode;

use clap::Subcommand;
use dirsync::directory;
use dirsync::mapping::{self, MappingError, SaveOutcome};
use serde_json::json;

use crate::context::{fail, open_store, EXIT_FAILED, EXIT_USAGE};

#[derive(Subcommand)]
pub enum MappingCommand {
    /// Print each directory field with its Azure AD attribute
    List {
        #[arg(long)]
        json: bool,
    },
    /// Point FIELD at ATTRIBUTE, adding the field when it is new
    /// (ATTRIBUTE: a user property, onPremisesExtensionAttributes.extensionAttributeN, or extension_<appId>_<name>)
    Set { field: String, attribute: String },
    /// Remove an added field (built-in fields cannot be removed)
    Remove { field: String },
    /// Print the Azure AD user attributes that can be mapped
    Attributes,
}

pub fn run(cmd: MappingCommand) -> ExitCode {
    let mut store = match open_store() {
        Ok(s) => s,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    match cmd {
        MappingCommand::List { json } => match mapping::load(store.conn()) {
            Ok(m) if json => {
                let rows: Vec<_> = m
                    .rows()
                    .iter()
                    .map(|r| json!({"field": r.field, "attribute": r.source, "builtin": r.builtin}))
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
                ExitCode::SUCCESS
            }
            Ok(m) => {
                let width = m
                    .rows()
                    .iter()
                    .map(|r| r.field.chars().count())
                    .max()
                    .unwrap_or(0);
                for r in m.rows() {
                    let kind = if r.builtin { "built-in" } else { "added" };
                    println!("{:<width$}  {:<52} {kind}", r.field, r.source);
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e, EXIT_FAILED),
        },
        MappingCommand::Set { field, attribute } => {
            change(&mut store, Edit::Set(&field, &attribute))
        }
        MappingCommand::Remove { field } => change(&mut store, Edit::Remove(&field)),
        MappingCommand::Attributes => {
            for a in mapping::known_attributes() {
                println!("{:<52} {}", a.name, a.description);
            }
            println!(
                "{:<52} directory extension attribute, typed by name",
                "extension_<appId>_<name>"
            );
            ExitCode::SUCCESS
        }
    }
}

enum Edit<'a> {
    Set(&'a str, &'a str),
    Remove(&'a str),
}

/// Saves a mapping change and, when the stored attributes already hold what it needs, refreshes every
/// user's fields in the same transaction; otherwise says that the next sync is a full round.
fn change(store: &mut dirsync::store::Store, edit: Edit) -> ExitCode {
    let tx = match store.conn_mut().transaction() {
        Ok(tx) => tx,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let saved: Result<SaveOutcome, MappingError> = match edit {
        Edit::Set(field, attribute) => mapping::set_field(&tx, field, attribute),
        Edit::Remove(field) => mapping::remove_field(&tx, field),
    };
    let outcome = match saved {
        Ok(o) => o,
        Err(e @ MappingError::Sql(_)) => return fail(e, EXIT_FAILED),
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let refreshed = if outcome.full_round_required {
        0
    } else {
        let mapping = match mapping::load(&tx) {
            Ok(m) => m,
            Err(e) => return fail(e, EXIT_FAILED),
        };
        match directory::remap_all(&tx, &mapping) {
            Ok(changed) => changed.len(),
            Err(e) => return fail(e, EXIT_FAILED),
        }
    };
    if let Err(e) = tx.commit() {
        return fail(e, EXIT_FAILED);
    }
    if outcome.full_round_required {
        println!(
            "Saved. The next sync re-reads every user (a full round): the stored delta link does not track {}.",
            outcome.untracked.join(", ")
        );
    } else {
        println!("Saved. {refreshed} users updated from their stored attributes.");
    }
    ExitCode::SUCCESS
}
