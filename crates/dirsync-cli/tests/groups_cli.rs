//! `dirsync groups ...` against a directory filled through the core: dynamic and static groups,
//! members with search, preview, explain, the sync scope, and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dirsync::datadir::DataDir;
use dirsync::store::Store;
use dirsync::{directory, groups, mapping};
use serde_json::{json, Value};

const DIRSYNC: &str = env!("CARGO_BIN_EXE_dirsync");
const RULE: &str = r#"(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")"#;

struct TempData(PathBuf);

impl TempData {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("dirsync-groups-cli-{}-{name}", std::process::id()));
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
        "failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json_of(o: Output) -> Value {
    serde_json::from_str(&ok(o)).unwrap()
}

/// A directory of five people, as a sync would leave it.
fn directory_with_people(data: &Path) {
    let mut store = Store::open_in(&DataDir::at(data.to_path_buf()).unwrap()).unwrap();
    let m = mapping::load(store.conn()).unwrap();
    let people = [
        ("a1", "Ana Silva", "Senior Manager", "Finance", "Lisbon"),
        ("a2", "Bob Stone", "Senior Manager", "Finance", "Seattle"),
        ("a3", "Cleo Park", "Analyst", "Finance", "Seattle"),
        ("a4", "Dev Rao", "Senior Manager", "Sales", "Pune"),
        ("a5", "Eve Lind", "Engineer", "Engineering", "Oslo"),
    ];
    let tx = store.conn_mut().transaction().unwrap();
    let mut ids = Vec::new();
    for (id, name, title, dept, city) in people {
        let upn = format!(
            "{}@contoso.com",
            name.split(' ').next().unwrap().to_lowercase()
        );
        directory::apply_upsert(
            &tx,
            &json!({"id": id, "displayName": name, "userPrincipalName": upn, "jobTitle": title,
                    "department": dept, "city": city, "userType": "Member"}),
            &m,
        )
        .unwrap();
        ids.push(id.to_string());
    }
    groups::recompute_for_users(&tx, &ids).unwrap();
    tx.commit().unwrap();
}

