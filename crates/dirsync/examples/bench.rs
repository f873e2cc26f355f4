//! Probes for `cargo xtask bench`, each working on the signed-in data directory in
//! `DIRSYNC_DATA_DIR` through the core's public API:
//!
//! - `floor`: fetches and parses a full delta round with the sync's own Graph client and stores
//!   nothing: the lower bound a full sync is compared with.
//! - `mutate <control-url> <count>`: makes `count` changes in the emulated tenant through its control
//!   API, a third each adds, updates and deletes (of users already in the local directory).
//! - `rules <runs> <changed>`: 50 dynamic-membership rules over every user (full recompute) and over
//!   `changed` users read back by id (incremental), `runs` times each.
//! - `search <runs>`: the directory search the Directory page calls, for typical queries.
//! - `store-floor <runs>`: the database work of a first sync alone: the synced directory's rows
//!   copied set-based into a new database, with the first sync's own index and full-text builds,
//!   in one transaction. What no sync that stores the same can go below on this machine.
//!
//! Each measurement is printed as `sample <name> <milliseconds>`; the harness takes medians.

use std::time::Instant;

use dirsync::auth::Auth;
use dirsync::datadir::DataDir;
use dirsync::directory::{self, Query};
use dirsync::graph::GraphClient;
use dirsync::rules::{self, RuleSet};
use dirsync::store::Store;
use serde_json::{json, Value};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| -> Result<String> {
        args.get(i)
            .cloned()
            .ok_or_else(|| format!("missing argument: {what}").into())
    };
    let number = |i: usize, what: &str| -> Result<usize> {
        Ok(arg(i, what)?
            .parse()
            .map_err(|_| format!("{what} must be a number"))?)
    };
    let dir = DataDir::resolve()?;
    match args.first().map(String::as_str) {
        Some("floor") => floor(&dir),
        Some("mutate") => mutate(&dir, &arg(1, "control URL")?, number(2, "count")?),
        Some("rules") => rules_bench(&dir, number(1, "runs")?, number(2, "changed")?),
        Some("search") => search_bench(&dir, number(1, "runs")?),
        Some("store-floor") => store_floor(&dir, number(1, "runs")?),
        _ => Err("usage: bench floor | mutate <control-url> <count> | rules <runs> <changed> | search <runs> | store-floor <runs>".into()),
    }
}

