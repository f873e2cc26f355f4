//! Measures what the Groups page pays per keystroke: `groups::preview_rule` of a few rules over a
//! stored directory of emulator-generated users (the default mapping's `$select`, as a sync
//! stores them), against a saved dynamic group, and `groups::preview_scope` (Settings › Sync scope).
//!
//! `cargo run --release -p dirsync --example rule_preview -- [USERS] [DB_PATH]`
//! The directory is built once at DB_PATH (default: the temp dir) and reused by later runs.
//! Prints the median of 5 evaluations per rule, beside the same rule evaluated on every user's
//! whole stored object (what the preview cost before it read only the rule's properties); nothing
//! is asserted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use dirsync::directory;
use dirsync::groups;
use dirsync::mapping::{self, Mapping};
use dirsync::store::Store;
use graph_emulator::tenant::generator::Generator;
use serde_json::Value;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const RULES: &[&str] = &[
    r#"(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")"#,
    r#"user.department -in ["Sales", "Marketing"] -and user.accountEnabled -eq true"#,
    r#"user.displayName -startsWith "A" -or user.city -match "^(Oslo|Pune)$""#,
    r#"user.userType -eq "Member""#,
];

fn main() -> Result {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let path = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("dirsync-rule-preview-{n}.sqlite3")));
    let mut store = Store::open(&path)?;
    if directory::count(store.conn())? as usize != n {
        fill(&mut store, n)?;
    }
    let raw_bytes: i64 = store
        .conn()
        .query_row("SELECT sum(length(raw)) FROM users", [], |r| r.get(0))?;
    println!(
        "{n} stored users, {:.0} bytes of JSON each on average ({})",
        raw_bytes as f64 / n as f64,
        path.display()
    );
    if groups::get(store.conn(), "Probe").is_err() {
        let tx = store.conn_mut().transaction()?;
        groups::create_dynamic(&tx, "Probe", "", RULES[0])?;
        tx.commit()?;
    }
    for rule in RULES {
        let (took, p) = median(|| groups::preview_rule(store.conn(), rule, Some("Probe")))?;
        let (whole, matches) = median(|| whole_objects(&store, rule))?;
        assert_eq!(matches, p.matches, "both select the same people");
        println!(
            "preview_rule {:>7.1} ms (whole objects {:>7.1} ms)  matches {:>6} +{} -{}  {rule}",
            took.as_secs_f64() * 1e3,
            whole.as_secs_f64() * 1e3,
            p.matches,
            p.added,
            p.removed
        );
    }
    let (took, p) = median(|| groups::preview_scope(store.conn(), RULES[1]))?;
    println!(
        "preview_scope {:>6.1} ms  kept {} removed {}",
        took.as_secs_f64() * 1e3,
        p.kept,
        p.removed
    );
    Ok(())
}

/// How many users `rule` selects when every stored object is parsed whole.
fn whole_objects(store: &Store, rule: &str) -> std::result::Result<u64, rusqlite::Error> {
    let rule = dirsync::rules::parse(rule).expect("the probe's rules are valid");
    let mut stmt = store.conn().prepare("SELECT raw FROM users ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut matches = 0;
    while let Some(row) = rows.next()? {
        let user: Value = serde_json::from_str(row.get_ref(0)?.as_str()?).expect("stored JSON");
        matches += u64::from(rule.matches(&user));
    }
    Ok(matches)
}

fn median<T, E: std::error::Error + 'static>(
    mut f: impl FnMut() -> std::result::Result<T, E>,
) -> Result<(Duration, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let start = Instant::now();
        last = Some(f()?);
        times.push(start.elapsed());
    }
    times.sort();
    Ok((times[2], last.expect("ran")))
}

/// Stores `n` generated users as a first sync does (one transaction, indexes built at the end).
fn fill(store: &mut Store, n: usize) -> Result {
    let started = Instant::now();
    let mut select = Mapping::defaults().graph_select();
    select.extend(["userType".to_string(), "department".to_string()]);
    let gen = Generator::new(7, n, "contoso.example", "extension_probe_costCenter");
    let m = mapping::load(store.conn())?;
    let tx = store.conn_mut().transaction()?;
    tx.execute("DELETE FROM users", [])?;
    let bulk = directory::BulkLoad::begin(&tx)?;
    for i in 0..n {
        directory::apply_upsert(&tx, &Value::Object(gen.user_with(i, Some(&select))), &m)?;
    }
    bulk.finish(&tx)?;
    tx.commit()?;
    println!(
        "(setup) stored {n} users in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
