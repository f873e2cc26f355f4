//! Writing Graph users into the directory: merge, map, detect changes, remove.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::{Map, Value};

use super::matching::digits_only;
use super::{now_utc, DirectoryError, FieldChange, RemoveReason, RemovedUser, UserChange};
use crate::groups;
use crate::mapping::{self, Mapping, FIELD_CITY, FIELD_NAME, FIELD_PHONE};

/// Adds or updates the user described by `user` (a Graph user object from a delta page).
///
/// In incremental rounds Graph may send only the changed properties (`Prefer: return=minimal`): they are
/// merged into the stored raw properties, so an omitted property keeps its value and an explicit `null`
/// clears it. Annotations (`@odata.*`, `manager@delta`, ...) are not stored.
pub fn apply_upsert(
    tx: &Transaction,
    user: &Value,
    mapping: &Mapping,
) -> Result<UserChange, DirectoryError> {
    let obj = user.as_object().ok_or_else(|| {
        let mut text = user.to_string();
        text.truncate(80);
        DirectoryError::NotAnObject(text)
    })?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(DirectoryError::MissingId)?;
    if obj.contains_key("@removed") {
        return Err(DirectoryError::RemovedMarker { id: id.to_string() });
    }
    let stored = load_stored(tx, id)?;
    let mut raw = stored.as_ref().map(|s| s.raw.clone()).unwrap_or_default();
    merge(&mut raw, obj);
    raw.insert("id".into(), Value::String(id.to_string()));
    let raw = Value::Object(raw);
    let fields = mapping.fields(&raw);
    let now = now_utc();

    let Some(stored) = stored else {
        let new = NewUser::of(id.to_string(), &raw, fields);
        insert_new(tx, &new, &now)?;
        return Ok(UserChange::Added { fields: new.fields });
    };

    let changes = diff(&stored, &raw, &fields, mapping);
    if changes.is_empty() {
        let raw_text = raw.to_string();
        if raw_text != stored.raw_text {
            // Same display values, different representation (e.g. [] for null): keep the raw exact.
            tx.prepare_cached("UPDATE users SET raw = ?2 WHERE seq = ?1")?
                .execute(params![stored.seq, raw_text])?;
        }
        return Ok(UserChange::Unchanged);
    }
    write_update(tx, stored.seq, &raw, &fields, &now)?;
    Ok(UserChange::Updated { changes })
}

/// A user to add, with every column computed from its Graph object, so that writing it only binds
/// values: a first sync prepares these on the fetching side, off the writer's thread.
pub struct NewUser {
    id: String,
    cols: Columns,
    fields: Vec<(String, Option<String>)>,
    fields_json: String,
    raw_text: String,
}

impl NewUser {
    /// What [`apply_upsert`] would insert for `user` into a directory that does not hold it yet.
    /// `None` for anything but a plain entry (not an object, no usable id, a removal marker):
    /// those take [`apply_upsert`]'s way, with its errors. Takes the annotations out of `user` in
    /// place (what the merge into an empty entry would do, without copying the object).
    pub fn prepare(user: &mut Value, mapping: &Mapping) -> Option<Self> {
        let obj = user.as_object_mut()?;
        let id = obj.get("id")?.as_str()?;
        if id.is_empty() || id.trim() != id || obj.contains_key("@removed") {
            return None;
        }
        let id = id.to_string();
        strip_annotations(obj);
        let fields = mapping.fields(user);
        Some(Self::of(id, user, fields))
    }

    fn of(id: String, raw: &Value, fields: Vec<(String, Option<String>)>) -> Self {
        Self {
            id,
            cols: Columns::of(raw, &fields),
            fields_json: fields_json(&fields),
            raw_text: raw.to_string(),
            fields,
        }
    }

    /// The object id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Inserts `new`, added and changed at `now`. `false` when the directory already holds its id
/// (nothing written: the caller merges instead).
pub fn insert_new(tx: &Transaction, new: &NewUser, now: &str) -> Result<bool, DirectoryError> {
    let cols = &new.cols;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO users (id, upn, mail, display_name, job_title, department, account_enabled, user_type,
                                name, phone, phone_digits, city, fields, raw, added_at, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            new.id,
            cols.upn,
            cols.mail,
            cols.display_name,
            cols.job_title,
            cols.department,
            cols.account_enabled,
            cols.user_type,
            cols.name,
            cols.phone,
            cols.phone_digits,
            cols.city,
            new.fields_json,
            new.raw_text,
            now,
        ])?;
    Ok(inserted == 1)
}

