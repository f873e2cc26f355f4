//! `dirsync users list|show`: the local directory from the command line.

use std::io::Write;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use dirsync::directory::{self, Query, SortKey, UserSummary};
use serde_json::json;

use crate::context::{fail, open_store, EXIT_FAILED};

#[derive(Subcommand)]
pub enum UsersCommand {
    /// List users (all, or those matching --search), sorted by name
    List {
        /// Words to find in name, UPN, mail, phone, city, department or job title (prefixes match)
        #[arg(long)]
        search: Option<String>,
        /// Column to sort by
        #[arg(long, value_enum, default_value_t = Sort::Name)]
        sort: Sort,
        /// Sort in descending order
        #[arg(long)]
        desc: bool,
        /// Print at most this many users
        #[arg(long)]
        limit: Option<u64>,
        /// Print JSON (one array of users)
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV with every mapped field (as Export directory (CSV))
        #[arg(long)]
        csv: bool,
    },
    /// Show one user in full: every mapped field, account state, groups
    Show {
        /// Azure AD object id or UPN
        id_or_upn: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Sort {
    Name,
    Upn,
    Mail,
    Phone,
    City,
    Department,
    JobTitle,
    Added,
    Changed,
}

impl From<Sort> for SortKey {
    fn from(s: Sort) -> Self {
        match s {
            Sort::Name => SortKey::Name,
            Sort::Upn => SortKey::Upn,
            Sort::Mail => SortKey::Mail,
            Sort::Phone => SortKey::Phone,
            Sort::City => SortKey::City,
            Sort::Department => SortKey::Department,
            Sort::JobTitle => SortKey::JobTitle,
            Sort::Added => SortKey::Added,
            Sort::Changed => SortKey::Changed,
        }
    }
}

/// Users fetched per query while listing, so memory stays flat on large directories.
const PAGE: u64 = 1000;

pub fn run(cmd: UsersCommand) -> ExitCode {
    let result = match cmd {
        UsersCommand::List {
            search,
            sort,
            desc,
            limit,
            json,
            csv,
        } => list(
            search.unwrap_or_default(),
            sort.into(),
            desc,
            limit,
            json,
            csv,
        ),
        UsersCommand::Show { id_or_upn, json } => show(&id_or_upn, json),
    };
    match result {
        Ok(code) => code,
        Err(e) => fail(e, EXIT_FAILED),
    }
}

fn list(
    text: String,
    sort: SortKey,
    descending: bool,
    limit: Option<u64>,
    as_json: bool,
    as_csv: bool,
) -> Result<ExitCode, String> {
    let store = open_store()?;
    let conn = store.conn();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if as_csv && limit.is_none() {
        directory::export_csv_matching(conn, &text, &mut out).map_err(|e| e.to_string())?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut printed = 0u64;
    let mut offset = 0u64;
    let mut header_done = false;
    let max = limit.unwrap_or(u64::MAX);
    if as_json {
        write!(out, "[").map_err(io)?;
    }
    loop {
        let page = directory::search(
            conn,
            &Query {
                text: text.clone(),
                sort: sort.clone(),
                descending,
                offset,
                limit: PAGE.min(max - printed),
            },
        )
        .map_err(|e| e.to_string())?;
        if !as_json && !header_done {
            header_done = true;
            if as_csv {
                return Err("--csv lists every match; drop --limit or use --json".into());
            }
            print_header(&mut out, page.items.first(), page.total).map_err(io)?;
        }
        if page.items.is_empty() {
            break;
        }
        for user in &page.items {
            if as_json {
                let sep = if printed == 0 { "" } else { "," };
                write!(out, "{sep}{}", summary_json(user)).map_err(io)?;
            } else {
                print_row(&mut out, user).map_err(io)?;
            }
            printed += 1;
        }
        offset += page.items.len() as u64;
        if printed >= max || offset >= page.total {
            break;
        }
    }
    if as_json {
        writeln!(out, "]").map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(ExitCode::SUCCESS)
}

fn io(e: std::io::Error) -> String {
    format!("cannot write the output: {e}")
}

fn summary_json(u: &UserSummary) -> serde_json::Value {
    let added: serde_json::Map<String, serde_json::Value> = u
        .added_fields
        .iter()
        .map(|(f, v)| (f.clone(), json!(v)))
        .collect();
    json!({
        "id": u.id,
        "userPrincipalName": u.upn,
        "mail": u.mail,
        "name": u.name,
        "phone": u.phone,
        "city": u.city,
        "jobTitle": u.job_title,
        "department": u.department,
        "accountState": directory::account_state(u.account_enabled),
        "guest": u.guest,
        "fields": added,
    })
}

fn print_header(
    out: &mut impl Write,
    first: Option<&UserSummary>,
    total: u64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{total} {}",
        if total == 1 { "person" } else { "people" }
    )?;
    if first.is_none() {
        return Ok(());
    }
    let mut cols = vec![
        format!("{:<28}", "NAME"),
        format!("{:<36}", "UPN"),
        format!("{:<20}", "PHONE NUMBER"),
        format!("{:<16}", "CITY"),
    ];
    if let Some(u) = first {
        cols.extend(
            u.added_fields
                .iter()
                .map(|(f, _)| format!("{:<16}", f.to_uppercase())),
        );
    }
    cols.push("ID".into());
    writeln!(out, "{}", cols.join(" ").trim_end())
}

fn print_row(out: &mut impl Write, u: &UserSummary) -> std::io::Result<()> {
    let cell = |v: &Option<String>, w: usize| format!("{:<w$}", v.as_deref().unwrap_or("-"));
    let mut name = u.name.clone().unwrap_or_else(|| "-".into());
    if u.guest {
        name.push_str(" (guest)");
    }
    if u.account_enabled == Some(false) {
        name.push_str(" (disabled)");
    }
    let mut cols = vec![
        format!("{name:<28}"),
        cell(&u.upn, 36),
        cell(&u.phone, 20),
        cell(&u.city, 16),
    ];
    cols.extend(u.added_fields.iter().map(|(_, v)| cell(v, 16)));
    cols.push(u.id.clone());
    writeln!(out, "{}", cols.join(" "))
}

fn show(key: &str, as_json: bool) -> Result<ExitCode, String> {
    let store = open_store()?;
    let Some(u) = directory::get(store.conn(), key).map_err(|e| e.to_string())? else {
        return Err(format!(
            "no user with object id or UPN '{key}'; `dirsync users list --search {key}` searches names, mail and more"
        ));
    };
    if as_json {
        let fields: serde_json::Map<String, serde_json::Value> = u
            .fields
            .iter()
            .map(|(f, v)| (f.clone(), json!(v)))
            .collect();
        let doc = json!({
            "id": u.id,
            "userPrincipalName": u.upn,
            "mail": u.mail,
            "displayName": u.display_name,
            "jobTitle": u.job_title,
            "department": u.department,
            "accountState": u.account_state(),
            "userType": u.user_type,
            "guest": u.guest,
            "fields": fields,
            "groups": u.groups,
            "added": u.added_at,
            "changed": u.changed_at,
            "attributes": u.raw,
        });
        println!("{doc:#}");
        return Ok(ExitCode::SUCCESS);
    }
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut lines: Vec<(String, String)> =
        u.fields.iter().map(|(f, v)| (f.clone(), dash(v))).collect();
    lines.extend([
        ("Object id".into(), u.id.clone()),
        ("UPN".into(), dash(&u.upn)),
        ("Mail".into(), dash(&u.mail)),
        ("Job title".into(), dash(&u.job_title)),
        ("Department".into(), dash(&u.department)),
        ("Account state".into(), u.account_state().into()),
        (
            "User type".into(),
            if u.guest {
                "Guest".into()
            } else {
                "Member".into()
            },
        ),
        ("Groups".into(), u.groups.join(", ")),
        ("Added".into(), u.added_at.clone()),
        ("Changed".into(), u.changed_at.clone()),
    ]);
    let width = lines
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (k, v) in lines {
        println!("{k:<width$}  {v}");
    }
    Ok(ExitCode::SUCCESS)
}
