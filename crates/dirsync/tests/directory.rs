//! The directory through its public API on an on-disk database: upserts (full and minimal objects),
//! change detection, identity by object id, removal from groups, restore, guests and disabled accounts,
//! search, paging, sorting and CSV export.

use dirsync::directory::{
    self, FieldChange, Query, RemoveReason, SortKey, UserChange, UserSummary,
};
use dirsync::groups::{self, EMPLOYEE_NETWORK};
use dirsync::mapping::{self, Mapping, MappingRow};
use dirsync::store::Store;
use serde_json::{json, Value};

struct Db {
    _dir: tempfile::TempDir,
    store: Store,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("dirsync.sqlite3")).unwrap();
    Db { _dir: dir, store }
}

impl Db {
    fn mapping(&self) -> Mapping {
        mapping::load(self.store.conn()).unwrap()
    }

    /// Applies users as one sync would: upsert each, then recompute memberships, in one transaction.
    fn sync(&mut self, users: &[Value]) -> Vec<UserChange> {
        let mapping = self.mapping();
        let tx = self.store.conn_mut().transaction().unwrap();
        let changes: Vec<UserChange> = users
            .iter()
            .map(|u| directory::apply_upsert(&tx, u, &mapping).unwrap())
            .collect();
        let ids: Vec<String> = users
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect();
        groups::recompute_for_users(&tx, &ids).unwrap();
        tx.commit().unwrap();
        changes
    }

    fn upsert(&mut self, user: Value) -> UserChange {
        self.sync(&[user]).pop().unwrap()
    }

    fn remove(&mut self, id: &str, reason: RemoveReason) -> Option<directory::RemovedUser> {
        let tx = self.store.conn_mut().transaction().unwrap();
        let removed = directory::apply_remove(&tx, id, reason).unwrap();
        tx.commit().unwrap();
        removed
    }

    fn search(&self, text: &str) -> Vec<String> {
        let page = directory::search(
            self.store.conn(),
            &Query {
                text: text.into(),
                limit: 1000,
                ..Query::default()
            },
        )
        .unwrap();
        assert_eq!(page.total as usize, page.items.len(), "total for {text:?}");
        page.items.into_iter().map(|u| u.id).collect()
    }
}

fn alice() -> Value {
    json!({
        "id": "11111111-0000-0000-0000-000000000001",
        "displayName": "Alice Martín",
        "givenName": "Alice",
        "surname": "Martín",
        "userPrincipalName": "alice@contoso.com",
        "mail": "alice.martin@contoso.com",
        "mobilePhone": "+1 (425) 555-0101",
        "businessPhones": ["+1 425 555 0199"],
        "city": "Seattle",
        "jobTitle": "Staff Engineer",
        "department": "Platform",
        "accountEnabled": true,
        "userType": "Member"
    })
}

fn change(field: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
    FieldChange {
        field: field.into(),
        old: old.map(String::from),
        new: new.map(String::from),
    }
}

#[test]
fn first_upsert_adds_with_mapped_fields_and_joins_employee_network() {
    let mut db = db();
    let added = db.upsert(alice());
    assert_eq!(
        added,
        UserChange::Added {
            fields: vec![
                ("Name".into(), Some("Alice Martín".into())),
                ("Phone number".into(), Some("+1 (425) 555-0101".into())),
                ("City".into(), Some("Seattle".into())),
            ]
        }
    );
    let d = directory::get(db.store.conn(), "11111111-0000-0000-0000-000000000001")
        .unwrap()
        .unwrap();
    assert_eq!(d.upn.as_deref(), Some("alice@contoso.com"));
    assert_eq!(d.groups, vec![EMPLOYEE_NETWORK.to_string()]);
    assert_eq!(d.account_state(), "Enabled");
    assert!(!d.guest);
    assert_eq!(d.raw["givenName"], "Alice");
    assert_eq!(d.added_at, d.changed_at);
    assert_eq!(directory::count(db.store.conn()).unwrap(), 1);
    assert_eq!(
        groups::member_count(db.store.conn(), EMPLOYEE_NETWORK).unwrap(),
        1
    );
}