/// Removes a user from the directory and from every group. `None` when the id is not in the directory
/// (a replayed removal, or a user deleted before it was ever synced).
pub fn apply_remove(
    tx: &Transaction,
    id: &str,
    reason: RemoveReason,
) -> Result<Option<RemovedUser>, DirectoryError> {
    let found: Option<(Option<String>, Option<String>)> = tx
        .prepare_cached("SELECT name, upn FROM users WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((name, upn)) = found else {
        return Ok(None);
    };
    let groups = groups::remove_from_all(tx, id)?;
    tx.prepare_cached("DELETE FROM users WHERE id = ?1")?
        .execute([id])?;
    Ok(Some(RemovedUser {
        id: id.to_string(),
        name,
        upn,
        reason,
        groups,
    }))
}

/// Recomputes every user's mapped fields from the stored raw properties after the mapping changed
/// (when the new sources are already tracked, no full round is needed to fill them). Returns the users
/// whose fields changed, with the changes.
pub fn remap_all(
    tx: &Transaction,
    mapping: &Mapping,
) -> Result<Vec<(String, Vec<FieldChange>)>, DirectoryError> {
    let mut out = Vec::new();
    let mut after = 0i64;
    let now = now_utc();
    loop {
        // Batches by seq keep memory flat on large directories.
        let batch: Vec<(i64, String)> = tx
            .prepare_cached("SELECT seq, id FROM users WHERE seq > ?1 ORDER BY seq LIMIT 500")?
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = batch.last() else { break };
        after = *last;
        for (seq, id) in batch {
            let Some(stored) = load_stored(tx, &id)? else {
                continue;
            };
            let raw = Value::Object(stored.raw.clone());
            let fields = mapping.fields(&raw);
            let changes = field_changes(&stored, &fields);
            let added_or_removed = stored.fields.len() != fields.len()
                || fields.iter().any(|(f, _)| !stored.fields.contains_key(f));
            if !changes.is_empty() || added_or_removed {
                write_update(tx, seq, &raw, &fields, &now)?;
            }
            if !changes.is_empty() {
                out.push((id, changes));
            }
        }
    }
    Ok(out)
}

/// The result of [`save_mapping`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MappingSaved {
    pub outcome: mapping::SaveOutcome,
    /// Users whose fields were recomputed from their stored attributes, with the changes.
    pub refreshed: Vec<(String, Vec<FieldChange>)>,
}

/// Saves a mapping (Manage Mapping → Save) in one transaction: validates and stores the rows, and when
/// the stored delta link already tracks every attribute they need, recomputes every user's fields from
/// the stored attributes at once; otherwise the next run is a full round (see the outcome).
pub fn save_mapping(
    tx: &Transaction,
    rows: &[mapping::MappingRow],
) -> Result<MappingSaved, DirectoryError> {
    let outcome = mapping::save(tx, rows)?;
    let refreshed = if outcome.full_round_required {
        Vec::new()
    } else {
        remap_all(tx, &mapping::load(tx)?)?
    };
    Ok(MappingSaved { outcome, refreshed })
}

struct Stored {
    seq: i64,
    raw: Map<String, Value>,
    raw_text: String,
    fields: Map<String, Value>,
}

fn load_stored(conn: &Connection, id: &str) -> Result<Option<Stored>, DirectoryError> {
    let row: Option<(i64, String, String)> = conn
        .prepare_cached("SELECT seq, raw, fields FROM users WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((seq, raw_text, fields_text)) = row else {
        return Ok(None);
    };
    let damaged = |what: &str, e: serde_json::Error| DirectoryError::Damaged {
        id: id.to_string(),
        reason: format!("{what} is not a JSON object: {e}"),
    };
    let raw = serde_json::from_str(&raw_text).map_err(|e| damaged("raw", e))?;
    let fields = serde_json::from_str(&fields_text).map_err(|e| damaged("fields", e))?;
    Ok(Some(Stored {
        seq,
        raw,
        raw_text,
        fields,
    }))
}

fn write_update(
    conn: &Connection,
    seq: i64,
    raw: &Value,
    fields: &[(String, Option<String>)],
    now: &str,
) -> Result<(), DirectoryError> {
    let cols = Columns::of(raw, fields);
    conn.prepare_cached(
        "UPDATE users SET upn = ?2, mail = ?3, display_name = ?4, job_title = ?5, department = ?6,
                account_enabled = ?7, user_type = ?8, name = ?9, phone = ?10, phone_digits = ?11, city = ?12,
                fields = ?13, raw = ?14, changed_at = ?15
         WHERE seq = ?1",
    )?
    .execute(params![
        seq,
        cols.upn,
        cols.mail,
        cols.display_name,
        cols.job_title,
        cols.department,
        cols.account_enabled,
        cols.user_type,
        cols.name,
        cols.phone,
        cols.phone_digits,
        cols.city,
        fields_json(fields),
        raw.to_string(),
        now,
    ])?;
    Ok(())
}

