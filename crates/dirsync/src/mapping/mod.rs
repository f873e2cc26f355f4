//! Attribute mapping (Manage Mapping): which Graph user property fills each directory field.
//!
//! Three built-in fields always exist (Name ← displayName, Phone number ← mobilePhone falling back to
//! the first businessPhones, City ← city); the admin may point them at other properties and add or
//! remove further fields. The mapping decides the `$select` of a delta round: when it needs a property
//! the stored delta link does not track, the next run must be a full round (see [`requires_full_round`]).

mod attributes;
pub(crate) mod values;

use std::collections::BTreeSet;

use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::Value;

pub use attributes::{
    canonical_source, is_directory_extension, known_attributes, select_name, AttributeSpec,
    AttributeType,
};
pub use values::value_of;

/// Field names of the built-in rows, in display order, with their default sources.
pub const BUILTIN_FIELDS: &[(&str, &str)] = &[
    ("Name", "displayName"),
    ("Phone number", "mobilePhone"),
    ("City", "city"),
];
pub const FIELD_NAME: &str = "Name";
pub const FIELD_PHONE: &str = "Phone number";
pub const FIELD_CITY: &str = "City";

/// Properties the engine reads whatever the mapping says (identity, account state, search columns).
pub const ENGINE_ATTRIBUTES: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "userType",
    "jobTitle",
    "department",
];

/// Longest accepted directory field name.
pub const MAX_FIELD_LEN: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("row {row} ({field}): {reason}")]
    InvalidRow {
        /// 1-based position in the mapping table.
        row: usize,
        field: String,
        reason: String,
    },
    #[error(
        "the built-in field '{0}' cannot be removed; map it to another Azure AD attribute instead"
    )]
    BuiltinRemoved(String),
    #[error("there is no directory field named '{0}'; `dirsync mapping list` shows the fields")]
    UnknownField(String),
    #[error("database error while reading or saving the mapping: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// One row of the mapping table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingRow {
    /// The directory field name shown as a column ("Name", "Cost center").
    pub field: String,
    /// The Graph attribute: "displayName", "onPremisesExtensionAttributes.extensionAttribute3",
    /// "extension_<appid>_<name>".
    pub source: String,
    /// Built-in rows can be re-pointed but not removed.
    pub builtin: bool,
}

impl MappingRow {
    pub fn new(field: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            source: source.into(),
            builtin: false,
        }
    }
}

/// A validated mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    rows: Vec<MappingRow>,
}

/// What saving a mapping means for the next run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaveOutcome {
    /// Graph properties the new mapping needs that the stored delta link does not track.
    pub untracked: Vec<String>,
    /// True when `untracked` is non-empty: the next run re-reads every user (a full round).
    pub full_round_required: bool,
}

impl Mapping {
    /// The built-in default mapping.
    pub fn defaults() -> Self {
        Self {
            rows: BUILTIN_FIELDS
                .iter()
                .map(|(f, s)| MappingRow {
                    field: f.to_string(),
                    source: s.to_string(),
                    builtin: true,
                })
                .collect(),
        }
    }

    /// Validates rows (see [`validate`]) into a mapping.
    pub fn from_rows(rows: &[MappingRow]) -> Result<Self, MappingError> {
        validate(rows).map(|rows| Self { rows })
    }

    pub fn rows(&self) -> &[MappingRow] {
        &self.rows
    }

    /// The row for `field` (case-insensitive).
    pub fn row(&self, field: &str) -> Option<&MappingRow> {
        self.rows
            .iter()
            .find(|r| r.field.eq_ignore_ascii_case(field.trim()))
    }

    /// Rows the admin added (after the built-in ones).
    pub fn added_rows(&self) -> impl Iterator<Item = &MappingRow> {
        self.rows.iter().filter(|r| !r.builtin)
    }

    /// The sorted, deduplicated `$select` of a delta round: mapped sources plus [`ENGINE_ATTRIBUTES`].
    pub fn graph_select(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = ENGINE_ATTRIBUTES.iter().map(|a| a.to_string()).collect();
        for row in &self.rows {
            names.insert(select_name(&row.source).to_string());
            if row.source == "mobilePhone" {
                names.insert("businessPhones".to_string());
            }
        }
        names.into_iter().collect()
    }