fn sample(name: &str, started: Instant) {
    println!(
        "sample {name} {:.3}",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

fn runtime() -> tokio::runtime::Runtime {
    // The same runtime shape as the `dirsync` CLI.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime starts")
}

/// The pages of a full round, fetched and parsed exactly as the sync does, and dropped.
fn floor(dir: &DataDir) -> Result {
    let store = Store::open_in(dir)?;
    let graph_url = dirsync::settings::get(&store, "graph_url")?;
    let select = dirsync::mapping::load(store.conn())?.graph_select();
    drop(store);
    let client = GraphClient::new(&graph_url, Auth::new(dir.clone())?.token_provider()?)?;
    let (pages, users) = runtime().block_on(async {
        let mut url = format!("users/delta?$select={}", select.join(","));
        let (mut pages, mut users) = (0u64, 0u64);
        loop {
            let page = client.get_delta_page(&url, &[]).await?;
            pages += 1;
            users += page.value.len() as u64;
            match page.next_link {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok::<_, dirsync::graph::GraphError>((pages, users))
    })?;
    println!("pages {pages}");
    println!("users {users}");
    Ok(())
}

/// Adds, updates and deletes users in the emulated tenant (a third each).
fn mutate(dir: &DataDir, control: &str, count: usize) -> Result {
    let store = Store::open_in(dir)?;
    let (updates, deletes) = (count / 3, count / 3);
    let adds = count - updates - deletes;
    // Spread over the directory: every k-th stored user, deletions from the other end.
    let total = directory::count(store.conn())? as usize;
    let stride = (total / (updates + deletes).max(1)).max(1);
    // One pass in seq order (an OFFSET per pick would rescan the table each time: 14 s at 100,000).
    let mut stmt = store.conn().prepare("SELECT id FROM users ORDER BY seq")?;
    let picked: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .step_by(stride)
        .take(updates + deletes)
        .collect::<std::result::Result<_, _>>()?;
    drop(stmt);
    drop(store);
    let control = control.trim_end_matches('/');
    let http = reqwest::Client::new();
    runtime().block_on(async {
        let started = Instant::now();
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        for n in 0..adds {
            let user = json!({
                "displayName": format!("Bench Added {stamp}-{n}"),
                "userPrincipalName": format!("bench.added.{stamp}.{n}@bench.example"),
                "department": "Engineering",
                "jobTitle": "Engineer",
                "city": "Berlin",
                "accountEnabled": true,
            });
            check(
                http.post(format!("{control}/users"))
                    .json(&user)
                    .send()
                    .await?,
            )
            .await?;
        }
        for (n, id) in picked.iter().enumerate() {
            let request = if n < updates {
                let patch =
                    json!({ "jobTitle": format!("Bench Title {stamp}-{n}"), "city": "Paris" });
                http.patch(format!("{control}/users/{id}")).json(&patch)
            } else if n % 2 == 0 {
                http.post(format!("{control}/users/{id}/soft-delete"))
            } else {
                http.post(format!("{control}/users/{id}/hard-delete"))
            };
            check(request.send().await?).await?;
        }
        sample("mutate", started);
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    println!("added {adds}");
    println!("updated {}", updates.min(picked.len()));
    println!("deleted {}", picked.len().saturating_sub(updates));
    Ok(())
}

async fn check(response: reqwest::Response) -> Result {
    if response.status().is_success() {
        return Ok(());
    }
    let status = response.status();
    Err(format!("control API answered {status}: {}", response.text().await?).into())
}

/// 50 rules of the kinds admins write, over the attributes a default sync stores.
fn fifty_rules() -> Vec<String> {
    // The generated tenant's departments and cities, so that every rule selects somebody.
    let departments = graph_emulator::tenant::generator::DEPARTMENTS;
    let cities: Vec<&str> = graph_emulator::tenant::generator::cities().collect();
    let titles = ["Analyst", "Engineer", "Manager", "Director", "Lead"];
    let mut rules = Vec::new();
    for d in departments {
        rules.push(format!(
            r#"user.department -eq "{d}" -and user.accountEnabled -eq true"#
        ));
    }
    for c in &cities {
        rules.push(format!(
            r#"(user.city -eq "{c}") -and (user.userType -eq "Member")"#
        ));
    }
    for (d, t) in departments.iter().zip(titles.iter().cycle()) {
        rules.push(format!(
            r#"user.department -eq "{d}" -and user.jobTitle -contains "{t}""#
        ));
    }
    for c in &cities[..5] {
        rules.push(format!(
            r#"user.city -eq "{c}" -and -not (user.jobTitle -in ["Director", "Senior Manager"])"#
        ));
    }
    for letter in ["a", "b", "c", "d", "e"] {
        rules.push(format!(r#"user.displayName -startsWith "{letter}""#));
    }
    rules.push(r#"user.userType -eq "Guest""#.into());
    rules.push(r#"user.accountEnabled -eq false"#.into());
    rules.push(r#"user.mail -endsWith "@fabrikam.example""#.into());
    rules.push(r#"user.jobTitle -match "^(Senior )?Manager$""#.into());
    rules.push(
        r#"user.mobilePhone -ne null -and user.city -in ["Seattle", "Redmond", "Toronto"]"#.into(),
    );
    rules.push(r#"user.surname -startsWith "N" -or user.givenName -startsWith "A""#.into());
    rules.push(r##"user.userPrincipalName -contains "#EXT#""##.into());
    rules.push(r#"user.department -ne "IT" -and user.jobTitle -eq "Director""#.into());
    rules.push(r#"user.displayName -contains "son" -and user.accountEnabled -eq true"#.into());
    rules.push(r#"user.mail -ne null -and user.userType -ne "Guest" -and user.department -in ["Sales", "Marketing"]"#.into());
    assert_eq!(rules.len(), 50, "the benchmark evaluates 50 rules");
    rules
}

/// Reads every user's stored Graph attributes, in directory order, `BATCH` at a time.
fn for_each_raw(store: &Store, mut each: impl FnMut(Vec<Value>)) -> Result {
    const BATCH: i64 = 10_000;
    let mut after = 0i64;
    let mut stmt = store
        .conn()
        .prepare("SELECT seq, raw FROM users WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    loop {
        let rows: Vec<(i64, String)> = stmt
            .query_map([after, BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let Some((last, _)) = rows.last() else {
            return Ok(());
        };
        after = *last;
        let users = rows
            .iter()
            .map(|(_, raw)| serde_json::from_str(raw))
            .collect::<serde_json::Result<Vec<Value>>>()?;
        each(users);
    }
}

fn rules_bench(dir: &DataDir, runs: usize, changed: usize) -> Result {
    let store = Store::open_in(dir)?;
    let compiled = fifty_rules()
        .iter()
        .map(|text| rules::parse(text).map_err(|e| format!("{text}: {e}")))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let set = RuleSet::new(&compiled);

    // Full: every user, as a recompute after a rule change would read them.
    let mut users = Vec::new();
    let started = Instant::now();
    for_each_raw(&store, |batch| users.extend(batch))?;
    sample("rules_load_all", started);
    println!("users {}", users.len());
    for _ in 0..runs {
        let started = Instant::now();
        let hits = set.evaluate(&users);
        sample("rules_full", started);
        std::hint::black_box(hits);
    }
    // Streamed end to end: read, parse and evaluate in batches (memory stays at one batch).
    for _ in 0..runs {
        let started = Instant::now();
        let mut matched = 0usize;
        for_each_raw(&store, |batch| {
            matched += set.evaluate(&batch).iter().map(Vec::len).sum::<usize>();
        })?;
        sample("rules_full_streamed", started);
        std::hint::black_box(matched);
    }
    drop(users);

    // Incremental: `changed` users spread over the directory, read by id like a sync batch.
    let total = directory::count(store.conn())? as usize;
    let stride = (total / changed.max(1)).max(1);
    let mut ids: Vec<String> = Vec::new();
    {
        let mut stmt = store
            .conn()
            .prepare("SELECT id FROM users ORDER BY seq LIMIT 1 OFFSET ?1")?;
        for k in 0..changed.min(total) {
            ids.push(stmt.query_row([(k * stride) as i64], |r| r.get(0))?);
        }
    }
    for _ in 0..runs {
        let started = Instant::now();
        let mut stmt = store
            .conn()
            .prepare_cached("SELECT raw FROM users WHERE id = ?1")?;
        let mut batch = Vec::with_capacity(ids.len());
        for id in &ids {
            let raw: String = stmt.query_row([id], |r| r.get(0))?;
            batch.push(serde_json::from_str::<Value>(&raw)?);
        }
        let hits = set.evaluate(&batch);
        sample("rules_incremental", started);
        std::hint::black_box(hits);
    }
    Ok(())
}

fn search_bench(dir: &DataDir, runs: usize) -> Result {
    let store = Store::open_in(dir)?;
    let queries = [
        ("list", ""),
        ("name", "megan"),
        ("full_name", "sofia nguyen"),
        ("one_letter", "a"),
        ("city", "berlin"),
        ("phone", "206 555"),
    ];
    for (name, text) in queries {
        let query = Query {
            text: text.into(),
            ..Query::default()
        };
        let first = directory::search(store.conn(), &query)?;
        println!("matches {name} {}", first.total);
        for _ in 0..runs {
            let started = Instant::now();
            let page = directory::search(store.conn(), &query)?;
            sample(&format!("search_{name}"), started);
            std::hint::black_box(page);
        }
    }
    Ok(())
}

/// The database work of a first sync, without the sync: every row the first sync stored (users,
/// their "added" and "joined" records, their Employee network memberships) copied with one
/// `INSERT … SELECT` per table into a freshly migrated database, and the indexes and the full-text
/// index built by the first sync's own `BulkLoad`, in one transaction committed (with its
/// checkpoint) like the sync's. No JSON, no network, no per-row statements: a lower bound.
fn store_floor(dir: &DataDir, runs: usize) -> Result {
    let source = dir.database_path();
    let target = dir.path().join("store-floor.sqlite3");
    let remove = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
        }
    };
    let users = directory::count(Store::open(&source)?.conn())?;
    for _ in 0..runs {
        remove();
        let mut store = Store::open(&target)?;
        let conn = store.conn_mut();
        // The page cache of the sync's apply (sync::apply).
        conn.pragma_update(None, "cache_size", -32 * 1024)?;
        conn.execute("ATTACH DATABASE ?1 AS source", [source.to_string_lossy()])?;
        // The rows the records and memberships point at (the Employee network is there already),
        // outside the measured transaction.
        conn.execute_batch(
            "INSERT INTO runs SELECT * FROM source.runs;
             INSERT OR IGNORE INTO groups SELECT * FROM source.groups;",
        )?;
        let started = Instant::now();
        let tx = conn.transaction()?;
        let bulk = directory::BulkLoad::begin_with_history(&tx)?;
        tx.execute_batch(
            "INSERT INTO users SELECT * FROM source.users ORDER BY seq;
             INSERT INTO run_changes SELECT * FROM source.run_changes ORDER BY run_id, seq;
             INSERT INTO group_members SELECT * FROM source.group_members ORDER BY group_id, user_id;",
        )?;
        bulk.finish(&tx)?;
        tx.commit()?;
        sample("store_floor", started);
        let copied = directory::count(store.conn())?;
        if copied != users {
            return Err(format!("store-floor copied {copied} of {users} users").into());
        }
    }
    remove();
    Ok(())
}
