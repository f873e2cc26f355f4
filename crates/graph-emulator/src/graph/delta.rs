//! `GET /v1.0/users/delta`: rounds of nextLink pages ending with one deltaLink.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::auth::{authenticate, require, READ_ALL_USERS};
use super::render::{parse_select, props_of, removed, render, render_change};
use super::{json_response, param};
use crate::errors::{graph_error, RequestIds};
use crate::state::State;
use crate::tenant::store::{Store, UserState};

const SKIP: &str = "skip";
const DELTA: &str = "delta";
const MAX_FILTER_IDS: usize = 50;

/// The state of a round, sealed into `$skiptoken` and `$deltatoken`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Round {
    /// Frozen `$select` (None = default set).
    s: Option<Vec<String>>,
    /// Frozen `$filter` ids.
    f: Option<Vec<String>>,
    /// Watermark: changes with a higher sequence number are returned.
    w: u64,
    /// Full (initial) round or incremental.
    full: bool,
    /// Issue time (simulated clock, ms).
    t: i64,
    /// Store sequence when issued (for the 410 reset mode).
    i: u64,
    /// Cursor: enumeration position (full) or change sequence (incremental).
    c: u64,
    /// Change sequence at the round start.
    e: u64,
    /// Page number within the round.
    p: u32,
    /// Last id of the previous page (repeated on the next page).
    d: Option<String>,
}

fn fail(status: StatusCode, code: &str, msg: &str, ids: &RequestIds) -> Response {
    graph_error(status, code, msg, ids)
}

fn parse_filter(raw: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let lower = raw.to_ascii_lowercase();
    let mut rest = lower.as_str();
    let mut orig = raw;
    loop {
        let clause_end = rest.find(" or ").unwrap_or(rest.len());
        let clause = orig[..clause_end].trim();
        let (lhs, value) = clause
            .split_once(" eq ")
            .or_else(|| clause.split_once(" EQ "))
            .or_else(|| clause.split_once(" Eq "))
            .ok_or_else(|| format!("Unsupported filter clause '{clause}'."))?;
        if !lhs.trim().eq_ignore_ascii_case("id") {
            return Err("Only 'id eq' filters are supported on delta.".into());
        }
        let v = value.trim();
        let v = v
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(|| format!("Invalid filter value {v}."))?;
        ids.push(v.to_ascii_lowercase());
        if clause_end == rest.len() {
            break;
        }
        rest = &rest[clause_end + 4..];
        orig = &orig[clause_end + 4..];
    }
    if ids.len() > MAX_FILTER_IDS {
        return Err(format!(
            "The number of ids in the filter ({}) exceeds the maximum of {MAX_FILTER_IDS}.",
            ids.len()
        ));
    }
    Ok(ids)
}