    /// Every mapped field of `user` (a Graph user object or the stored merged one), in row order.
    pub fn fields(&self, user: &Value) -> Vec<(String, Option<String>)> {
        self.rows
            .iter()
            .map(|r| (r.field.clone(), value_of(user, &r.source)))
            .collect()
    }
}

/// Checks rows and returns them normalized: trimmed names, built-in rows first with their canonical
/// names, sources in Graph's spelling. Errors name the 1-based row.
pub fn validate(rows: &[MappingRow]) -> Result<Vec<MappingRow>, MappingError> {
    let mut out: Vec<MappingRow> = Vec::with_capacity(rows.len());
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let field = row.field.trim();
        let invalid = |reason: String| MappingError::InvalidRow {
            row: n,
            field: if field.is_empty() {
                "no name".to_string()
            } else {
                field.to_string()
            },
            reason,
        };
        if field.is_empty() {
            return Err(invalid(
                "the directory field name is empty; type a name".into(),
            ));
        }
        if field.chars().count() > MAX_FIELD_LEN {
            return Err(invalid(format!(
                "the directory field name is longer than {MAX_FIELD_LEN} characters"
            )));
        }
        if field.chars().any(|c| c.is_control() || c == '"') {
            return Err(invalid(
                "the directory field name contains a double quote or a control character".into(),
            ));
        }
        if let Some((_, first)) = seen.iter().find(|(f, _)| f.eq_ignore_ascii_case(field)) {
            return Err(invalid(format!(
                "the field name '{field}' is already used by row {first}; field names must be unique"
            )));
        }
        seen.push((field.to_string(), n));
        let source = row.source.trim();
        if source.is_empty() {
            return Err(invalid(
                "no Azure AD attribute chosen; pick one from the list".into(),
            ));
        }
        let Some(source) = canonical_source(source) else {
            return Err(invalid(format!(
                "'{source}' is not a known Azure AD user attribute; pick one from the list, or type a \
                 directory extension attribute as extension_<appId without hyphens>_<name>"
            )));
        };
        let builtin = BUILTIN_FIELDS
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field));
        out.push(MappingRow {
            field: builtin.map_or(field, |(f, _)| f).to_string(),
            source,
            builtin: builtin.is_some(),
        });
    }
    for (name, _) in BUILTIN_FIELDS {
        if !out.iter().any(|r| r.field == *name) {
            return Err(MappingError::BuiltinRemoved(name.to_string()));
        }
    }
    // Built-in rows first, in their fixed order, so Name/Phone number/City lead every table.
    out.sort_by_key(|r| {
        BUILTIN_FIELDS
            .iter()
            .position(|(f, _)| *f == r.field)
            .unwrap_or(BUILTIN_FIELDS.len())
    });
    Ok(out)
}

