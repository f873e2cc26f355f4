//! `dirsync mapping list|set|remove|attributes`: Manage Mapping from the command line.

use std::process::ExitCode;

use clap::Subcommand;
use dirsync::directory::{self, DirectoryError};
use dirsync::mapping::{self, MappingError, MappingRow};
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

impl Edit<'_> {
    fn apply(&self, rows: Vec<MappingRow>) -> Result<Vec<MappingRow>, MappingError> {
        match *self {
            Edit::Set(field, attribute) => Ok(mapping::with_field(rows, field, attribute)),
            Edit::Remove(field) => mapping::without_field(rows, field),
        }
    }
}

/// Saves a mapping change and, when the stored attributes already hold what it needs, refreshes every
/// user's fields in the same transaction; otherwise says that the next sync is a full round.
fn change(store: &mut dirsync::store::Store, edit: Edit) -> ExitCode {
    let tx = match store.conn_mut().transaction() {
        Ok(tx) => tx,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    // The edit is applied to the stored rows, then saved (and users refreshed) through the core.
    let rows = match mapping::load(&tx).and_then(|m| edit.apply(m.rows().to_vec())) {
        Ok(rows) => rows,
        Err(e @ MappingError::Sql(_)) => return fail(e, EXIT_FAILED),
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let saved = match directory::save_mapping(&tx, &rows) {
        Ok(saved) => saved,
        Err(DirectoryError::Mapping(e @ MappingError::Sql(_))) => return fail(e, EXIT_FAILED),
        Err(DirectoryError::Mapping(e)) => return fail(e, EXIT_USAGE),
        Err(e) => return fail(e, EXIT_FAILED),
    };
    let (outcome, refreshed) = (saved.outcome, saved.refreshed.len());
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
