//! Reading the directory: counts, indexed search with stable paging, one entry in full.

use rusqlite::{params_from_iter, types::Value as SqlValue, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};

use super::matching::Matching;
use super::{is_guest, DirectoryError, Page, Query, SortKey, UserDetail, UserSummary};
use crate::groups;
use crate::mapping::{self, FIELD_CITY, FIELD_NAME, FIELD_PHONE};

/// Number of users in the directory.
pub fn count(conn: &Connection) -> Result<u64, DirectoryError> {
    let n: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// Every object id in the directory, sorted (the sweep after a full round compares against it).
pub fn all_ids(conn: &Connection) -> Result<Vec<String>, DirectoryError> {
    let mut stmt = conn.prepare("SELECT id FROM users ORDER BY id")?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

const SUMMARY_COLUMNS: &str =
    "u.id, u.upn, u.mail, u.name, u.phone, u.city, u.job_title, u.department, u.account_enabled, u.user_type, u.fields";

/// One page of users matching `query.text`, in a stable order (ties broken by `seq`, the order
/// users were added in).
///
/// Each word of the text must match the start of a word in name, UPN, mail, phone, city, department or
/// job title (full-text index, so this stays fast on 100,000 users). A text of digits and phone
/// punctuation also matches phone numbers that contain those digits, whatever their formatting
/// (see [`super::matching`]).
pub fn search(conn: &Connection, query: &Query) -> Result<Page<UserSummary>, DirectoryError> {
    let mapping = mapping::load(conn).map_err(|e| match e {
        mapping::MappingError::Sql(e) => DirectoryError::Sql(e),
        other => DirectoryError::Damaged {
            id: "mapping".into(),
            reason: other.to_string(),
        },
    })?;
    let added: Vec<String> = mapping.added_rows().map(|r| r.field.clone()).collect();
    let matching = Matching::parse(&query.text);

    let users: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    let total: i64 = match &matching {
        Some(m) => {
            let mut args = Vec::new();
            let sql = m.count_sql(&mut args);
            conn.query_row(&sql, params_from_iter(args.iter()), |r| r.get(0))?
        }
        None => users,
    };
    let (sort_expr, sort_arg) = sort_expression(&query.sort);

    // Two ways to a page: fetch every match and sort them (cheap when matches are few), or walk the
    // sort column's index in order, keeping matching entries until the page is full (cheap when
    // matches are many: "a" matches a third of the directory). Walking reads about
    // window × users / total index entries, fetching reads `total` rows, plus for phone-like text a
    // pass over the whole phone index (about users / 16 row reads' worth, measured on 100,000 users):
    // walk when that is fewer.
    let window = query
        .offset
        .saturating_add(query.limit)
        .min(i64::MAX as u64) as i64;
    let fetch_extra = match &matching {
        Some(m) if m.scans_phones() => users / 16,
        _ => 0,
    };
    let walk_index = sort_arg.is_none()
        && sort_expr != "u.added_at"
        && sort_expr != "u.changed_at" // no index serves these two orders
        && total.saturating_mul(total.saturating_add(fetch_extra)) >= window.saturating_mul(users);
    let mut args: Vec<SqlValue> = Vec::new();
    let filter = match &matching {
        Some(m) => format!("WHERE {}", m.condition(walk_index, &mut args)),
        None => String::new(),
    };

    if let Some(arg) = sort_arg {
        args.push(SqlValue::Text(arg));
    }
    let sort_param = args.len();
    let order = if query.descending {
        // Mirror of the ascending order (empty values first), so the index serves both directions.
        format!("({sort_expr}) IS NULL DESC, {sort_expr} COLLATE NOCASE DESC, u.seq DESC")
    } else {
        format!("({sort_expr}) IS NULL, {sort_expr} COLLATE NOCASE, u.seq")
    };
    let order = order.replace("?S", &format!("?{sort_param}"));
    args.push(SqlValue::Integer(query.limit.min(i64::MAX as u64) as i64));
    args.push(SqlValue::Integer(query.offset.min(i64::MAX as u64) as i64));
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM users u {filter} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    let mut stmt = conn.prepare(&sql)?;
    let items = stmt
        .query_map(params_from_iter(args.iter()), |r| summary(r, &added))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        items,
        total: total as u64,
        offset: query.offset,
    })
}