/// The stored mapping.
pub fn load(conn: &Connection) -> Result<Mapping, MappingError> {
    let mut stmt = conn.prepare("SELECT field, source, builtin FROM mapping ORDER BY position")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(MappingRow {
                field: r.get(0)?,
                source: r.get(1)?,
                builtin: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Ok(Mapping::defaults());
    }
    Ok(Mapping { rows })
}

/// What saving `rows` would mean, without saving: validation errors, or whether a full round follows.
/// The UI calls this to warn before the admin saves.
pub fn preview(conn: &Connection, rows: &[MappingRow]) -> Result<SaveOutcome, MappingError> {
    let mapping = Mapping::from_rows(rows)?;
    outcome(conn, &mapping)
}

/// Validates and stores `rows` (replacing the mapping) and says whether the next run must be a full round.
/// Runs inside the caller's transaction when given one.
pub fn save(conn: &Connection, rows: &[MappingRow]) -> Result<SaveOutcome, MappingError> {
    let mapping = Mapping::from_rows(rows)?;
    conn.execute_batch("SAVEPOINT mapping_save")?;
    let written = (|| -> Result<(), rusqlite::Error> {
        conn.execute("DELETE FROM mapping", [])?;
        let mut insert = conn.prepare(
            "INSERT INTO mapping (position, field, source, builtin) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (i, row) in mapping.rows.iter().enumerate() {
            insert.execute(params![i as i64 + 1, row.field, row.source, row.builtin])?;
        }
        Ok(())
    })();
    match written {
        Ok(()) => conn.execute_batch("RELEASE mapping_save")?,
        Err(e) => {
            conn.execute_batch("ROLLBACK TO mapping_save; RELEASE mapping_save")?;
            return Err(e.into());
        }
    }
    outcome(conn, &mapping)
}

/// Points `field` at `source`, adding the field when it does not exist (Add New Attribute).
pub fn set_field(
    conn: &Connection,
    field: &str,
    source: &str,
) -> Result<SaveOutcome, MappingError> {
    save(conn, &with_field(load(conn)?.rows, field, source))
}

/// Removes an added field. Built-in fields cannot be removed.
pub fn remove_field(conn: &Connection, field: &str) -> Result<SaveOutcome, MappingError> {
    save(conn, &without_field(load(conn)?.rows, field)?)
}

/// `rows` with `field` (case-insensitive) pointed at `source`, or with a new row appended.
pub fn with_field(mut rows: Vec<MappingRow>, field: &str, source: &str) -> Vec<MappingRow> {
    match rows
        .iter_mut()
        .find(|r| r.field.eq_ignore_ascii_case(field.trim()))
    {
        Some(row) => row.source = source.to_string(),
        None => rows.push(MappingRow::new(field, source)),
    }
    rows
}

/// `rows` without the added field `field` (case-insensitive).
pub fn without_field(
    mut rows: Vec<MappingRow>,
    field: &str,
) -> Result<Vec<MappingRow>, MappingError> {
    let Some(pos) = rows
        .iter()
        .position(|r| r.field.eq_ignore_ascii_case(field.trim()))
    else {
        return Err(MappingError::UnknownField(field.trim().to_string()));
    };
    if rows[pos].builtin {
        return Err(MappingError::BuiltinRemoved(rows[pos].field.clone()));
    }
    rows.remove(pos);
    Ok(rows)
}

/// The Graph attributes in `needed` that `tracked_select` does not include (case-insensitive), sorted.
/// Non-empty means the stored delta link cannot deliver them: the next run must be a full round.
pub fn requires_full_round(tracked_select: &[String], needed: &[String]) -> Vec<String> {
    let mut missing: Vec<String> = needed
        .iter()
        .map(|n| select_name(n).to_string())
        .filter(|n| !tracked_select.iter().any(|t| t.eq_ignore_ascii_case(n)))
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

/// The `$select` the stored delta link tracks, or `None` when no delta link is stored.
pub fn tracked_select(conn: &Connection) -> Result<Option<Vec<String>>, MappingError> {
    let mut stmt = conn.prepare("SELECT attribute FROM tracked_select ORDER BY attribute")?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((!names.is_empty()).then_some(names))
}

/// Records the `$select` of the delta link just stored (`Some`), or that no delta link is stored (`None`).
/// The sync engine calls this in the transaction that stores or drops the delta link.
pub fn set_tracked_select(
    conn: &Connection,
    select: Option<&[String]>,
) -> Result<(), MappingError> {
    conn.execute("DELETE FROM tracked_select", [])?;
    for name in select.unwrap_or_default() {
        conn.execute(
            "INSERT OR IGNORE INTO tracked_select (attribute) VALUES (?1)",
            [name],
        )?;
    }
    Ok(())
}

fn outcome(conn: &Connection, mapping: &Mapping) -> Result<SaveOutcome, MappingError> {
    // With no delta link stored the next run is a full round anyway; nothing new to warn about.
    let untracked = match tracked_select(conn)? {
        Some(tracked) => requires_full_round(&tracked, &mapping.graph_select()),
        None => Vec::new(),
    };
    Ok(SaveOutcome {
        full_round_required: !untracked.is_empty(),
        untracked,
    })
}
