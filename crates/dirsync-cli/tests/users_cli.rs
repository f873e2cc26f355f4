//! `dirsync users list|show` on a directory seeded through the core API.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dirsync::datadir::DataDir;
use dirsync::store::Store;
use dirsync::{directory, groups, mapping};
use serde_json::{json, Value};

const DIRSYNC: &str = env!("CARGO_BIN_EXE_dirsync");

/// A fresh data directory, removed when dropped.
struct TempData(PathBuf);

impl TempData {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("dirsync-users-cli-{}-{name}", std::process::id()));
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

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn seed(data: &Path) {
    let mut store = Store::open_in(&DataDir::at(data).unwrap()).unwrap();
    mapping::set_field(
        store.conn(),
        "Cost center",
        "onPremisesExtensionAttributes.extensionAttribute1",
    )
    .unwrap();
    let m = mapping::load(store.conn()).unwrap();
    let users = [
        json!({"id": "0001", "displayName": "Ana Silva", "userPrincipalName": "ana@contoso.com", "mail": "ana@contoso.com",
               "mobilePhone": "+351 912 345 678", "city": "Lisbon", "department": "Finance", "jobTitle": "Controller",
               "accountEnabled": true, "userType": "Member", "onPremisesExtensionAttributes": {"extensionAttribute1": "CC-1"}}),
        json!({"id": "0002", "displayName": "Bob Stone", "userPrincipalName": "bob@contoso.com",
               "businessPhones": ["+1 206 555 0142"], "city": "Seattle", "department": "Engineering",
               "accountEnabled": false, "userType": "Member"}),
        json!({"id": "0003", "displayName": "Gus Guest", "userPrincipalName": "gus_x.com#EXT#@contoso.onmicrosoft.com",
               "city": "Seattle", "accountEnabled": true, "userType": "Guest"}),
    ];
    let tx = store.conn_mut().transaction().unwrap();
    for u in &users {
        directory::apply_upsert(&tx, u, &m).unwrap();
    }
    groups::recompute_for_users(&tx, &["0001".into(), "0002".into(), "0003".into()]).unwrap();
    tx.commit().unwrap();
}

#[test]
fn list_prints_a_table_with_count_and_added_fields() {
    let data = TempData::new("table");
    seed(&data.0);
    let out = stdout(&dirsync(&data.0, &["users", "list"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "3 people");
    assert!(
        lines[1].starts_with("NAME") && lines[1].contains("COST CENTER"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("Ana Silva")
            && lines[2].contains("+351 912 345 678")
            && lines[2].contains("CC-1")
    );
    assert!(lines[3].starts_with("Bob Stone (disabled)") && lines[3].contains("+1 206 555 0142"));
    assert!(lines[4].starts_with("Gus Guest (guest)"));
    assert_eq!(lines.len(), 5);
}

#[test]
fn list_searches_and_prints_json() {
    let data = TempData::new("json");
    seed(&data.0);
    let out = stdout(&dirsync(
        &data.0,
        &["users", "list", "--search", "seattle", "--json"],
    ));
    let users: Vec<Value> = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["0002", "0003"]);
    assert_eq!(users[0]["accountState"], "Disabled");
    assert_eq!(users[1]["guest"], true);
    assert_eq!(users[0]["fields"]["Cost center"], Value::Null);

    let out = stdout(&dirsync(
        &data.0,
        &[
            "users", "list", "--sort", "name", "--desc", "--limit", "1", "--json",
        ],
    ));
    let users: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["name"], "Gus Guest");

    let out = stdout(&dirsync(
        &data.0,
        &["users", "list", "--search", "nobody-here", "--json"],
    ));
    assert_eq!(serde_json::from_str::<Vec<Value>>(&out).unwrap().len(), 0);
}

#[test]
fn list_csv_exports_matching_users_with_every_field() {
    let data = TempData::new("csv");
    seed(&data.0);
    let out = stdout(&dirsync(&data.0, &["users", "list", "--csv"]));
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "Object id,UPN,Mail,Name,Phone number,City,Cost center,Job title,Department,Account state,User type,Added,Changed"
    );
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("0001,ana@contoso.com,ana@contoso.com,Ana Silva,+351 912 345 678,Lisbon,CC-1,Controller,Finance,Enabled,Member,"));
    let out = stdout(&dirsync(
        &data.0,
        &["users", "list", "--csv", "--search", "ana"],
    ));
    assert_eq!(out.split("\r\n").filter(|l| !l.is_empty()).count(), 2);
}

#[test]
fn show_by_id_or_upn() {
    let data = TempData::new("show");
    seed(&data.0);
    let by_upn = stdout(&dirsync(&data.0, &["users", "show", "ANA@contoso.com"]));
    for expected in [
        "Name           Ana Silva",
        "Cost center    CC-1",
        "Object id      0001",
        "Account state  Enabled",
        "User type      Member",
        "Groups         Employee network",
    ] {
        assert!(by_upn.contains(expected), "{expected:?} in\n{by_upn}");
    }
    let json: Value = serde_json::from_str(&stdout(&dirsync(
        &data.0,
        &["users", "show", "0003", "--json"],
    )))
    .unwrap();
    assert_eq!(
        json["userPrincipalName"],
        "gus_x.com#EXT#@contoso.onmicrosoft.com"
    );
    assert_eq!(json["guest"], true);
    assert_eq!(json["fields"]["City"], "Seattle");
    assert_eq!(json["groups"], json!(["Employee network"]));
    assert_eq!(json["attributes"]["userType"], "Guest");

    let missing = dirsync(&data.0, &["users", "show", "nobody@contoso.com"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr)
        .contains("no user with object id or UPN 'nobody@contoso.com'"));
}
