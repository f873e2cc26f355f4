//! `dirsync mapping list|set|remove|attributes`, and how a change reaches stored users.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dirsync::datadir::DataDir;
use dirsync::store::Store;
use dirsync::{directory, mapping};
use serde_json::{json, Value};

const DIRSYNC: &str = env!("CARGO_BIN_EXE_dirsync");

struct TempData(PathBuf);

impl TempData {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("dirsync-mapping-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempData {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dirsync(data: &Path, args: &[&str]) -> Output {
    Command::new(DIRSYNC)
        .args(args)
        .env("DIRSYNC_DATA_DIR", data)
        .output()
        .expect("dirsync runs")
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn list(data: &Path) -> Vec<(String, String, bool)> {
    let rows: Vec<Value> =
        serde_json::from_str(&ok(dirsync(data, &["mapping", "list", "--json"]))).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["field"].as_str().unwrap().into(),
                r["attribute"].as_str().unwrap().into(),
                r["builtin"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(f: &str, a: &str, b: bool) -> (String, String, bool) {
    (f.into(), a.into(), b)
}

#[test]
fn list_set_and_remove() {
    let data = TempData::new("edit");
    assert_eq!(
        list(&data.0),
        [
            row("Name", "displayName", true),
            row("Phone number", "mobilePhone", true),
            row("City", "city", true)
        ]
    );
    let text = ok(dirsync(&data.0, &["mapping", "list"]));
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("Name          displayName"));

    ok(dirsync(
        &data.0,
        &[
            "mapping",
            "set",
            "Cost center",
            "onPremisesExtensionAttributes.extensionAttribute7",
        ],
    ));
    ok(dirsync(
        &data.0,
        &["mapping", "set", "city", "officelocation"],
    ));
    assert_eq!(
        list(&data.0),
        [
            row("Name", "displayName", true),
            row("Phone number", "mobilePhone", true),
            row("City", "officeLocation", true),
            row(
                "Cost center",
                "onPremisesExtensionAttributes.extensionAttribute7",
                false
            ),
        ]
    );
    ok(dirsync(&data.0, &["mapping", "remove", "cost center"]));
    assert_eq!(list(&data.0).len(), 3);
}

#[test]
fn bad_edits_exit_2_naming_the_row() {
    let data = TempData::new("bad");
    let cases: &[(&[&str], &str)] = &[
        (
            &["mapping", "set", "Title", "jobTitel"],
            "row 4 (Title): 'jobTitel' is not a known Azure AD user attribute",
        ),
        (
            &["mapping", "set", "", "jobTitle"],
            "row 4 (no name): the directory field name is empty",
        ),
        (
            &["mapping", "remove", "City"],
            "the built-in field 'City' cannot be removed",
        ),
        (
            &["mapping", "remove", "Nope"],
            "there is no directory field named 'Nope'",
        ),
    ];
    for (args, message) in cases {
        let out = dirsync(&data.0, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    assert_eq!(list(&data.0).len(), 3, "nothing saved");
}

#[test]
fn set_refreshes_stored_users_or_announces_a_full_round() {
    let data = TempData::new("refresh");
    {
        let mut store = Store::open_in(&DataDir::at(&data.0).unwrap()).unwrap();
        let m = mapping::load(store.conn()).unwrap();
        let tx = store.conn_mut().transaction().unwrap();
        let u =
            json!({"id": "u1", "displayName": "Ana", "city": "Lisbon", "department": "Finance"});
        directory::apply_upsert(&tx, &u, &m).unwrap();
        mapping::set_tracked_select(&tx, Some(&m.graph_select())).unwrap();
        tx.commit().unwrap();
    }
    // department is tracked: stored users get the new field at once.
    let out = ok(dirsync(&data.0, &["mapping", "set", "Dept", "department"]));
    assert!(out.contains("1 users updated"), "{out}");
    let shown: Value =
        serde_json::from_str(&ok(dirsync(&data.0, &["users", "show", "u1", "--json"]))).unwrap();
    assert_eq!(shown["fields"]["Dept"], "Finance");
    // employeeId is not: the next sync must re-read everyone.
    let out = ok(dirsync(
        &data.0,
        &["mapping", "set", "Employee id", "employeeId"],
    ));
    assert!(
        out.contains("full round") && out.contains("employeeId"),
        "{out}"
    );
}

#[test]
fn attributes_lists_the_picker() {
    let data = TempData::new("attrs");
    let out = ok(dirsync(&data.0, &["mapping", "attributes"]));
    assert!(out
        .lines()
        .any(|l| l.starts_with("onPremisesExtensionAttributes.extensionAttribute15")));
    assert!(out
        .lines()
        .any(|l| l.starts_with("extension_<appId>_<name>")));
}
