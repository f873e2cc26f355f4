//! `dirsync groups list|show|create|update|delete|members|add|remove|preview|explain|scope`:
//! groups and dynamic-membership rules from the command line.
//!
//! Exit codes: 0 success, 1 failed (database), 2 usage (invalid rule, unknown group or user,
//! duplicate name, wrong kind of group).

use std::process::ExitCode;

use clap::Subcommand;
use dirsync::directory;
use dirsync::groups::{self, GroupUpdate, GroupsError, MemberRef, RuleSaved};
use dirsync::store::Store;
use serde_json::json;

use crate::context::{fail, open_store, EXIT_FAILED, EXIT_USAGE};

#[derive(Subcommand)]
pub enum GroupsCommand {
    /// List every group with its kind and member count
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a group: kind, description, rule, member count and recent membership changes
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a dynamic group (--rule) or a static group (--static)
    Create {
        name: String,
        /// The membership rule, e.g. '(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")'
        #[arg(
            long,
            allow_hyphen_values = true,
            required_unless_present = "static_group",
            conflicts_with = "static_group"
        )]
        rule: Option<String>,
        /// A static group: members are added by hand (dirsync groups add)
        #[arg(long = "static")]
        static_group: bool,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        json: bool,
    },
    /// Rename a group, change its description, or change a dynamic group's rule (recomputes it)
    Update {
        name: String,
        #[arg(long = "name", value_name = "NEW_NAME")]
        new_name: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        rule: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a dynamic or static group (the Employee network cannot be deleted)
    Delete { name: String },
    /// List a group's members by name, optionally only those matching --search
    Members {
        name: String,
        #[arg(long, default_value = "")]
        search: String,
        #[arg(long, default_value_t = 1000)]
        limit: u64,
        #[arg(long)]
        json: bool,
    },
    /// Add people (object id or UPN) to a static group
    Add {
        name: String,
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Remove people (object id or UPN) from a static group
    Remove {
        name: String,
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Evaluate RULE against the whole directory without saving; --group compares with its members
    Preview {
        #[arg(allow_hyphen_values = true)]
        rule: String,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show which parts of RULE match USER (object id or UPN)
    Explain {
        #[arg(allow_hyphen_values = true)]
        rule: String,
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Show the sync scope, or preview RULE as the new scope (apply it with
    /// `dirsync config set sync_scope RULE`, then `dirsync sync --preview` and `dirsync sync`)
    Scope {
        #[arg(allow_hyphen_values = true)]
        rule: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: GroupsCommand) -> ExitCode {
    let mut store = match open_store() {
        Ok(s) => s,
        Err(e) => return fail(e, EXIT_FAILED),
    };
    match execute(&mut store, cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(e),
    }
}

fn report(e: GroupsError) -> ExitCode {
    match e {
        GroupsError::InvalidRule { rendered, .. } => {
            eprintln!("dirsync: the rule is not valid:\n{rendered}");
            EXIT_USAGE.into()
        }
        e @ (GroupsError::Sql(_) | GroupsError::Damaged { .. } | GroupsError::Mapping(_)) => {
            fail(e, EXIT_FAILED)
        }
        e => fail(e, EXIT_USAGE),
    }
}

fn execute(store: &mut Store, cmd: GroupsCommand) -> Result<(), GroupsError> {
    match cmd {
        GroupsCommand::List { json } => {
            let list = groups::list(store.conn())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).expect("serializable")
                );
                return Ok(());
            }
            let width = list
                .iter()
                .map(|g| g.name.chars().count())
                .max()
                .unwrap_or(0);
            for g in list {
                println!(
                    "{:<width$}  {:<8} {:>7} members{}",
                    g.name,
                    g.kind.as_str(),
                    g.member_count,
                    g.rule.map(|r| format!("  {r}")).unwrap_or_default()
                );
            }
        }
        GroupsCommand::Show { name, json } => {
            let g = groups::get(store.conn(), &name)?;
            let recent = groups::changes(store.conn(), &g.name, 20)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"group": g, "recentChanges": recent}))
                        .expect("serializable")
                );
                return Ok(());
            }
            println!("Name:        {}", g.name);
            println!("Kind:        {}", g.kind.as_str());
            if !g.description.is_empty() {
                println!("Description: {}", g.description);
            }
            if let Some(rule) = &g.rule {
                println!("Rule:        {rule}");
            }
            println!("Members:     {}", g.member_count);
            if !recent.is_empty() {
                println!("Recent changes outside sync runs:");
                for c in recent {
                    let sign = match c.change {
                        groups::Membership::Joined => '+',
                        groups::Membership::Left => '-',
                    };
                    println!("  {}  {sign} {}  ({})", c.at, c.user_id, c.cause);
                }
            }
        }
        GroupsCommand::Create {
            name,
            rule,
            static_group: _,
            description,
            json,
        } => {
            let tx = store.conn_mut().transaction()?;
            let saved = match &rule {
                Some(rule) => groups::create_dynamic(&tx, &name, &description, rule)?,
                None => {
                    groups::create_static(&tx, &name, &description)?;
                    RuleSaved::default()
                }
            };
            tx.commit()?;
            print_saved(&name, &saved, json, "Created");
        }
        GroupsCommand::Update {
            name,
            new_name,
            rule,
            description,
            json,
        } => {
            let change = GroupUpdate {
                name: new_name.clone(),
                description,
                rule: rule.clone(),
            };
            let tx = store.conn_mut().transaction()?;
            let saved = groups::update(&tx, &name, &change)?;
            tx.commit()?;
            let shown = new_name.unwrap_or(name);
            print_saved(&shown, &saved, json, "Updated");
        }
        GroupsCommand::Delete { name } => {
            groups::delete(store.conn(), &name)?;
            println!("Deleted {}.", name.trim());
        }
        GroupsCommand::Members {
            name,
            search,
            limit,
            json,
        } => {
            let page = groups::members(store.conn(), &name, &search, 0, limit)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&page).expect("serializable")
                );
                return Ok(());
            }
            for m in &page.items {
                println!("{}", line(m));
            }
            if page.total > page.items.len() as u64 {
                eprintln!(
                    "({} of {} shown; use --limit)",
                    page.items.len(),
                    page.total
                );
            }
        }
        GroupsCommand::Add { name, users } => {
            let ids = resolve(store, &users)?;
            let n = groups::add_members(store.conn(), &name, &ids)?;
            println!("Added {n} (already members: {}).", ids.len() - n);
        }
        GroupsCommand::Remove { name, users } => {
            let ids = resolve(store, &users)?;
            let n = groups::remove_members(store.conn(), &name, &ids)?;
            println!("Removed {n} (not members: {}).", ids.len() - n);
        }
        GroupsCommand::Preview { rule, group, json } => {
            let p = groups::preview_rule(store.conn(), &rule, group.as_deref())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&p).expect("serializable")
                );
                return Ok(());
            }
            let against = if group.is_some() {
                "against the saved rule"
            } else {
                "(a new group)"
            };
            println!(
                "Matches {} people · +{} −{} {against}",
                p.matches, p.added, p.removed
            );
            for m in &p.added_sample {
                println!("+ {}", line(m));
            }
            for m in &p.removed_sample {
                println!("- {}", line(m));
            }
            if !p.untracked.is_empty() {
                println!(
                    "The directory does not hold {} yet: after saving, the next sync is a full round that fetches it.",
                    p.untracked.join(", ")
                );
            }
        }
        GroupsCommand::Explain { rule, user, json } => {
            let e = groups::explain_for(store.conn(), &rule, &user)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&e).expect("serializable")
                );
                return Ok(());
            }
            println!(
                "{}",
                if e.matched {
                    "Matches"
                } else {
                    "Does not match"
                }
            );
            for t in e.terms {
                println!(
                    "  {} {}   (value: {})",
                    if t.matched { "✓" } else { "✗" },
                    t.text,
                    t.actual.as_deref().unwrap_or("none")
                );
            }
        }
        GroupsCommand::Scope { rule, json } => {
            let text = match rule {
                Some(r) => r,
                None => groups::scope::current(store.conn())?,
            };
            let p = groups::preview_scope(store.conn(), &text)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&p).expect("serializable")
                );
                return Ok(());
            }
            println!("Scope: {}", p.rule);
            println!("Keeps {} people · removes {}", p.kept, p.removed);
            for m in &p.removed_sample {
                println!("- {}", line(m));
            }
            if p.changed {
                println!(
                    "This is not the scope the directory was last synced under: the next sync is a full round, \
                     under the deletion guard, and also finds the people it adds."
                );
            }
        }
    }
    Ok(())
}