#[test]
fn same_object_again_is_unchanged_and_changes_are_reported_old_to_new() {
    let mut db = db();
    db.upsert(alice());
    assert_eq!(db.upsert(alice()), UserChange::Unchanged);

    let mut moved = alice();
    moved["city"] = json!("Redmond");
    moved["givenName"] = json!("Ally");
    assert_eq!(
        db.upsert(moved),
        UserChange::Updated {
            changes: vec![
                change("City", Some("Seattle"), Some("Redmond")),
                change("givenName", Some("Alice"), Some("Ally")),
            ]
        }
    );
}

#[test]
fn minimal_objects_merge_and_null_clears_a_field() {
    let mut db = db();
    db.upsert(alice());
    let id = "11111111-0000-0000-0000-000000000001";
    // Prefer: return=minimal sends only what changed; omitted properties keep their value.
    assert_eq!(
        db.upsert(json!({"id": id, "jobTitle": "Principal Engineer"})),
        UserChange::Updated {
            changes: vec![change(
                "jobTitle",
                Some("Staff Engineer"),
                Some("Principal Engineer")
            )]
        }
    );
    // An explicit null clears; the phone then falls back to the first business phone.
    assert_eq!(
        db.upsert(json!({"id": id, "mobilePhone": null, "city": null})),
        UserChange::Updated {
            changes: vec![
                change(
                    "Phone number",
                    Some("+1 (425) 555-0101"),
                    Some("+1 425 555 0199")
                ),
                change("City", Some("Seattle"), None),
            ]
        }
    );
    let d = directory::get(db.store.conn(), id).unwrap().unwrap();
    assert_eq!(d.job_title.as_deref(), Some("Principal Engineer"));
    assert_eq!(d.raw["city"], Value::Null);
    assert_eq!(d.raw["displayName"], "Alice Martín");
    assert_eq!(
        d.fields,
        vec![
            ("Name".into(), Some("Alice Martín".into())),
            ("Phone number".into(), Some("+1 425 555 0199".into())),
            ("City".into(), None),
        ]
    );
    // Annotations are not stored; a minimal object with nothing new is Unchanged.
    assert_eq!(
        db.upsert(json!({"id": id, "@odata.type": "#microsoft.graph.user", "manager@delta": []})),
        UserChange::Unchanged
    );
    let d = directory::get(db.store.conn(), id).unwrap().unwrap();
    assert!(d.raw.get("@odata.type").is_none() && d.raw.get("manager@delta").is_none());
}

#[test]
fn rename_keeps_identity_and_lookup_follows_the_new_upn() {
    let mut db = db();
    db.upsert(alice());
    let mut renamed = alice();
    renamed["userPrincipalName"] = json!("alice.martin@fabrikam.com");
    renamed["displayName"] = json!("Alice Martin-Lee");
    let UserChange::Updated { changes } = db.upsert(renamed) else {
        panic!("rename must be an update")
    };
    assert!(changes.contains(&change(
        "Name",
        Some("Alice Martín"),
        Some("Alice Martin-Lee")
    )));
    assert!(changes.contains(&change(
        "userPrincipalName",
        Some("alice@contoso.com"),
        Some("alice.martin@fabrikam.com")
    )));
    assert_eq!(directory::count(db.store.conn()).unwrap(), 1);
    assert!(directory::get(db.store.conn(), "alice@contoso.com")
        .unwrap()
        .is_none());
    let d = directory::get(db.store.conn(), "ALICE.MARTIN@fabrikam.com")
        .unwrap()
        .unwrap();
    assert_eq!(d.id, "11111111-0000-0000-0000-000000000001");
    assert_eq!(db.search("fabrikam"), vec![d.id.clone()]);
    assert!(
        db.search("Martín").contains(&d.id),
        "diacritics-insensitive"
    );
    assert!(db.search("contoso").contains(&d.id), "mail still contoso");
}

