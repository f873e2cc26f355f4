//! Benchmark: 50 dynamic-group rules over 100,000 users.
//!
//! `cargo bench -p dirsync --bench groups` prints, for a deterministic synthetic directory:
//! - the rule engine alone (`RuleSet::evaluate`, all cores) over users in memory;
//! - `groups::recompute_for_users` for every user in a stored directory with 50 dynamic groups
//!   (what a full round's apply pays), inside one transaction;
//! - `groups::preview_rule` of one rule over the stored directory (the Groups page's live preview).
//!
//! Set `DIRSYNC_BENCH_USERS` to change the directory size. Timings are printed, not asserted.

use std::time::Instant;

use dirsync::groups;
use dirsync::mapping;
use dirsync::rules::{self, RuleSet};
use dirsync::store::Store;
use serde_json::{json, Value};

const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Sales",
    "Engineering",
    "Marketing",
    "Legal",
    "Operations",
    "Support",
    "IT",
];
const TITLES: &[&str] = &[
    "Senior Manager",
    "Manager",
    "Engineer",
    "Analyst",
    "Director",
    "Associate",
    "Consultant",
];
const CITIES: &[&str] = &[
    "Oslo", "Lisbon", "Seattle", "Pune", "Berlin", "Nairobi", "Sydney",
];

fn user(i: usize) -> Value {
    let h = |salt: usize| (i.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503)) % 9973;
    json!({
        "id": format!("{i:08x}-0000-4000-8000-000000000000"),
        "displayName": format!("Person {i}"),
        "userPrincipalName": format!("person{i}@contoso.example"),
        "mail": format!("person{i}@contoso.example"),
        "jobTitle": TITLES[h(1) % TITLES.len()],
        "department": DEPARTMENTS[h(2) % DEPARTMENTS.len()],
        "city": CITIES[h(3) % CITIES.len()],
        "country": if h(4) % 3 == 0 { "Norway" } else { "Portugal" },
        "accountEnabled": h(5) % 17 != 0,
        "userType": if h(6) % 23 == 0 { "Guest" } else { "Member" },
        "employeeId": format!("E{:06}", h(7)),
        "businessPhones": [format!("+47 555 {:04}", h(8))],
        "proxyAddresses": [format!("SMTP:person{i}@contoso.example"), format!("smtp:p{i}@contoso.example")],
        "onPremisesExtensionAttributes": { "extensionAttribute1": format!("CC-{}", h(9) % 40) },
    })
}

/// 50 rules of the shapes admins write: equality pairs, -in lists, -startsWith, -contains,
/// -match, -any over collections, extension attributes, negations.
fn rules() -> Vec<String> {
    let mut out = Vec::new();
    for d in DEPARTMENTS {
        out.push(format!(
            r#"(user.jobTitle -eq "Senior Manager") -and (user.department -eq "{d}")"#
        ));
        out.push(format!(
            r#"user.department -eq "{d}" -and user.accountEnabled -eq true"#
        ));
    }
    for c in CITIES {
        out.push(format!(
            r#"user.city -eq "{c}" -and user.userType -eq "Member""#
        ));
        out.push(format!(
            r#"user.city -ne "{c}" -and user.jobTitle -in ["Director", "Manager"]"#
        ));
    }
    for k in 0..14 {
        out.push(format!(r#"user.extensionAttribute1 -eq "CC-{k}""#));
    }
    out.push(r#"user.displayName -startsWith "Person 1""#.into());
    out.push(r#"user.mail -contains "99@""#.into());
    out.push(r#"user.employeeId -match "^E00[0-4]""#.into());
    out.push(r#"user.proxyAddresses -any (_ -startsWith "smtp:p1")"#.into());
    out.push(r#"-not (user.department -in ["Legal", "IT"]) -and user.country -eq "Norway""#.into());
    out.push(r#"user.userType -eq "Guest" -or user.accountEnabled -eq false"#.into());
    assert_eq!(out.len(), 50);
    out
}

fn main() {
    let n: usize = std::env::var("DIRSYNC_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let texts = rules();
    let compiled: Vec<rules::Rule> = texts.iter().map(|t| rules::parse(t).unwrap()).collect();

    let users: Vec<Value> = (0..n).map(user).collect();
    let set = RuleSet::new(&compiled);
    let start = Instant::now();
    let hits = set.evaluate(&users);
    let engine = start.elapsed();
    let total: usize = hits.iter().map(Vec::len).sum();
    println!(
        "rule engine: 50 rules x {n} users in memory: {:.1} ms ({:.0} ns per rule and user, {total} memberships)",
        engine.as_secs_f64() * 1e3,
        engine.as_nanos() as f64 / (50.0 * n as f64)
    );

    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("bench.sqlite3")).unwrap();
    let m = mapping::load(store.conn()).unwrap();
    let start = Instant::now();
    let tx = store.conn_mut().transaction().unwrap();
    for u in &users {
        dirsync::directory::apply_upsert(&tx, u, &m).unwrap();
    }
    tx.commit().unwrap();
    println!(
        "(setup) stored {n} users in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    drop(users);

    // The groups exist before the users are recomputed, as after rule edits on a live directory.
    let tx = store.conn_mut().transaction().unwrap();
    for (i, t) in texts.iter().enumerate() {
        tx.execute(
            "INSERT INTO groups (name, kind, description, rule, created_at, updated_at)
             VALUES (?1, 'dynamic', '', ?2, '', '')",
            rusqlite::params![format!("Group {i:02}"), t],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    let ids = dirsync::directory::all_ids(store.conn()).unwrap();
    let start = Instant::now();
    let tx = store.conn_mut().transaction().unwrap();
    let changes = groups::recompute_for_users(&tx, &ids).unwrap();
    tx.commit().unwrap();
    let recompute = start.elapsed();
    println!(
        "recompute_for_users: {n} stored users, 50 dynamic groups + Employee network: {:.2} s ({:.1} µs per user, {} membership changes)",
        recompute.as_secs_f64(),
        recompute.as_micros() as f64 / n as f64,
        changes.len()
    );
    let dynamic_joins = changes.len() - n;
    assert_eq!(dynamic_joins, total, "the store agrees with the engine");

    let start = Instant::now();
    let p = groups::preview_rule(store.conn(), &texts[0], Some("Group 00")).unwrap();
    println!(
        "preview_rule over {n} stored users: {:.0} ms (matches {}, +{} -{})",
        start.elapsed().as_secs_f64() * 1e3,
        p.matches,
        p.added,
        p.removed
    );
}