#[test]
fn dynamic_groups_from_create_to_delete() {
    let tmp = TempData::new("dynamic");
    let data = &tmp.0;
    directory_with_people(data);

    let out = ok(dirsync(
        data,
        &[
            "groups",
            "create",
            "Finance Senior Managers",
            "--rule",
            RULE,
            "--description",
            "Seniors in Finance",
        ],
    ));
    assert_eq!(
        out.trim(),
        "Created Finance Senior Managers. +2 −0 members."
    );

    let list = json_of(dirsync(data, &["groups", "list", "--json"]));
    let names: Vec<(&str, &str, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap(),
                g["kind"].as_str().unwrap(),
                g["member_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("Employee network", "builtin", 5),
            ("Finance Senior Managers", "dynamic", 2)
        ]
    );
    let text = ok(dirsync(data, &["groups", "list"]));
    assert!(text.lines().nth(1).unwrap().contains(RULE), "{text}");

    assert_eq!(
        ok(dirsync(data, &["groups", "members", "Finance Senior Managers"])),
        "Ana Silva <ana@contoso.com> · Senior Manager, Finance\nBob Stone <bob@contoso.com> · Senior Manager, Finance\n"
    );
    let found = json_of(dirsync(
        data,
        &[
            "groups",
            "members",
            "finance senior managers",
            "--search",
            "seattle bob",
            "--json",
        ],
    ));
    assert_eq!(found["total"], 0, "city is not a member-list column");
    let found = json_of(dirsync(
        data,
        &[
            "groups",
            "members",
            "Finance Senior Managers",
            "--search",
            "bob",
            "--json",
        ],
    ));
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], "a2");

    // Preview against the saved rule, then change it.
    let wider = r#"user.department -eq "Finance""#;
    let out = ok(dirsync(
        data,
        &[
            "groups",
            "preview",
            wider,
            "--group",
            "Finance Senior Managers",
        ],
    ));
    assert!(
        out.starts_with("Matches 3 people · +1 −0 against the saved rule\n+ Cleo Park"),
        "{out}"
    );
    let saved = json_of(dirsync(
        data,
        &[
            "groups",
            "update",
            "Finance Senior Managers",
            "--rule",
            wider,
            "--name",
            "Finance",
            "--json",
        ],
    ));
    assert_eq!(saved["joined"], json!(["a3"]));
    assert_eq!(saved["left"], json!([]));
    let show = json_of(dirsync(data, &["groups", "show", "finance", "--json"]));
    assert_eq!(show["group"]["rule"], wider);
    assert_eq!(show["group"]["member_count"], 3);
    assert_eq!(show["group"]["description"], "Seniors in Finance");
    assert_eq!(show["recentChanges"][0]["cause"], "rule changed");
    assert_eq!(show["recentChanges"][0]["user_id"], "a3");

    // Explain, by UPN.
    let out = ok(dirsync(
        data,
        &["groups", "explain", RULE, "cleo@contoso.com"],
    ));
    assert_eq!(
        out,
        "Does not match\n  ✗ user.jobTitle -eq \"Senior Manager\"   (value: Analyst)\n  ✓ user.department -eq \"Finance\"   (value: Finance)\n"
    );

    // A broken rule: exit 2, the message with a caret under the position.
    let o = dirsync(
        data,
        &[
            "groups",
            "update",
            "Finance",
            "--rule",
            r#"user.department -eq"#,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with("dirsync: the rule is not valid:\n"),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(&format!("{}^", " ".repeat(19))),
        "{err}"
    );
    assert_eq!(
        json_of(dirsync(data, &["groups", "show", "Finance", "--json"]))["group"]["rule"],
        wider
    );

    // Unknown groups and the built-in one are usage errors.
    assert_eq!(
        dirsync(data, &["groups", "show", "Nope"]).status.code(),
        Some(2)
    );
    let o = dirsync(data, &["groups", "delete", "Employee network"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be deleted"));
    assert_eq!(
        dirsync(
            data,
            &["groups", "create", "Both", "--static", "--rule", RULE]
        )
        .status
        .code(),
        Some(2)
    );

    ok(dirsync(data, &["groups", "delete", "Finance"]));
    assert_eq!(
        json_of(dirsync(data, &["groups", "list", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn static_groups_take_members_by_id_or_upn() {
    let tmp = TempData::new("static");
    let data = &tmp.0;
    directory_with_people(data);
    ok(dirsync(
        data,
        &["groups", "create", "Hiking club", "--static"],
    ));
    assert_eq!(
        ok(dirsync(
            data,
            &[
                "groups",
                "add",
                "Hiking club",
                "EVE@contoso.com",
                "a1",
                "a1"
            ]
        ))
        .trim(),
        "Added 2 (already members: 1)."
    );
    let members = json_of(dirsync(
        data,
        &["groups", "members", "Hiking club", "--json"],
    ));
    let ids: Vec<&str> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["a1", "a5"]);
    let o = dirsync(
        data,
        &["groups", "add", "Hiking club", "nobody@contoso.com"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nobody@contoso.com"));
    assert_eq!(
        ok(dirsync(data, &["groups", "remove", "Hiking club", "a1"])).trim(),
        "Removed 1 (not members: 0)."
    );
    // Members of a static group are not picked by a rule.
    let o = dirsync(data, &["groups", "update", "Hiking club", "--rule", RULE]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("only dynamic groups have a rule"));
}

#[test]
fn scope_shows_the_rule_in_force_and_previews_a_new_one() {
    let tmp = TempData::new("scope");
    let data = &tmp.0;
    directory_with_people(data);
    let out = ok(dirsync(data, &["groups", "scope"]));
    assert!(
        out.starts_with("Scope: user.userType -eq \"Member\"\nKeeps 5 people · removes 0\n"),
        "{out}"
    );
    let p = json_of(dirsync(
        data,
        &[
            "groups",
            "scope",
            r#"user.department -ne "Sales""#,
            "--json",
        ],
    ));
    assert_eq!(
        (p["kept"].as_u64(), p["removed"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(p["removed_sample"][0]["name"], "Dev Rao");
    assert_eq!(p["changed"], true);
    let o = dirsync(data, &["config", "set", "sync_scope", "user.userType -eq"]);
    assert_ne!(o.status.code(), Some(0));
    ok(dirsync(
        data,
        &[
            "config",
            "set",
            "sync_scope",
            r#"user.department -ne "Sales""#,
        ],
    ));
    assert!(ok(dirsync(data, &["groups", "scope"]))
        .starts_with("Scope: user.department -ne \"Sales\"\n"));
}