/// The entry with this object id, or else this UPN (case-insensitive).
pub fn get(conn: &Connection, id_or_upn: &str) -> Result<Option<UserDetail>, DirectoryError> {
    let key = id_or_upn.trim();
    let select =
        "SELECT id, upn, mail, display_name, job_title, department, account_enabled, user_type,
                         fields, raw, added_at, changed_at FROM users";
    let found = conn
        .query_row(&format!("{select} WHERE id = ?1"), [key], detail_row)
        .optional()?;
    let found = match found {
        Some(f) => Some(f),
        None => conn
            .query_row(
                // The form that users_sort_upn serves.
                &format!(
                    "{select} WHERE (upn IS NULL) = 0 AND upn = ?1 COLLATE NOCASE ORDER BY seq LIMIT 1"
                ),
                [key],
                detail_row,
            )
            .optional()?,
    };
    let Some(mut detail) = found else {
        return Ok(None);
    };
    let mapping = mapping::load(conn).map_err(|e| DirectoryError::Damaged {
        id: "mapping".into(),
        reason: e.to_string(),
    })?;
    let stored = detail.fields_map.take().unwrap_or_default();
    detail.detail.fields = mapping
        .rows()
        .iter()
        .map(|r| {
            let v = stored
                .get(&r.field)
                .and_then(Value::as_str)
                .map(str::to_string);
            (r.field.clone(), v)
        })
        .collect();
    detail.detail.raw = detail.raw;
    detail.detail.groups = groups::groups_of(conn, &detail.detail.id)?;
    Ok(Some(detail.detail))
}

struct DetailRow {
    detail: UserDetail,
    fields_map: Option<Map<String, Value>>,
    raw: Value,
}

fn detail_row(r: &Row) -> rusqlite::Result<DetailRow> {
    let upn: Option<String> = r.get(1)?;
    let user_type: Option<String> = r.get(7)?;
    let fields: String = r.get(8)?;
    let raw: String = r.get(9)?;
    Ok(DetailRow {
        detail: UserDetail {
            id: r.get(0)?,
            guest: is_guest(user_type.as_deref(), upn.as_deref()),
            upn,
            mail: r.get(2)?,
            display_name: r.get(3)?,
            job_title: r.get(4)?,
            department: r.get(5)?,
            account_enabled: r.get(6)?,
            user_type,
            fields: Vec::new(),
            added_at: r.get(10)?,
            changed_at: r.get(11)?,
            groups: Vec::new(),
            raw: Value::Null,
        },
        fields_map: serde_json::from_str(&fields).ok(),
        raw: serde_json::from_str(&raw).unwrap_or(Value::Null),
    })
}

fn summary(r: &Row, added: &[String]) -> rusqlite::Result<UserSummary> {
    let upn: Option<String> = r.get(1)?;
    let user_type: Option<String> = r.get(9)?;
    let fields: String = r.get(10)?;
    let fields: Map<String, Value> = serde_json::from_str(&fields).unwrap_or_default();
    Ok(UserSummary {
        id: r.get(0)?,
        guest: is_guest(user_type.as_deref(), upn.as_deref()),
        upn,
        mail: r.get(2)?,
        name: r.get(3)?,
        phone: r.get(4)?,
        city: r.get(5)?,
        job_title: r.get(6)?,
        department: r.get(7)?,
        account_enabled: r.get(8)?,
        added_fields: added
            .iter()
            .map(|f| {
                let v = fields.get(f).and_then(Value::as_str).map(str::to_string);
                (f.clone(), v)
            })
            .collect(),
    })
}

/// The SQL expression to sort by; `?S` stands for the extra parameter when there is one.
fn sort_expression(key: &SortKey) -> (&'static str, Option<String>) {
    match key {
        SortKey::Name => ("u.name", None),
        SortKey::Upn => ("u.upn", None),
        SortKey::Mail => ("u.mail", None),
        SortKey::Phone => ("u.phone", None),
        SortKey::City => ("u.city", None),
        SortKey::Department => ("u.department", None),
        SortKey::JobTitle => ("u.job_title", None),
        SortKey::Added => ("u.added_at", None),
        SortKey::Changed => ("u.changed_at", None),
        SortKey::Field(f) if f.eq_ignore_ascii_case(FIELD_NAME) => ("u.name", None),
        SortKey::Field(f) if f.eq_ignore_ascii_case(FIELD_PHONE) => ("u.phone", None),
        SortKey::Field(f) if f.eq_ignore_ascii_case(FIELD_CITY) => ("u.city", None),
        // Added fields live in the JSON column; a quoted path label reads names with dots and spaces
        // (field names cannot contain a double quote, see mapping validation).
        SortKey::Field(f) => ("json_extract(u.fields, ?S)", Some(format!("$.\"{f}\""))),
    }
}

/// For Manage Mapping: each row's value for the first synced user (`None` when there is no user yet,
/// or that user has no value). Works on unsaved rows, so the table can preview an edit.
pub fn sample_values(
    conn: &Connection,
    rows: &[mapping::MappingRow],
) -> Result<Vec<Option<String>>, DirectoryError> {
    let raw: Option<String> = conn
        .query_row("SELECT raw FROM users ORDER BY seq LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let raw: Value = match raw {
        Some(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
        None => Value::Null,
    };
    Ok(rows
        .iter()
        .map(|r| {
            let source = mapping::canonical_source(r.source.trim()).unwrap_or_default();
            mapping::value_of(&raw, &source)
        })
        .collect())
}
