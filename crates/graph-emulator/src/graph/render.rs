//! `$select` handling and rendering of users.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::tenant::store::{Entry, UserState};
use crate::tenant::{DEFAULT_PROPS, KNOWN_PROPS, NOT_IMPLEMENTED_PROPS};

/// A Graph error to answer with: (status, code, message).
pub type GraphFail = (StatusCode, &'static str, String);

/// Parses `$select`. `None` = default property set.
pub fn parse_select(raw: Option<&str>, extension: &str) -> Result<Option<Vec<String>>, GraphFail> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let mut out: Vec<String> = Vec::new();
    for p in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let canon = KNOWN_PROPS
            .iter()
            .find(|k| k.eq_ignore_ascii_case(p))
            .map(|k| k.to_string())
            .or_else(|| {
                p.eq_ignore_ascii_case(extension)
                    .then(|| extension.to_owned())
            });
        match canon {
            Some(c) => {
                if !out.contains(&c) {
                    out.push(c)
                }
            }
            None if NOT_IMPLEMENTED_PROPS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(p)) =>
            {
                return Err((
                    StatusCode::NOT_IMPLEMENTED,
                    "NotImplemented",
                    "This operation target is not yet supported.".into(),
                ))
            }
            None => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    format!(
                        "Could not find a property named '{p}' on type 'microsoft.graph.user'."
                    ),
                ))
            }
        }
    }
    Ok(Some(out))
}

/// The properties to render (always including `id`).
pub fn props_of(sel: &Option<Vec<String>>) -> Vec<String> {
    let mut v: Vec<String> = match sel {
        None => DEFAULT_PROPS.iter().map(|s| s.to_string()).collect(),
        Some(s) => s.clone(),
    };
    if !v.iter().any(|p| p == "id") {
        v.insert(0, "id".into());
    }
    v
}

fn manager_delta(id: &str) -> Value {
    json!([{"@odata.type": "#microsoft.graph.user", "id": id}])
}

/// Renders a user with `props`; nulls are included when `nulls` (plain GETs) and omitted in delta.
pub fn render(
    user: &Map<String, Value>,
    props: &[String],
    nulls: bool,
    delta: bool,
) -> Map<String, Value> {
    let mut out = Map::new();
    for p in props {
        if p == "manager" {
            if delta {
                if let Some(m) = user.get("manager").and_then(Value::as_str) {
                    out.insert("manager@delta".into(), manager_delta(m));
                }
            }
            continue;
        }
        match user.get(p) {
            Some(Value::Null) | None if !nulls => {}
            Some(v) => {
                out.insert(p.clone(), v.clone());
            }
            None => {
                out.insert(p.clone(), Value::Null);
            }
        }
    }
    out
}

pub fn removed(id: &str, reason: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("@removed".into(), json!({"reason": reason}));
    m
}

/// Renders an overlaid user for an incremental round with watermark `w`; None if it has no
/// tracked change after `w`.
pub fn render_change(
    e: &Entry,
    w: u64,
    props: &[String],
    minimal: bool,
) -> Option<Map<String, Value>> {
    let id = e.user["id"].as_str().unwrap_or_default();
    match e.state {
        UserState::HardDeleted if e.state_seq > w => return Some(removed(id, "deleted")),
        UserState::SoftDeleted if e.state_seq > w => return Some(removed(id, "changed")),
        UserState::Active => {}
        _ => return None,
    }
    if e.created_seq > w || e.state_seq > w {
        return Some(render(&e.user, props, false, true));
    }
    let changed: Vec<&String> = props
        .iter()
        .filter(|p| e.prop_seq.get(*p).is_some_and(|s| *s > w))
        .collect();
    if changed.is_empty() {
        return None;
    }
    let mut out = if minimal {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m
    } else {
        let non_rel: Vec<String> = props.iter().filter(|p| *p != "manager").cloned().collect();
        render(&e.user, &non_rel, false, true)
    };
    for p in changed {
        if p == "manager" {
            let v = match e.user.get("manager").and_then(Value::as_str) {
                Some(m) => manager_delta(m),
                None => match &e.removed_manager {
                    Some(old) => json!([{"@odata.type": "#microsoft.graph.user", "id": old,
                        "@removed": {"reason": "deleted"}}]),
                    None => json!([]),
                },
            };
            out.insert("manager@delta".into(), v);
        } else {
            out.insert(p.clone(), e.user.get(p).cloned().unwrap_or(Value::Null));
        }
    }
    Some(out)
}