fn print_saved(name: &str, saved: &RuleSaved, json: bool, verb: &str) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(saved).expect("serializable")
        );
        return;
    }
    println!(
        "{verb} {}. +{} −{} members.",
        name.trim(),
        saved.joined.len(),
        saved.left.len()
    );
    if saved.full_round_required {
        println!(
            "The next sync re-reads every user (a full round): the stored delta link does not track {}.",
            saved.untracked.join(", ")
        );
    }
}

fn line(m: &MemberRef) -> String {
    let mut s = m.name.clone().unwrap_or_else(|| m.id.clone());
    if let Some(upn) = &m.upn {
        s.push_str(&format!(" <{upn}>"));
    }
    let role: Vec<&str> = [m.job_title.as_deref(), m.department.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !role.is_empty() {
        s.push_str(&format!(" · {}", role.join(", ")));
    }
    s
}

/// Object ids for ids or UPNs, so admins can type either.
fn resolve(store: &Store, users: &[String]) -> Result<Vec<String>, GroupsError> {
    users
        .iter()
        .map(|u| match directory::get(store.conn(), u) {
            Ok(Some(d)) => Ok(d.id),
            Ok(None) => Err(GroupsError::UnknownUser(u.clone())),
            Err(directory::DirectoryError::Sql(e)) => Err(GroupsError::Sql(e)),
            Err(e) => Err(GroupsError::Damaged {
                id: u.clone(),
                reason: e.to_string(),
            }),
        })
        .collect()
}
