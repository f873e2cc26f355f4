//! Export directory (CSV): every user with every mapped field, streamed row by row.

use std::io::Write;

use rusqlite::{params_from_iter, Connection};
use serde_json::{Map, Value};

use super::matching::Matching;
use super::{account_state, is_guest, DirectoryError};
use crate::mapping;

/// Writes the directory as RFC 4180 CSV (UTF-8, CRLF line ends), sorted by name then object id.
/// Columns: Object id, UPN, Mail, every mapped field in mapping order, Job title, Department,
/// Account state, User type, Added, Changed. Returns the number of users written.
pub fn export_csv(conn: &Connection, out: &mut impl Write) -> Result<u64, DirectoryError> {
    export_csv_matching(conn, "", out)
}

/// [`export_csv`] restricted to the users a [`super::search`] for `text` finds.
pub fn export_csv_matching(
    conn: &Connection,
    text: &str,
    out: &mut impl Write,
) -> Result<u64, DirectoryError> {
    let mapping = mapping::load(conn).map_err(|e| DirectoryError::Damaged {
        id: "mapping".into(),
        reason: e.to_string(),
    })?;
    let mut header: Vec<String> = vec!["Object id".into(), "UPN".into(), "Mail".into()];
    header.extend(mapping.rows().iter().map(|r| r.field.clone()));
    header.extend(
        [
            "Job title",
            "Department",
            "Account state",
            "User type",
            "Added",
            "Changed",
        ]
        .map(String::from),
    );
    write_record(out, header.iter().map(|h| Some(h.as_str())))?;

    let mut args = Vec::new();
    let filter = match Matching::parse(text) {
        // Few or many matches alike: the export reads every match in name order anyway.
        Some(m) => format!("WHERE {}", m.condition(false, &mut args)),
        None => String::new(),
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT u.id, u.upn, u.mail, u.fields, u.job_title, u.department, u.account_enabled, u.user_type,
                u.added_at, u.changed_at
         FROM users u {filter} ORDER BY u.name IS NULL, u.name COLLATE NOCASE, u.seq"
    ))?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut written = 0u64;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let upn: Option<String> = r.get(1)?;
        let fields: String = r.get(3)?;
        let fields: Map<String, Value> =
            serde_json::from_str(&fields).map_err(|e| DirectoryError::Damaged {
                id: id.clone(),
                reason: format!("fields are not a JSON object: {e}"),
            })?;
        let user_type: Option<String> = r.get(7)?;
        let kind = match (is_guest(user_type.as_deref(), upn.as_deref()), &user_type) {
            (true, _) => Some("Guest".to_string()),
            (false, Some(t)) => Some(t.clone()),
            (false, None) => None,
        };
        let mut record: Vec<Option<String>> = vec![Some(id.clone()), upn, r.get(2)?];
        record.extend(mapping.rows().iter().map(|row| {
            fields
                .get(&row.field)
                .and_then(Value::as_str)
                .map(str::to_string)
        }));
        record.push(r.get(4)?);
        record.push(r.get(5)?);
        record.push(Some(account_state(r.get(6)?).to_string()));
        record.push(kind);
        record.push(r.get(8)?);
        record.push(r.get(9)?);
        write_record(out, record.iter().map(Option::as_deref))?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

fn write_record<'a>(
    out: &mut impl Write,
    cells: impl Iterator<Item = Option<&'a str>>,
) -> std::io::Result<()> {
    let line: Vec<String> = cells.map(|c| cell(c.unwrap_or(""))).collect();
    write!(out, "{}\r\n", line.join(","))
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would run it as a formula.
fn cell(value: &str) -> String {
    let value = if is_formula(value) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\r', '\n']) || value.starts_with(' ') || value.ends_with(' ') {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Spreadsheets evaluate cells starting with = + - @ (and tab/CR). Phone numbers such as
/// "+1 555 0100" or "-" placeholders are left alone; anything else with such a start is prefixed with '.
fn is_formula(value: &str) -> bool {
    let mut chars = value.chars();
    match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !chars.all(|c| c.is_ascii_digit() || " ()-./x".contains(c)),
        _ => false,
    }
}