#[test]
fn removal_leaves_directory_and_every_group_and_restore_comes_back() {
    let mut db = db();
    db.upsert(alice());
    let id = "11111111-0000-0000-0000-000000000001".to_string();
    groups::create_static(db.store.conn(), "Hiking club", "").unwrap();
    assert_eq!(
        groups::add_members(db.store.conn(), "Hiking club", std::slice::from_ref(&id)).unwrap(),
        1
    );
    assert_eq!(
        directory::get(db.store.conn(), &id)
            .unwrap()
            .unwrap()
            .groups,
        vec![EMPLOYEE_NETWORK.to_string(), "Hiking club".to_string()]
    );

    for reason in [
        RemoveReason::SoftDeleted,
        RemoveReason::HardDeleted,
        RemoveReason::Swept,
    ] {
        db.upsert(alice());
        let removed = db.remove(&id, reason).expect("was present");
        assert_eq!(removed.upn.as_deref(), Some("alice@contoso.com"));
        assert_eq!(removed.name.as_deref(), Some("Alice Martín"));
        assert_eq!(removed.reason, reason);
        assert!(removed.groups.contains(&EMPLOYEE_NETWORK.to_string()));
        assert!(directory::get(db.store.conn(), &id).unwrap().is_none());
        assert_eq!(
            groups::member_count(db.store.conn(), EMPLOYEE_NETWORK).unwrap(),
            0
        );
        assert_eq!(
            groups::member_count(db.store.conn(), "Hiking club").unwrap(),
            0
        );
        assert!(
            db.search("alice").is_empty(),
            "search index follows removal"
        );
        // A replayed removal is harmless.
        assert_eq!(db.remove(&id, reason), None);
    }
    // Restored users come back as newly created objects.
    assert!(matches!(db.upsert(alice()), UserChange::Added { .. }));
    assert_eq!(
        directory::get(db.store.conn(), &id)
            .unwrap()
            .unwrap()
            .groups,
        vec![EMPLOYEE_NETWORK.to_string()]
    );
}

#[test]
fn guests_and_disabled_accounts_are_visible_as_such() {
    let mut db = db();
    db.sync(&[
        json!({"id": "g1", "displayName": "Gus Guest", "userPrincipalName": "gus_outlook.com#EXT#@contoso.onmicrosoft.com",
               "userType": "Guest", "accountEnabled": true}),
        json!({"id": "d1", "displayName": "Dora Disabled", "userPrincipalName": "dora@contoso.com",
               "userType": "Member", "accountEnabled": false}),
        json!({"id": "u1", "displayName": "Uma Unknown", "userPrincipalName": "uma@contoso.com"}),
    ]);
    let get = |id: &str| directory::get(db.store.conn(), id).unwrap().unwrap();
    assert!(get("g1").guest);
    assert_eq!(get("g1").account_state(), "Enabled");
    assert!(!get("d1").guest);
    assert_eq!(get("d1").account_state(), "Disabled");
    assert_eq!(get("u1").account_state(), "Unknown");
    let page = directory::search(db.store.conn(), &Query::default()).unwrap();
    let by_id = |id: &str| page.items.iter().find(|u| u.id == id).unwrap().clone();
    assert!(by_id("g1").guest);
    assert_eq!(by_id("d1").account_enabled, Some(false));
    assert_eq!(
        groups::member_count(db.store.conn(), EMPLOYEE_NETWORK).unwrap(),
        3
    );
}

fn people() -> Vec<Value> {
    vec![
        json!({"id": "a", "displayName": "Ana Silva", "userPrincipalName": "ana@contoso.com", "mail": "ana.silva@contoso.com",
               "mobilePhone": "+351 912 345 678", "city": "Lisbon", "department": "Finance", "jobTitle": "Controller"}),
        json!({"id": "b", "displayName": "Bob Stone", "userPrincipalName": "bob@contoso.com", "mail": "rstone@contoso.com",
               "businessPhones": ["+1 206 555 0142"], "city": "Seattle", "department": "Engineering", "jobTitle": "Developer"}),
        json!({"id": "c", "displayName": "Chen Wei", "userPrincipalName": "chen@contoso.com",
               "city": "Shanghai", "department": "Engineering", "jobTitle": "Engineering Manager"}),
        json!({"id": "d", "displayName": "Dana Scully", "userPrincipalName": "dana@fabrikam.com", "mail": "dana@fabrikam.com",
               "mobilePhone": "206-555-0199", "department": "Legal", "jobTitle": "Counsel"}),
        json!({"id": "e", "userPrincipalName": "nameless@contoso.com", "city": "Seattle"}),
    ]
}

