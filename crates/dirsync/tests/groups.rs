//! Groups through the public API: Employee network follows the directory, static groups hold
//! hand-picked members, and built-in groups are protected.

use dirsync::directory::{self, RemoveReason};
use dirsync::groups::{
    self, GroupKind, GroupsError, Membership, MembershipChange, EMPLOYEE_NETWORK,
};
use dirsync::mapping;
use dirsync::store::Store;
use serde_json::json;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("dirsync.sqlite3")).unwrap();
    (dir, store)
}

fn ids(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn employee_network_follows_the_directory() {
    let (_d, mut store) = store();
    let m = mapping::load(store.conn()).unwrap();
    let tx = store.conn_mut().transaction().unwrap();
    for id in ["u1", "u2", "u3"] {
        directory::apply_upsert(&tx, &json!({"id": id, "displayName": id}), &m).unwrap();
    }
    let joined = groups::recompute_for_users(&tx, &ids(&["u1", "u2", "u3"])).unwrap();
    assert_eq!(
        joined,
        ["u1", "u2", "u3"]
            .iter()
            .map(|u| MembershipChange {
                group: EMPLOYEE_NETWORK.into(),
                user_id: u.to_string(),
                change: Membership::Joined
            })
            .collect::<Vec<_>>()
    );
    // Recomputing again changes nothing.
    assert!(groups::recompute_for_users(&tx, &ids(&["u1", "u2"]))
        .unwrap()
        .is_empty());
    directory::apply_remove(&tx, "u2", RemoveReason::HardDeleted).unwrap();
    // Removal already took the user out; recompute agrees and reports nothing new.
    assert!(groups::recompute_for_users(&tx, &ids(&["u2", "ghost"]))
        .unwrap()
        .is_empty());
    tx.commit().unwrap();

    assert_eq!(
        groups::member_ids(store.conn(), EMPLOYEE_NETWORK).unwrap(),
        ids(&["u1", "u3"])
    );
    let list = groups::list(store.conn()).unwrap();
    assert_eq!(list[0].name, EMPLOYEE_NETWORK);
    assert_eq!(list[0].kind, GroupKind::Builtin);
    assert_eq!(list[0].member_count, 2);
}

#[test]
fn a_rolled_back_transaction_leaves_no_trace() {
    let (_d, mut store) = store();
    let m = mapping::load(store.conn()).unwrap();
    {
        let tx = store.conn_mut().transaction().unwrap();
        directory::apply_upsert(&tx, &json!({"id": "u1", "displayName": "One"}), &m).unwrap();
        groups::recompute_for_users(&tx, &ids(&["u1"])).unwrap();
        // dropped without commit: a crash mid-sync
    }
    assert_eq!(directory::count(store.conn()).unwrap(), 0);
    assert_eq!(
        groups::member_count(store.conn(), EMPLOYEE_NETWORK).unwrap(),
        0
    );
    assert!(directory::search(store.conn(), &Default::default())
        .unwrap()
        .items
        .is_empty());
}

#[test]
fn static_groups_hold_hand_picked_members() {
    let (_d, mut store) = store();
    let m = mapping::load(store.conn()).unwrap();
    let tx = store.conn_mut().transaction().unwrap();
    for id in ["u1", "u2"] {
        directory::apply_upsert(&tx, &json!({"id": id}), &m).unwrap();
    }
    tx.commit().unwrap();
    let conn = store.conn();
    groups::create_static(conn, "Volunteers", "First aiders").unwrap();
    assert!(matches!(
        groups::create_static(conn, "volunteers", ""),
        Err(GroupsError::Duplicate(_))
    ));
    assert!(matches!(
        groups::create_static(conn, " ", ""),
        Err(GroupsError::EmptyName)
    ));
    assert_eq!(
        groups::add_members(conn, "Volunteers", &ids(&["u1", "u2", "u1"])).unwrap(),
        2
    );
    assert!(matches!(
        groups::add_members(conn, "Volunteers", &ids(&["nobody"])),
        Err(GroupsError::UnknownUser(u)) if u == "nobody"
    ));
    assert!(matches!(
        groups::add_members(conn, EMPLOYEE_NETWORK, &ids(&["u1"])),
        Err(GroupsError::NotStatic(_, "builtin"))
    ));
    assert_eq!(
        groups::remove_members(conn, "Volunteers", &ids(&["u2", "u2"])).unwrap(),
        1
    );
    assert_eq!(groups::groups_of(conn, "u1").unwrap(), ids(&["Volunteers"]));
    assert!(matches!(
        groups::delete(conn, EMPLOYEE_NETWORK),
        Err(GroupsError::Builtin(_))
    ));
    groups::delete(conn, "Volunteers").unwrap();
    assert!(matches!(
        groups::member_count(conn, "Volunteers"),
        Err(GroupsError::UnknownGroup(_))
    ));
    assert!(groups::groups_of(conn, "u1").unwrap().is_empty());
}
