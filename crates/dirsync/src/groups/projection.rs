//! Reading the stored directory for a rule preview: every user's raw Graph JSON, keeping only the
//! top-level properties the rule reads.
//!
//! A preview runs on every keystroke over the whole directory. Parsing each user's whole object
//! into a `serde_json::Value` (a map allocation per property) cost ~2.3 s at 100,000 users; a rule
//! reads a handful of properties, so the others are skipped by the parser without allocating, and
//! the rows are streamed from one statement (memory stays flat whatever the directory size).

use std::fmt;

use rusqlite::{Connection, Row};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::GroupsError;

/// Calls `f(row, user)` for every stored user in directory order, `user` holding only the
/// top-level properties in `wanted` (Graph `$select` names, as `Rule::graph_properties` gives
/// them). `columns` are selected after `raw` and must start with `id`: `row.get(1)` is the id.
pub(crate) fn for_each_projected(
    conn: &Connection,
    wanted: &[String],
    columns: &str,
    mut f: impl FnMut(&Row, &Value) -> Result<(), GroupsError>,
) -> Result<(), GroupsError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT raw, {columns} FROM users ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let damaged = |reason: String| -> Result<GroupsError, GroupsError> {
            Ok(GroupsError::Damaged {
                id: row.get(1)?,
                reason,
            })
        };
        let raw = match row.get_ref(0)?.as_str() {
            Ok(raw) => raw,
            Err(e) => return Err(damaged(e.to_string())?),
        };
        let user = match project(raw, wanted) {
            Ok(user) => user,
            Err(e) => return Err(damaged(e.to_string())?),
        };
        f(row, &user)?;
    }
    Ok(())
}

/// The JSON object `raw` with only the properties in `wanted`.
pub(crate) fn project(raw: &str, wanted: &[String]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw);
    let user = Keep(wanted).deserialize(&mut de)?;
    de.end()?;
    Ok(Value::Object(user))
}

/// Which properties to keep: a `$select` name exactly, or a directory extension by any casing
/// (the evaluator looks extensions up case-insensitively, as Graph may return another casing).
fn kept(wanted: &[String], key: &str) -> bool {
    let extension = key
        .get(..EXTENSION_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(EXTENSION_PREFIX));
    wanted
        .iter()
        .any(|w| w == key || (extension && w.eq_ignore_ascii_case(key)))
}

const EXTENSION_PREFIX: &str = "extension_";

struct Keep<'w>(&'w [String]);

impl<'de> DeserializeSeed<'de> for Keep<'_> {
    type Value = Map<String, Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Keep<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Graph user object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeyOf(self.0))? {
            match key {
                Some(key) => {
                    out.insert(key, map.next_value()?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A key, owned only when it is kept (skipped keys are compared in place).
struct KeyOf<'w>(&'w [String]);

impl<'de> DeserializeSeed<'de> for KeyOf<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyOf<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(kept(self.0, key).then(|| key.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keeps_only_the_wanted_properties_whole() {
        let raw = json!({
            "id": "1", "department": "Finance", "jobTitle": null,
            "proxyAddresses": ["SMTP:a@x", "sip:a@x"],
            "onPremisesExtensionAttributes": {"extensionAttribute1": "CC-1"},
            "extension_ABC_costCenter": "42", "city": "Oslo\u{2028}\"quoted\""
        })
        .to_string();
        let wanted = names(&[
            "department",
            "jobTitle",
            "proxyAddresses",
            "onPremisesExtensionAttributes",
            "EXTENSION_abc_costcenter",
            "employeeId",
        ]);
        assert_eq!(
            project(&raw, &wanted).unwrap(),
            json!({
                "department": "Finance", "jobTitle": null,
                "proxyAddresses": ["SMTP:a@x", "sip:a@x"],
                "onPremisesExtensionAttributes": {"extensionAttribute1": "CC-1"},
                "extension_ABC_costCenter": "42"
            })
        );
        // Exact names for ordinary properties, as the evaluator looks them up.
        assert_eq!(project(&raw, &names(&["Department"])).unwrap(), json!({}));
    }

    #[test]
    fn damaged_json_is_an_error() {
        for raw in [r#"{"department": "Fin"#, "[1]", r#"{"a": 1} trailing"#, ""] {
            assert!(project(raw, &names(&["department"])).is_err(), "{raw}");
        }
    }
}