#[test]
fn search_finds_each_field_by_word_prefix() {
    let mut db = db();
    db.sync(&people());
    let cases: &[(&str, &[&str])] = &[
        ("", &["a", "b", "c", "d", "e"]),
        ("ana", &["a"]),          // name
        ("silv", &["a"]),         // name prefix
        ("bob@contoso", &["b"]),  // UPN
        ("rstone", &["b"]),       // mail
        ("fabrikam.com", &["d"]), // UPN and mail domain
        ("912", &["a"]),          // phone word
        ("351912", &["a"]),       // phone digits whatever the formatting
        ("206", &["b", "d"]),     // business-phone fallback and mobile
        ("206-555-01", &["b", "d"]),
        ("2065550142", &["b"]),       // digits without the country code
        ("5550199", &["d"]),          // any run of digits
        ("seattle", &["b", "e"]),     // city
        ("SEA", &["b", "e"]),         // case-insensitive prefix
        ("engineering", &["b", "c"]), // department (and job title of c)
        ("manager", &["c"]),          // job title
        ("couns", &["d"]),
        ("engineering man", &["c"]), // every word must match
        ("lisbon finance", &["a"]),
        ("zzz", &[]),
        ("\"ana\" * (", &["a"]), // FTS syntax in the input is text, not operators
        ("ana OR bob", &[]),     // OR is a word to find, not an operator
        ("***", &["a", "b", "c", "d", "e"]), // nothing searchable lists everyone
    ];
    for (text, expected) in cases {
        let mut found = db.search(text);
        found.sort();
        assert_eq!(found, *expected, "search {text:?}");
    }
}

/// Users for the phone search cases: punctuation of every kind in the stored phones, and digits in
/// other fields (found as words, not as phone digits).
fn phone_people() -> Vec<Value> {
    vec![
        json!({"id": "p1", "displayName": "Pia One", "mobilePhone": "+1 (425) 555-0101"}),
        json!({"id": "p2", "displayName": "Pat Two", "mobilePhone": "425.555.0199"}),
        json!({"id": "p3", "displayName": "Pim Three", "businessPhones": ["+44 20 7946 0958 ext. 12"]}),
        json!({"id": "p4", "displayName": "Poe Four", "jobTitle": "Support 555", "city": "Room 0101"}),
        json!({"id": "p5", "displayName": "Pru Five"}),
    ]
}

#[test]
fn phone_search_finds_any_run_of_digits_whatever_the_punctuation() {
    let mut db = db();
    db.sync(&phone_people());
    let cases: &[(&str, &[&str])] = &[
        ("5550101", &["p1"]),            // digits across the stored punctuation
        ("25555", &["p1", "p2"]),        // starts inside a group, ends inside the next
        ("(425) 555-01", &["p1", "p2"]), // punctuation in the query
        ("4.2.5-5 5 5", &["p1", "p2"]),  // punctuation anywhere in the query
        ("+1 425 555 0101", &["p1"]),    // country code
        ("01", &["p1", "p2", "p4"]),     // end of p1, middle of p2, p4's city word
        ("99", &["p2"]),                 // the last two digits
        ("0958 12", &["p3"]),            // digits of the extension
        ("2079460958", &["p3"]),
        ("555", &["p1", "p2", "p4"]), // p4 by the word in its job title
        ("0101", &["p1", "p4"]),      // p4 by its city's word
        ("425 0101", &["p1"]),        // both words of p1's phone, not one run of digits
        ("5550101 9", &[]),
        ("123456", &[]),
        ("555 support", &["p4"]),               // not phone-like: words only
        ("-", &["p1", "p2", "p3", "p4", "p5"]), // nothing to search for
    ];
    for (text, expected) in cases {
        let mut found = db.search(text);
        found.sort();
        assert_eq!(found, *expected, "search {text:?}");

        // One row per page: the many-matches plan (walking the name index) finds the same users.
        let mut paged: Vec<String> = (0..expected.len() as u64 + 1)
            .flat_map(|offset| {
                let query = Query {
                    text: text.to_string(),
                    offset,
                    limit: 1,
                    ..Query::default()
                };
                directory::search(db.store.conn(), &query).unwrap().items
            })
            .map(|u| u.id)
            .collect();
        paged.sort();
        assert_eq!(paged, *expected, "search {text:?} page by page");

        // The CSV export of the matching users selects exactly the same users.
        let mut out = Vec::new();
        let n = directory::export_csv_matching(db.store.conn(), text, &mut out).unwrap();
        let mut exported: Vec<String> = csv::Reader::from_reader(out.as_slice())
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        exported.sort();
        assert_eq!(n as usize, exported.len());
        assert_eq!(exported, *expected, "export {text:?}");
    }
}

