//! Rule previews over the stored directory (Groups page, Settings › Sync scope) read only the
//! properties a rule refers to. Data-driven check that this selects exactly who evaluating each
//! user's whole stored object selects, over emulator-generated users with every property
//! (extension attributes, directory extensions, collections, nulls), and that a damaged stored
//! object is still reported.

use std::collections::BTreeSet;

use dirsync::directory;
use dirsync::groups::{self, GroupsError};
use dirsync::mapping;
use dirsync::rules;
use dirsync::store::Store;
use graph_emulator::tenant::generator::Generator;
use serde_json::{json, Value};

const USERS: usize = 400;
const EXTENSION: &str = "extension_0a1b2c3d4e5f_jobGroup";

const RULES: &[&str] = &[
    r#"(user.jobTitle -eq "Senior Manager") -and (user.department -eq "Finance")"#,
    r#"user.department -in ["Sales", "Marketing"] -and user.accountEnabled -eq true"#,
    r#"user.displayName -startsWith "A" -or user.city -match "^(Oslo|Pune)$""#,
    r#"user.userType -eq "Guest""#,
    r#"user.extensionAttribute1 -startsWith "CC-1""#,
    r#"user.extensionAttribute15 -eq null"#,
    // Directory extensions by another casing than Graph returns.
    r#"user.EXTENSION_0A1B2C3D4E5F_JOBGROUP -in ["JG-1", "JG-2", "JG-3"]"#,
    r#"user.proxyAddresses -any (_ -startsWith "smtp:")"#,
    r#"user.sipProxyAddress -ne null"#,
    r#"user.dirSyncEnabled -eq true -and -not (user.department -eq "IT")"#,
    r#"user.jobTitle -eq null -or user.mobilePhone -ne null"#,
    r#"user.otherMails -any (_ -contains "@")"#,
    r#"user.objectId -ne null -and user.mail -startsWith "a""#,
];

fn stored_directory() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("preview.sqlite3")).unwrap();
    let gen = Generator::new(11, USERS, "contoso.example", EXTENSION);
    let m = mapping::load(store.conn()).unwrap();
    let tx = store.conn_mut().transaction().unwrap();
    for i in 0..USERS {
        let mut user = gen.user(i);
        // Multi-valued properties the generator leaves out, on some users.
        let upn = user["userPrincipalName"].as_str().unwrap().to_string();
        if i % 3 == 0 {
            user.insert(
                "proxyAddresses".into(),
                json!([format!("SMTP:{upn}"), format!("SIP:{upn}")]),
            );
        }
        if i % 5 == 0 {
            user.insert("otherMails".into(), json!([format!("home{i}@example.org")]));
        }
        directory::apply_upsert(&tx, &Value::Object(user), &m).unwrap();
    }
    tx.commit().unwrap();
    (dir, store)
}

/// Who `rule` selects when each stored object is parsed whole.
fn selected_whole(store: &Store, rule: &rules::Rule) -> BTreeSet<String> {
    let mut stmt = store.conn().prepare("SELECT id, raw FROM users").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    rows.map(Result::unwrap)
        .filter(|(_, raw)| rule.matches(&serde_json::from_str(raw).unwrap()))
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn previews_select_exactly_who_the_whole_objects_select() {
    let (_dir, store) = stored_directory();
    for text in RULES {
        let rule = rules::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let want = selected_whole(&store, &rule);
        assert!(
            !want.is_empty() && want.len() < USERS,
            "{text} splits the directory ({} of {USERS})",
            want.len()
        );

        let p = groups::preview_rule(store.conn(), text, None).unwrap();
        assert_eq!(p.matches as usize, want.len(), "{text}");
        assert_eq!(p.added as usize, want.len(), "{text}");
        assert!(p.sample.iter().all(|m| want.contains(&m.id)), "{text}");

        let s = groups::preview_scope(store.conn(), text).unwrap();
        assert_eq!(
            (s.kept as usize, s.removed as usize),
            (want.len(), USERS - want.len()),
            "{text}"
        );
        assert!(
            s.removed_sample.iter().all(|m| !want.contains(&m.id)),
            "{text}"
        );
    }
}

#[test]
fn a_damaged_stored_object_is_named() {
    let (_dir, store) = stored_directory();
    let id: String = store
        .conn()
        .query_row(
            "SELECT id FROM users ORDER BY seq LIMIT 1 OFFSET 7",
            [],
            |r| r.get(0),
        )
        .unwrap();
    store
        .conn()
        .execute(
            "UPDATE users SET raw = '{\"department\": \"Fin' WHERE id = ?1",
            [&id],
        )
        .unwrap();
    let err = groups::preview_rule(store.conn(), RULES[0], None).unwrap_err();
    assert!(
        matches!(&err, GroupsError::Damaged { id: bad, .. } if *bad == id),
        "{err}"
    );
    let err = groups::preview_scope(store.conn(), RULES[0]).unwrap_err();
    assert!(matches!(err, GroupsError::Damaged { .. }), "{err}");
}
