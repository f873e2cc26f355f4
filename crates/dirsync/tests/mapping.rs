//! Attribute mapping through its public API: defaults, values, extension attributes, validation
//! messages naming the row, the derived $select, and full-round detection.

use dirsync::mapping::{
    self, known_attributes, requires_full_round, Mapping, MappingError, MappingRow, SaveOutcome,
};
use dirsync::store::Store;
use serde_json::json;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("dirsync.sqlite3")).unwrap();
    (dir, store)
}

fn rows(pairs: &[(&str, &str)]) -> Vec<MappingRow> {
    pairs.iter().map(|(f, s)| MappingRow::new(*f, *s)).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const DEFAULTS: &[(&str, &str)] = &[
    ("Name", "displayName"),
    ("Phone number", "mobilePhone"),
    ("City", "city"),
];

#[test]
fn a_new_database_has_the_default_mapping() {
    let (_d, store) = store();
    let m = mapping::load(store.conn()).unwrap();
    let got: Vec<(&str, &str, bool)> = m
        .rows()
        .iter()
        .map(|r| (r.field.as_str(), r.source.as_str(), r.builtin))
        .collect();
    assert_eq!(
        got,
        [
            ("Name", "displayName", true),
            ("Phone number", "mobilePhone", true),
            ("City", "city", true)
        ]
    );
    assert_eq!(m, Mapping::defaults());
}

#[test]
fn default_fields_with_phone_fallback() {
    let m = Mapping::defaults();
    let cases = [
        (
            json!({"displayName": "Ann", "mobilePhone": "+44 7700 900123", "businessPhones": ["+44 20 7946 0000"], "city": "Leeds"}),
            [Some("Ann"), Some("+44 7700 900123"), Some("Leeds")],
        ),
        (
            json!({"displayName": "Ben", "mobilePhone": null, "businessPhones": ["+44 20 7946 0001", "x"]}),
            [Some("Ben"), Some("+44 20 7946 0001"), None],
        ),
        (
            json!({"displayName": "  ", "mobilePhone": "", "businessPhones": [], "city": null}),
            [None, None, None],
        ),
        (json!({}), [None, None, None]),
    ];
    for (user, expected) in cases {
        let got: Vec<Option<String>> = m.fields(&user).into_iter().map(|(_, v)| v).collect();
        let expected: Vec<Option<String>> = expected.iter().map(|v| v.map(String::from)).collect();
        assert_eq!(got, expected, "{user}");
    }
}

#[test]
fn extension_attributes_and_other_types_are_read() {
    let (_d, store) = store();
    let mut all = rows(DEFAULTS);
    all.extend(rows(&[
        (
            "Cost center",
            "onPremisesExtensionAttributes.extensionAttribute3",
        ),
        (
            "Badge",
            "extension_b7d8e648520f41d3b9c0fdeb91768a0a_badgeNumber",
        ),
        ("Enabled", "accountEnabled"),
        ("Other mails", "otherMails"),
        ("Hired", "employeeHireDate"),
    ]));
    mapping::save(store.conn(), &all).unwrap();
    let m = mapping::load(store.conn()).unwrap();
    let user = json!({
        "onPremisesExtensionAttributes": {"extensionAttribute3": "CC-42", "extensionAttribute4": null},
        "extension_b7d8e648520f41d3b9c0fdeb91768a0a_badgeNumber": 1234,
        "accountEnabled": false,
        "otherMails": ["a@x.com", "b@y.com"],
        "employeeHireDate": "2021-03-01T00:00:00Z"
    });
    let fields = m.fields(&user);
    let get = |f: &str| fields.iter().find(|(n, _)| n == f).unwrap().1.clone();
    assert_eq!(get("Cost center").as_deref(), Some("CC-42"));
    assert_eq!(get("Badge").as_deref(), Some("1234"));
    assert_eq!(get("Enabled").as_deref(), Some("false"));
    assert_eq!(get("Other mails").as_deref(), Some("a@x.com; b@y.com"));
    assert_eq!(get("Hired").as_deref(), Some("2021-03-01T00:00:00Z"));
    assert_eq!(
        m.graph_select(),
        strings(&[
            "accountEnabled",
            "businessPhones",
            "city",
            "department",
            "displayName",
            "employeeHireDate",
            "extension_b7d8e648520f41d3b9c0fdeb91768a0a_badgeNumber",
            "givenName",
            "id",
            "jobTitle",
            "mail",
            "mobilePhone",
            "onPremisesExtensionAttributes",
            "otherMails",
            "surname",
            "userPrincipalName",
            "userType",
        ])
    );
}

#[test]
fn bad_mappings_are_refused_naming_the_row() {
    let (_d, store) = store();
    let with = |extra: &[(&str, &str)]| {
        let mut r = rows(DEFAULTS);
        r.extend(rows(extra));
        r
    };
    let cases: Vec<(Vec<MappingRow>, &str)> = vec![
        (
            with(&[("  ", "jobTitle")]),
            "row 4 (no name): the directory field name is empty",
        ),
        (
            with(&[("Title", "jobTitle"), ("title", "department")]),
            "row 5 (title): the field name 'title' is already used by row 4",
        ),
        (
            with(&[("city", "department")]),
            "row 4 (city): the field name 'city' is already used by row 3",
        ),
        (
            with(&[("Title", "jobTitel")]),
            "row 4 (Title): 'jobTitel' is not a known Azure AD user attribute",
        ),
        (
            with(&[("Title", "")]),
            "row 4 (Title): no Azure AD attribute chosen",
        ),
        (
            with(&[("Ext", "extension_123_short")]),
            "row 4 (Ext): 'extension_123_short' is not a known",
        ),
        (
            with(&[("Ext", "onPremisesExtensionAttributes.extensionAttribute16")]),
            "row 4 (Ext): 'onPremisesExtensionAttributes.extensionAttribute16' is not",
        ),
        (with(&[(&"x".repeat(65), "city")]), "row 4 (xxxxxxxx"),
        (
            with(&[("Say \"hi\"", "city")]),
            "row 4 (Say \"hi\"): the directory field name contains a double quote",
        ),
        (
            rows(&[("Name", "displayName"), ("City", "city")]),
            "the built-in field 'Phone number' cannot be removed",
        ),
    ];
    let before = mapping::load(store.conn()).unwrap();
    for (bad, message) in cases {
        let err = mapping::save(store.conn(), &bad).unwrap_err();
        assert!(
            err.to_string().starts_with(message),
            "{err} / expected {message}"
        );
        assert!(mapping::preview(store.conn(), &bad).is_err());
        assert_eq!(
            mapping::load(store.conn()).unwrap(),
            before,
            "nothing saved"
        );
    }
    assert!(matches!(
        mapping::save(store.conn(), &with(&[("Title", "nope")])),
        Err(MappingError::InvalidRow { row: 4, .. })
    ));
}

#[test]
fn saving_normalizes_names_and_keeps_built_ins_first() {
    let (_d, store) = store();
    let input = rows(&[
        (
            " Cost center ",
            "ONPREMISESEXTENSIONATTRIBUTES.EXTENSIONATTRIBUTE1",
        ),
        ("city", "officeLocation"),
        ("NAME", "displayname"),
        ("Phone number", "businessPhones"),
    ]);
    mapping::save(store.conn(), &input).unwrap();
    let saved = mapping::load(store.conn()).unwrap();
    let got: Vec<(&str, &str, bool)> = saved
        .rows()
        .iter()
        .map(|r| (r.field.as_str(), r.source.as_str(), r.builtin))
        .collect();
    assert_eq!(
        got,
        [
            ("Name", "displayName", true),
            ("Phone number", "businessPhones", true),
            ("City", "officeLocation", true),
            (
                "Cost center",
                "onPremisesExtensionAttributes.extensionAttribute1",
                false
            ),
        ]
    );
}

#[test]
fn set_and_remove_fields() {
    let (_d, store) = store();
    mapping::set_field(store.conn(), "Department", "department").unwrap();
    mapping::set_field(store.conn(), "city", "officeLocation").unwrap();
    let m = mapping::load(store.conn()).unwrap();
    assert_eq!(m.row("City").unwrap().source, "officeLocation");
    assert_eq!(m.row("department").unwrap().source, "department");
    assert_eq!(m.rows().len(), 4);
    mapping::remove_field(store.conn(), "DEPARTMENT").unwrap();
    assert_eq!(mapping::load(store.conn()).unwrap().rows().len(), 3);
    assert!(matches!(
        mapping::remove_field(store.conn(), "City"),
        Err(MappingError::BuiltinRemoved(f)) if f == "City"
    ));
    assert!(matches!(
        mapping::remove_field(store.conn(), "Nope"),
        Err(MappingError::UnknownField(_))
    ));
    assert!(mapping::set_field(store.conn(), "Cost", "notAThing").is_err());
}

#[test]
fn requires_full_round_lists_untracked_attributes() {
    let tracked = strings(&["id", "displayName", "city", "onPremisesExtensionAttributes"]);
    let cases: &[(&[&str], &[&str])] = &[
        (&["id", "displayName"], &[]),
        (&["ID", "DisplayName"], &[]),
        (&["onPremisesExtensionAttributes.extensionAttribute9"], &[]),
        (
            &["department", "city", "accountEnabled", "department"],
            &["accountEnabled", "department"],
        ),
        (
            &["extension_b7d8e648520f41d3b9c0fdeb91768a0a_x"],
            &["extension_b7d8e648520f41d3b9c0fdeb91768a0a_x"],
        ),
    ];
    for (needed, expected) in cases {
        assert_eq!(
            requires_full_round(&tracked, &strings(needed)),
            strings(expected),
            "{needed:?}"
        );
    }
}

#[test]
fn save_says_when_the_next_run_must_be_a_full_round() {
    let (_d, store) = store();
    let none = SaveOutcome {
        untracked: vec![],
        full_round_required: false,
    };
    // No delta link yet: the next run is a full round anyway, nothing to warn about.
    assert_eq!(
        mapping::set_field(store.conn(), "Title", "jobTitle").unwrap(),
        none
    );
    assert_eq!(mapping::tracked_select(store.conn()).unwrap(), None);

    let select = mapping::load(store.conn()).unwrap().graph_select();
    mapping::set_tracked_select(store.conn(), Some(&select)).unwrap();
    assert_eq!(
        mapping::tracked_select(store.conn()).unwrap(),
        Some(select.clone())
    );
    // Re-pointing at tracked attributes needs no full round.
    assert_eq!(
        mapping::set_field(store.conn(), "Title", "department").unwrap(),
        none
    );

    let mut rows = mapping::load(store.conn()).unwrap().rows().to_vec();
    rows.push(MappingRow::new("Employee id", "employeeId"));
    rows.push(MappingRow::new(
        "Cost center",
        "onPremisesExtensionAttributes.extensionAttribute2",
    ));
    let want = SaveOutcome {
        untracked: strings(&["employeeId", "onPremisesExtensionAttributes"]),
        full_round_required: true,
    };
    // The UI learns it before saving, and saving says the same.
    assert_eq!(mapping::preview(store.conn(), &rows).unwrap(), want);
    assert_eq!(
        mapping::load(store.conn()).unwrap().rows().len(),
        4,
        "preview saves nothing"
    );
    assert_eq!(mapping::save(store.conn(), &rows).unwrap(), want);

    mapping::set_tracked_select(store.conn(), None).unwrap();
    assert_eq!(mapping::tracked_select(store.conn()).unwrap(), None);
}

#[test]
fn known_attributes_cover_the_picker() {
    let names: Vec<&str> = known_attributes().iter().map(|a| a.name).collect();
    for needed in [
        "displayName",
        "mobilePhone",
        "businessPhones",
        "city",
        "department",
        "jobTitle",
        "employeeId",
        "onPremisesExtensionAttributes.extensionAttribute1",
        "onPremisesExtensionAttributes.extensionAttribute15",
        "userType",
        "accountEnabled",
    ] {
        assert!(names.contains(&needed), "{needed}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "no duplicates");
    assert!(known_attributes().iter().all(|a| !a.description.is_empty()));
    assert!(mapping::is_directory_extension(
        "extension_b7d8e648520f41d3b9c0fdeb91768a0a_jobGroupTracker"
    ));
    assert!(!mapping::is_directory_extension(
        "extension_b7d8e648520f41d3b9c0fdeb91768a0a_"
    ));
    assert!(!mapping::is_directory_extension(
        "extension_zzd8e648520f41d3b9c0fdeb91768a0a_x"
    ));
}

#[test]
fn sample_values_come_from_the_first_synced_user() {
    let (_d, mut store) = store();
    let probe = rows(&[
        ("Name", "displayName"),
        ("Title", " jobtitle "),
        ("Bad", "nope"),
    ]);
    assert_eq!(
        dirsync::directory::sample_values(store.conn(), &probe).unwrap(),
        vec![None, None, None]
    );
    let m = mapping::load(store.conn()).unwrap();
    let tx = store.conn_mut().transaction().unwrap();
    for (id, name) in [("first", "First Person"), ("second", "Second Person")] {
        let u = json!({"id": id, "displayName": name, "jobTitle": format!("{name} title")});
        dirsync::directory::apply_upsert(&tx, &u, &m).unwrap();
    }
    tx.commit().unwrap();
    assert_eq!(
        dirsync::directory::sample_values(store.conn(), &probe).unwrap(),
        vec![
            Some("First Person".to_string()),
            Some("First Person title".to_string()),
            None
        ]
    );
}