#[test]
fn paging_and_sorting_are_stable_with_empty_values_last() {
    let mut db = db();
    db.sync(&people());
    let page = |sort: SortKey, descending: bool, offset: u64, limit: u64| {
        directory::search(
            db.store.conn(),
            &Query {
                text: String::new(),
                sort,
                descending,
                offset,
                limit,
            },
        )
        .unwrap()
    };
    let ids =
        |p: directory::Page<UserSummary>| p.items.into_iter().map(|u| u.id).collect::<Vec<_>>();

    assert_eq!(
        ids(page(SortKey::Name, false, 0, 10)),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        ids(page(SortKey::Name, true, 0, 10)),
        ["e", "d", "c", "b", "a"]
    );
    // City: ties broken by id, users without a city last.
    assert_eq!(
        ids(page(SortKey::City, false, 0, 10)),
        ["a", "b", "e", "c", "d"]
    );
    assert_eq!(
        ids(page(SortKey::Field("City".into()), false, 0, 10)),
        ["a", "b", "e", "c", "d"]
    );
    assert_eq!(
        ids(page(SortKey::Department, false, 0, 10)),
        ["b", "c", "a", "d", "e"]
    );
    assert_eq!(
        ids(page(SortKey::JobTitle, false, 0, 10)),
        ["a", "d", "b", "c", "e"]
    );
    assert_eq!(
        ids(page(SortKey::Upn, false, 0, 10)),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        ids(page(SortKey::Mail, false, 0, 10)),
        ["a", "d", "b", "c", "e"]
    );
    assert_eq!(
        ids(page(SortKey::Phone, false, 0, 10)),
        ["b", "a", "d", "c", "e"]
    );

    // Pages tile the full order exactly.
    let mut walked = Vec::new();
    for offset in (0..5).step_by(2) {
        let p = page(SortKey::City, false, offset, 2);
        assert_eq!(p.total, 5);
        assert_eq!(p.offset, offset);
        walked.extend(ids(p));
    }
    assert_eq!(walked, ["a", "b", "e", "c", "d"]);
    assert!(page(SortKey::Name, false, 5, 2).items.is_empty());

    let found = directory::search(
        db.store.conn(),
        &Query {
            text: "seattle".into(),
            sort: SortKey::Name,
            descending: false,
            offset: 1,
            limit: 1,
        },
    )
    .unwrap();
    assert_eq!((found.total, ids(found)), (2, vec!["e".to_string()]));
    assert_eq!(
        directory::all_ids(db.store.conn()).unwrap(),
        ["a", "b", "c", "d", "e"]
    );
}

#[test]
fn added_fields_show_in_list_detail_and_sort() {
    let mut db = db();
    let mut rows = db.mapping().rows().to_vec();
    rows.push(MappingRow::new(
        "Cost center",
        "onPremisesExtensionAttributes.extensionAttribute3",
    ));
    rows.push(MappingRow::new(
        "Badge (id).x",
        "extension_b7d8e648520f41d3b9c0fdeb91768a0a_badge",
    ));
    mapping::save(db.store.conn(), &rows).unwrap();
    db.sync(&[
        json!({"id": "x", "displayName": "Xia", "onPremisesExtensionAttributes": {"extensionAttribute3": "CC-200"},
               "extension_b7d8e648520f41d3b9c0fdeb91768a0a_badge": "B2"}),
        json!({"id": "y", "displayName": "Yan", "onPremisesExtensionAttributes": {"extensionAttribute3": "CC-100"},
               "extension_b7d8e648520f41d3b9c0fdeb91768a0a_badge": "B1"}),
        json!({"id": "z", "displayName": "Zed"}),
    ]);
    let list = directory::search(
        db.store.conn(),
        &Query {
            sort: SortKey::Field("Cost center".into()),
            ..Query::default()
        },
    )
    .unwrap();
    let order: Vec<&str> = list.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(order, ["y", "x", "z"]);
    assert_eq!(
        list.items[0].added_fields,
        vec![
            ("Cost center".to_string(), Some("CC-100".to_string())),
            ("Badge (id).x".to_string(), Some("B1".to_string())),
        ]
    );
    let by_badge = directory::search(
        db.store.conn(),
        &Query {
            sort: SortKey::Field("Badge (id).x".into()),
            descending: true,
            ..Query::default()
        },
    )
    .unwrap();
    let order: Vec<&str> = by_badge.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(order, ["z", "x", "y"]);
    let d = directory::get(db.store.conn(), "x").unwrap().unwrap();
    assert_eq!(
        d.fields[3],
        ("Cost center".to_string(), Some("CC-200".to_string()))
    );

    // Minimal object changing one extension attribute merges into the nested object.
    assert_eq!(
        db.upsert(
            json!({"id": "x", "onPremisesExtensionAttributes": {"extensionAttribute3": "CC-300"}})
        ),
        UserChange::Updated {
            changes: vec![change("Cost center", Some("CC-200"), Some("CC-300"))]
        }
    );
}