pub async fn handler(
    AxState(st): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let now = st.now();
    let ids = RequestIds::from_headers(&headers, now);
    let caller = match authenticate(&st, &headers, &ids) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(r) = require(&caller, READ_ALL_USERS, &ids) {
        return r;
    }
    let ext = st.extension_name();
    let select = match parse_select(param(&q, "select"), &ext) {
        Ok(s) => s,
        Err((s, c, m)) => return fail(s, c, &m, &ids),
    };
    let minimal = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("return=minimal"))
        });
    let skiptoken = param(&q, "skiptoken");
    let deltatoken = param(&q, "deltatoken").filter(|t| !t.is_empty());
    let lifetime_ms = st.config.delta_token_lifetime.num_milliseconds();
    let reset_seq = *st.delta_reset_seq.lock().unwrap();

    let check = |r: &Round, select: &Option<Vec<String>>| -> Result<(), Response> {
        if reset_seq.is_some_and(|rs| r.i < rs) {
            let mut loc = format!("{}/v1.0/users/delta?", st.base_url);
            let sel = select.clone().or_else(|| r.s.clone());
            if let Some(s) = sel {
                loc.push_str(&format!("$select={}&", s.join(",")));
            }
            loc.push_str("$deltatoken=");
            let mut resp = fail(
                StatusCode::GONE,
                "resyncRequired",
                "The delta token is no longer valid, and the app must reset the sync state.",
                &ids,
            );
            if let Ok(v) = HeaderValue::from_str(&loc) {
                resp.headers_mut().insert("location", v);
            }
            return Err(resp);
        }
        if now.timestamp_millis() - r.t > lifetime_ms {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "syncStateNotFound",
                "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
                &ids,
            ));
        }
        Ok(())
    };

    let store = st.store.lock().unwrap();
    let mut round = if let Some(tok) = skiptoken {
        if param(&q, "select").is_some() {
            return fail(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                "$select is not supported together with $skiptoken.",
                &ids,
            );
        }
        let Some(r) = st.signer.open::<Round>(SKIP, tok) else {
            return fail(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "Invalid $skiptoken.",
                &ids,
            );
        };
        if let Err(resp) = check(&r, &None) {
            return resp;
        }
        r
    } else if deltatoken == Some("latest") {
        let r = Round {
            s: select,
            f: None,
            w: store.seq(),
            full: false,
            t: now.timestamp_millis(),
            i: store.seq(),
            c: store.seq(),
            e: 0,
            p: 0,
            d: None,
        };
        let link = format!(
            "{}/v1.0/users/delta?$deltatoken={}",
            st.base_url,
            st.signer.seal(DELTA, &r)
        );
        return page_response(&st, vec![], None, Some(link), false);
    } else if let Some(tok) = deltatoken {
        let Some(mut r) = st.signer.open::<Round>(DELTA, tok) else {
            return fail(
                StatusCode::BAD_REQUEST,
                "Request_BadRequest",
                "Invalid $deltatoken.",
                &ids,
            );
        };
        if let Err(resp) = check(&r, &select) {
            return resp;
        }
        if select.is_some() {
            r.s = select;
        }
        Round {
            full: false,
            c: r.w,
            e: store.seq(),
            p: 0,
            d: None,
            t: now.timestamp_millis(),
            ..r
        }
    } else {
        let filter = match param(&q, "filter") {
            Some(f) => match parse_filter(f) {
                Ok(v) => Some(v),
                Err(m) => {
                    return fail(
                        StatusCode::BAD_REQUEST,
                        "Request_UnsupportedQuery",
                        &m,
                        &ids,
                    )
                }
            },
            None => None,
        };
        Round {
            s: select,
            f: filter,
            w: 0,
            full: true,
            t: now.timestamp_millis(),
            i: store.seq(),
            c: 0,
            e: store.seq(),
            p: 0,
            d: None,
        }
    };

    let page_size = st.page_size();
    let quirks = st.config.quirks;
    let props = props_of(&round.s);
    let minimal = minimal && !round.full;
    let mut items: Vec<Map<String, Value>> = Vec::new();

    // Documented: a page can be empty and still carry a nextLink.
    if quirks.empty_page && round.p == 1 {
        round.p += 1;
        round.t = now.timestamp_millis();
        round.i = store.seq();
        let link = format!(
            "{}/v1.0/users/delta?$skiptoken={}",
            st.base_url,
            st.signer.seal(SKIP, &round)
        );
        return page_response(&st, items, Some(link), None, minimal);
    }
    // Documented: the same entity can appear more than once in a round.
    if quirks.duplicates && round.p >= 1 {
        if let Some(d) = round.d.clone() {
            if let Some(v) = render_one(&store, &d, &round, &props, minimal) {
                items.push(v);
            }
        }
    }
    let mut last: Option<String> = None;
    let done = if round.full {
        let total = round.f.as_ref().map_or(store.positions(), Vec::len) as u64;
        let mut n = 0;
        while round.c < total && n < page_size {
            let pos = round.c as usize;
            round.c += 1;
            let view = match &round.f {
                Some(f) => store.get(&f[pos]),
                None => store.view_at(pos),
            };
            let Some(view) = view else { continue };
            let id = view.user["id"].as_str().unwrap_or_default().to_owned();
            let item = match view.state {
                UserState::Active => render(&view.user, &props, false, true),
                UserState::SoftDeleted => removed(&id, "changed"),
                UserState::HardDeleted => continue,
            };
            items.push(item);
            last = Some(id);
            n += 1;
        }
        round.c >= total
    } else {
        let scan = page_size * 3;
        let changes = store.changes(round.c, round.e, scan);
        let mut n = 0;
        for (seq, e) in &changes {
            round.c = *seq;
            let id = e.user["id"].as_str().unwrap_or_default().to_owned();
            if round.f.as_ref().is_some_and(|f| !f.contains(&id)) {
                continue;
            }
            if let Some(v) = render_change(e, round.w, &props, minimal) {
                items.push(v);
                last = Some(id);
                n += 1;
                if n >= page_size {
                    break;
                }
            }
        }
        if changes.is_empty() {
            round.c = round.e;
        }
        store.changes(round.c, round.e, 1).is_empty()
    };
    let issued = store.seq();
    drop(store);
    if done {
        let next = Round {
            s: round.s,
            f: round.f,
            w: round.e,
            full: false,
            t: now.timestamp_millis(),
            i: issued,
            c: round.e,
            e: 0,
            p: 0,
            d: None,
        };
        let link = format!(
            "{}/v1.0/users/delta?$deltatoken={}",
            st.base_url,
            st.signer.seal(DELTA, &next)
        );
        page_response(&st, items, None, Some(link), minimal)
    } else {
        round.p += 1;
        round.t = now.timestamp_millis();
        round.i = issued;
        if last.is_some() {
            round.d = last;
        }
        let link = format!(
            "{}/v1.0/users/delta?$skiptoken={}",
            st.base_url,
            st.signer.seal(SKIP, &round)
        );
        page_response(&st, items, Some(link), None, minimal)
    }
}

fn render_one(
    store: &Store,
    id: &str,
    round: &Round,
    props: &[String],
    minimal: bool,
) -> Option<Map<String, Value>> {
    let view = store.get(id)?;
    if round.full {
        return match view.state {
            UserState::Active => Some(render(&view.user, props, false, true)),
            UserState::SoftDeleted => Some(removed(id, "changed")),
            UserState::HardDeleted => None,
        };
    }
    render_change(view.entry.as_ref()?, round.w, props, minimal)
}

fn page_response(
    st: &State,
    items: Vec<Map<String, Value>>,
    next: Option<String>,
    delta: Option<String>,
    minimal: bool,
) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#users", st.base_url)),
    );
    if let Some(n) = next {
        body.insert("@odata.nextLink".into(), json!(n));
    }
    if let Some(d) = delta {
        body.insert("@odata.deltaLink".into(), json!(d));
    }
    body.insert(
        "value".into(),
        Value::Array(items.into_iter().map(Value::Object).collect()),
    );
    let mut r = json_response(StatusCode::OK, &Value::Object(body)).into_response();
    if minimal {
        r.headers_mut().insert(
            "preference-applied",
            HeaderValue::from_static("return=minimal"),
        );
    }
    r
}
