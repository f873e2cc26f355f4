//! Reading a mapping source out of a Graph user object and turning it into display text.

use serde_json::Value;

/// The display text of `source` in `user`, or `None` when it is missing, null or empty.
/// `mobilePhone` falls back to the first of `businessPhones`, as the default Phone number mapping promises.
pub fn value_of(user: &Value, source: &str) -> Option<String> {
    let found = lookup(user, source).and_then(display);
    if found.is_none() && source == "mobilePhone" {
        return lookup(user, "businessPhones")
            .and_then(Value::as_array)
            .and_then(|phones| phones.iter().find_map(display));
    }
    found
}

/// Follows a dotted path; property names match exactly, else case-insensitively (Graph is case-insensitive
/// about names, and extension attributes may be typed in another case than Graph returns them).
fn lookup<'a>(user: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(user, |node, key| {
        let obj = node.as_object()?;
        obj.get(key).or_else(|| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    })
}

/// Text for one JSON value: strings trimmed (empty is absent), collections joined with "; ".
pub fn display(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(display).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(_) => Some(value.to_string()),
    }
}