/// The indexed columns of an entry.
struct Columns {
    upn: Option<String>,
    mail: Option<String>,
    display_name: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    account_enabled: Option<bool>,
    user_type: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    phone_digits: Option<String>,
    city: Option<String>,
}

impl Columns {
    fn of(raw: &Value, fields: &[(String, Option<String>)]) -> Self {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(f, _)| f == name)
                .and_then(|(_, v)| v.clone())
        };
        let phone = field(FIELD_PHONE);
        let phone_digits = phone.as_deref().and_then(digits_only);
        Self {
            upn: mapping::value_of(raw, "userPrincipalName"),
            mail: mapping::value_of(raw, "mail"),
            display_name: mapping::value_of(raw, "displayName"),
            job_title: mapping::value_of(raw, "jobTitle"),
            department: mapping::value_of(raw, "department"),
            account_enabled: raw.get("accountEnabled").and_then(Value::as_bool),
            user_type: mapping::value_of(raw, "userType"),
            name: field(FIELD_NAME),
            phone,
            phone_digits,
            city: field(FIELD_CITY),
        }
    }
}

/// The fields as a JSON object, keys sorted as a `serde_json::Map` keeps them.
fn fields_json(fields: &[(String, Option<String>)]) -> String {
    let map: std::collections::BTreeMap<&str, Option<&str>> = fields
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_deref()))
        .collect();
    serde_json::to_string(&map).expect("strings serialize")
}

/// What [`merge`] into an empty object keeps: every property but annotations, at every level
/// of nested objects.
fn strip_annotations(obj: &mut Map<String, Value>) {
    obj.retain(|key, _| !key.contains('@'));
    for value in obj.values_mut() {
        if let Value::Object(inner) = value {
            strip_annotations(inner);
        }
    }
}

/// Deep-merges Graph properties into the stored ones; nested objects (onPremisesExtensionAttributes)
/// merge key by key because minimal responses may carry only the changed sub-properties.
fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (key, value) in from {
        if key.contains('@') {
            continue;
        }
        match (into.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
            _ => {
                let value = match value {
                    Value::Object(new) => {
                        let mut clean = Map::new();
                        merge(&mut clean, new);
                        Value::Object(clean)
                    }
                    other => other.clone(),
                };
                into.insert(key.clone(), value);
            }
        }
    }
}

/// Changes between the stored entry and the new one: mapped fields under their field names, then the
/// other raw properties (those no mapping row reads) under their Graph names, nested ones dotted.
fn diff(
    stored: &Stored,
    raw: &Value,
    fields: &[(String, Option<String>)],
    mapping: &Mapping,
) -> Vec<FieldChange> {
    let mut changes = field_changes(stored, fields);
    let empty = Map::new();
    let new_raw = raw.as_object().unwrap_or(&empty);
    let mapped: Vec<&str> = mapping.rows().iter().map(|r| r.source.as_str()).collect();
    raw_changes("", &stored.raw, new_raw, &mapped, &mut changes);
    changes
}

fn field_changes(stored: &Stored, fields: &[(String, Option<String>)]) -> Vec<FieldChange> {
    fields
        .iter()
        .filter_map(|(field, new)| {
            let old = stored
                .fields
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string);
            (old != *new).then(|| FieldChange {
                field: field.clone(),
                old,
                new: new.clone(),
            })
        })
        .collect()
}

fn raw_changes(
    prefix: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    mapped: &[&str],
    out: &mut Vec<FieldChange>,
) {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let path = format!("{prefix}{key}");
        if path == "id" || mapped.iter().any(|m| m.eq_ignore_ascii_case(&path)) {
            continue;
        }
        let (o, n) = (
            old.get(key).unwrap_or(&Value::Null),
            new.get(key).unwrap_or(&Value::Null),
        );
        if o == n {
            continue;
        }
        match (o, n) {
            (Value::Object(o), Value::Object(n)) => {
                raw_changes(&format!("{path}."), o, n, mapped, out)
            }
            _ => {
                let (o, n) = (mapping::values::display(o), mapping::values::display(n));
                if o != n {
                    out.push(FieldChange {
                        field: path,
                        old: o,
                        new: n,
                    });
                }
            }
        }
    }
}