#[test]
fn remap_recomputes_fields_from_stored_attributes() {
    let mut db = db();
    db.sync(&people());
    let mut rows = db.mapping().rows().to_vec();
    rows[2].source = "department".into(); // City <- department
    rows.push(MappingRow::new("Title", "jobTitle"));
    mapping::save(db.store.conn(), &rows).unwrap();
    let mapping = db.mapping();
    let tx = db.store.conn_mut().transaction().unwrap();
    let changed = directory::remap_all(&tx, &mapping).unwrap();
    tx.commit().unwrap();
    let a = changed.iter().find(|(id, _)| id == "a").unwrap();
    assert_eq!(
        a.1,
        vec![
            change("City", Some("Lisbon"), Some("Finance")),
            change("Title", None, Some("Controller"))
        ]
    );
    let d = directory::get(db.store.conn(), "a").unwrap().unwrap();
    assert_eq!(d.fields[2].1.as_deref(), Some("Finance"));
    assert_eq!(db.search("finance"), vec!["a".to_string()]);
    assert!(
        db.search("lisbon").is_empty(),
        "search index follows remapped city"
    );
}

#[test]
fn malformed_user_objects_are_refused_without_writing() {
    let mut db = db();
    let mapping = db.mapping();
    let tx = db.store.conn_mut().transaction().unwrap();
    for bad in [
        json!({"displayName": "no id"}),
        json!({"id": ""}),
        json!(["x"]),
        json!({"id": "r", "@removed": {"reason": "deleted"}}),
    ] {
        assert!(
            directory::apply_upsert(&tx, &bad, &mapping).is_err(),
            "{bad}"
        );
    }
    drop(tx);
    assert_eq!(directory::count(db.store.conn()).unwrap(), 0);
}

#[test]
fn csv_export_parses_back_with_every_field() {
    let mut db = db();
    let mut rows = db.mapping().rows().to_vec();
    rows.push(MappingRow::new(
        "Cost center",
        "onPremisesExtensionAttributes.extensionAttribute1",
    ));
    mapping::save(db.store.conn(), &rows).unwrap();
    let mut users = people();
    users.push(json!({"id": "q", "displayName": "Quote \"Q\", Jr.", "userPrincipalName": "q@contoso.com",
                      "jobTitle": "=HYPERLINK(\"x\")", "department": "Line\nBreak", "userType": "Guest",
                      "accountEnabled": false, "onPremisesExtensionAttributes": {"extensionAttribute1": "CC 7"}}));
    db.sync(&users);
    let mut out = Vec::new();
    let n = directory::export_csv(db.store.conn(), &mut out).unwrap();
    assert_eq!(n, 6);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "Object id",
            "UPN",
            "Mail",
            "Name",
            "Phone number",
            "City",
            "Cost center",
            "Job title",
            "Department",
            "Account state",
            "User type",
            "Added",
            "Changed"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 6);
    let ids: Vec<&str> = records.iter().map(|r| &r[0]).collect();
    assert_eq!(
        ids,
        ["a", "b", "c", "d", "q", "e"],
        "sorted by name, nameless last"
    );
    let q = &records[4];
    assert_eq!(&q[3], "Quote \"Q\", Jr.");
    assert_eq!(&q[6], "CC 7");
    assert_eq!(&q[7], "'=HYPERLINK(\"x\")", "formulas are defused");
    assert_eq!(&q[8], "Line\nBreak");
    assert_eq!((&q[9], &q[10]), ("Disabled", "Guest"));
    let a = &records[0];
    assert_eq!(&a[4], "+351 912 345 678", "phone numbers are not mangled");
    assert_eq!(&a[9], "Unknown");
    assert!(!a[11].is_empty() && !a[12].is_empty());
}
