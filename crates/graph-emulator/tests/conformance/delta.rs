use std::collections::HashSet;

use graph_emulator::{Emulator, Quirks};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

async fn setup(users: usize, page: usize) -> (Emulator, String) {
    let emu = emu_with(|c| {
        c.users = users;
        c.page_size = page;
    })
    .await;
    let t = access_token(&emu).await;
    (emu, t)
}

#[tokio::test]
async fn full_round_pages_then_one_delta_link_never_both() {
    let (emu, t) = setup(50, 20).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    assert!(r.pages.len() >= 3);
    for p in &r.pages[..r.pages.len() - 1] {
        assert!(p["@odata.nextLink"]
            .as_str()
            .unwrap()
            .contains("$skiptoken="));
        assert!(p.get("@odata.deltaLink").is_none());
    }
    let last = r.pages.last().unwrap();
    assert!(last.get("@odata.nextLink").is_none());
    assert!(r.delta_link.contains("$deltatoken="));
    let unique: HashSet<String> = ids(&r.items).into_iter().collect();
    assert_eq!(unique.len(), 50);
}

#[tokio::test]
async fn empty_page_with_next_link_and_duplicate_user_in_round() {
    let (emu, t) = setup(50, 20).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    let empty = r
        .pages
        .iter()
        .find(|p| p["value"].as_array().unwrap().is_empty())
        .expect("an empty page");
    assert!(empty["@odata.nextLink"].is_string());
    let all = ids(&r.items);
    let unique: HashSet<&String> = all.iter().collect();
    assert!(
        all.len() > unique.len(),
        "some user appears twice in the round"
    );
}

#[tokio::test]
async fn quirks_can_be_disabled() {
    let emu = emu_with(|c| {
        c.page_size = 20;
        c.quirks = Quirks {
            empty_page: false,
            duplicates: false,
        };
    })
    .await;
    let t = access_token(&emu).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(r.pages.len(), 3);
    assert_eq!(r.items.len(), 50);
}

#[tokio::test]
async fn default_property_set_without_select() {
    let (emu, t) = setup(30, 200).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    let allowed = [
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "id",
    ];
    for u in &r.items {
        for k in u.as_object().unwrap().keys() {
            assert!(allowed.contains(&k.as_str()), "unexpected {k}");
        }
        assert!(u["displayName"].is_string());
        assert!(u.get("accountEnabled").is_none());
    }
    // Never-set properties are omitted, not null.
    assert!(r
        .items
        .iter()
        .all(|u| u.as_object().unwrap().values().all(|v| !v.is_null())));
}

#[tokio::test]
async fn select_is_frozen_into_the_round() {
    let (emu, t) = setup(50, 20).await;
    let r = round(&delta_url(&emu, "?$select=displayName,department"), &t, &[]).await;
    for u in &r.items {
        let keys: HashSet<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(
            keys.is_subset(&["id", "displayName", "department"].into()),
            "{u}"
        );
    }
    assert!(!r.delta_link.contains("select"));
    // $select with $skiptoken is not supported.
    let (_, first) = get_json(&delta_url(&emu, "?$select=displayName"), &t, &[]).await;
    let next = first["@odata.nextLink"].as_str().unwrap();
    let (s, body) = get_json(&format!("{next}&$select=mail"), &t, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_graph_error(&body, "Request_UnsupportedQuery");
}

#[tokio::test]
async fn unknown_select_property_is_400_and_untracked_is_501() {
    let (emu, t) = setup(10, 200).await;
    let (s, body) = get_json(
        &delta_url(&emu, "?$select=displayName,favouriteColour"),
        &t,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_graph_error(&body, "Request_BadRequest");
    let (s, body) = get_json(&delta_url(&emu, "?$select=skills"), &t, &[]).await;
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED);
    assert_graph_error(&body, "NotImplemented");
}

async fn first_user_id(emu: &Emulator) -> String {
    emu.control().users_snapshot()[5]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn incremental_round_returns_changed_user_with_all_selected_properties() {
    let (emu, t) = setup(30, 200).await;
    let r = round(
        &delta_url(&emu, "?$select=displayName,jobTitle,department,city"),
        &t,
        &[],
    )
    .await;
    let id = first_user_id(&emu).await;
    emu.control()
        .update_user(&id, json!({"jobTitle": "Senior Manager"}))
        .unwrap();
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert_eq!(r2.items.len(), 1);
    let u = &r2.items[0];
    assert_eq!(u["id"], id);
    assert_eq!(u["jobTitle"], "Senior Manager");
    assert!(u["displayName"].is_string() && u["department"].is_string() && u["city"].is_string());
    // Nothing changed since: empty incremental round.
    let r3 = round(&r2.delta_link, &t, &[]).await;
    assert!(r3.items.is_empty());
}

#[tokio::test]
async fn change_to_unselected_property_does_not_bring_user_back() {
    let (emu, t) = setup(30, 200).await;
    let r = round(&delta_url(&emu, "?$select=displayName"), &t, &[]).await;
    let id = first_user_id(&emu).await;
    emu.control()
        .update_user(&id, json!({"jobTitle": "Changed"}))
        .unwrap();
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert!(r2.items.is_empty(), "{:?}", r2.items);
}

#[tokio::test]
async fn prefer_return_minimal_returns_only_changed_properties_including_null() {
    let (emu, t) = setup(30, 200).await;
    let r = round(
        &delta_url(&emu, "?$select=displayName,jobTitle,mobilePhone,department"),
        &t,
        &[],
    )
    .await;
    let id = first_user_id(&emu).await;
    emu.control()
        .update_user(
            &id,
            json!({"jobTitle": "Director", "mobilePhone": null, "department": "Legal-x"}),
        )
        .unwrap();
    let resp = get(&r.delta_link, &t, &[("Prefer", "return=minimal")]).await;
    assert_eq!(resp.headers()["preference-applied"], "return=minimal");
    let body: Value = resp.json().await.unwrap();
    let u = &body["value"][0];
    assert_eq!(u["jobTitle"], "Director");
    assert_eq!(u["department"], "Legal-x");
    assert!(u.as_object().unwrap().contains_key("mobilePhone") && u["mobilePhone"].is_null());
    assert!(u.get("displayName").is_none());
}

#[tokio::test]
async fn soft_delete_restore_and_hard_delete_annotations() {
    let (emu, t) = setup(30, 200).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    let users = emu.control().users_snapshot();
    let a = users[3]["id"].as_str().unwrap().to_owned();
    let b = users[4]["id"].as_str().unwrap().to_owned();
    emu.control().soft_delete(&a).unwrap();
    emu.control().hard_delete(&b).unwrap();
    let r2 = round(&r.delta_link, &t, &[]).await;
    let find = |items: &[Value], id: &str| items.iter().find(|u| u["id"] == id).cloned().unwrap();
    assert_eq!(
        find(&r2.items, &a)["@removed"],
        json!({"reason": "changed"})
    );
    assert_eq!(
        find(&r2.items, &b)["@removed"],
        json!({"reason": "deleted"})
    );
    emu.control().restore(&a).unwrap();
    let r3 = round(&r2.delta_link, &t, &[]).await;
    let restored = find(&r3.items, &a);
    assert!(restored.get("@removed").is_none());
    assert!(restored["displayName"].is_string());
    // Permanently deleting a soft-deleted user reports `deleted`.
    emu.control().soft_delete(&a).unwrap();
    emu.control().hard_delete(&a).unwrap();
    let r4 = round(&r3.delta_link, &t, &[]).await;
    assert_eq!(
        find(&r4.items, &a)["@removed"],
        json!({"reason": "deleted"})
    );
}

#[tokio::test]
async fn added_user_appears_in_incremental_round() {
    let (emu, t) = setup(10, 200).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    let id = emu
        .control()
        .add_user(json!({"displayName": "New Hire", "userPrincipalName": "new.hire@contoso.example", "jobTitle": "Analyst"}))
        .unwrap();
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert_eq!(ids(&r2.items), vec![id]);
    assert_eq!(r2.items[0]["displayName"], "New Hire");
}

#[tokio::test]
async fn deltatoken_latest_returns_only_a_delta_link() {
    let (emu, t) = setup(30, 200).await;
    let (s, body) = get_json(&delta_url(&emu, "?$deltatoken=latest"), &t, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["value"], json!([]));
    assert!(body.get("@odata.nextLink").is_none());
    let link = body["@odata.deltaLink"].as_str().unwrap();
    let id = first_user_id(&emu).await;
    emu.control()
        .update_user(&id, json!({"displayName": "Renamed"}))
        .unwrap();
    let r = round(link, &t, &[]).await;
    assert_eq!(ids(&r.items), vec![id]);
}

#[tokio::test]
async fn filter_by_ids_limits_the_round_and_caps_at_50() {
    let (emu, t) = setup(100, 200).await;
    let users = emu.control().users_snapshot();
    let (a, b) = (
        users[10]["id"].as_str().unwrap(),
        users[20]["id"].as_str().unwrap(),
    );
    let r = round(
        &delta_url(&emu, &format!("?$filter=id eq '{a}' or id eq '{b}'")),
        &t,
        &[],
    )
    .await;
    let got: HashSet<String> = ids(&r.items).into_iter().collect();
    assert_eq!(got, [a.to_owned(), b.to_owned()].into());
    // Changes to other users are not tracked by the filtered deltaLink.
    emu.control()
        .update_user(
            users[30]["id"].as_str().unwrap(),
            json!({"displayName": "x"}),
        )
        .unwrap();
    emu.control()
        .update_user(a, json!({"displayName": "y"}))
        .unwrap();
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert_eq!(ids(&r2.items), vec![a.to_owned()]);
    let many: Vec<String> = users[..51]
        .iter()
        .map(|u| format!("id eq '{}'", u["id"].as_str().unwrap()))
        .collect();
    let (s, body) = get_json(
        &delta_url(&emu, &format!("?$filter={}", many.join(" or "))),
        &t,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_graph_error(&body, "Request_UnsupportedQuery");
}

#[tokio::test]
async fn top_is_ignored() {
    let (emu, t) = setup(50, 20).await;
    let (_, body) = get_json(&delta_url(&emu, "?$top=5"), &t, &[]).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn manager_delta_on_full_round_and_on_change() {
    let (emu, t) = setup(30, 200).await;
    let r = round(&delta_url(&emu, "?$select=displayName,manager"), &t, &[]).await;
    let with_mgr = r
        .items
        .iter()
        .filter(|u| u.get("manager@delta").is_some())
        .count();
    assert_eq!(with_mgr, 29, "everyone but the CEO has a manager");
    let u = r
        .items
        .iter()
        .find(|u| u.get("manager@delta").is_some())
        .unwrap();
    assert_eq!(
        u["manager@delta"][0]["@odata.type"],
        "#microsoft.graph.user"
    );
    let users = emu.control().users_snapshot();
    let (x, m) = (
        users[9]["id"].as_str().unwrap(),
        users[3]["id"].as_str().unwrap(),
    );
    emu.control().update_user(x, json!({"manager": m})).unwrap();
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert_eq!(
        r2.items[0]["manager@delta"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": m}])
    );
    emu.control()
        .update_user(x, json!({"manager": null}))
        .unwrap();
    let r3 = round(&r2.delta_link, &t, &[]).await;
    assert_eq!(
        r3.items[0]["manager@delta"][0]["@removed"],
        json!({"reason": "deleted"})
    );
    // Other property changes do not repeat manager@delta.
    emu.control()
        .update_user(m, json!({"displayName": "Boss"}))
        .unwrap();
    let r4 = round(&r3.delta_link, &t, &[]).await;
    assert!(r4.items[0].get("manager@delta").is_none());
}

#[tokio::test]
async fn extension_attributes_are_selectable() {
    let (emu, t) = setup(30, 200).await;
    let ext = emu.extension_attribute();
    assert!(ext.starts_with(&format!(
        "extension_{}_",
        graph_emulator::DEMO_CLIENT_ID.replace('-', "")
    )));
    let r = round(
        &delta_url(
            &emu,
            &format!("?$select=onPremisesExtensionAttributes,{ext}"),
        ),
        &t,
        &[],
    )
    .await;
    assert!(r.items.iter().any(|u| u[&ext].is_string()));
    assert!(r
        .items
        .iter()
        .any(|u| u["onPremisesExtensionAttributes"]["extensionAttribute1"].is_string()));
}

#[tokio::test]
async fn expired_delta_token_is_sync_state_not_found() {
    let (emu, t) = setup(10, 200).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    emu.control().advance_clock(chrono::Duration::days(8));
    let t = access_token(&emu).await;
    let (s, body) = get_json(&r.delta_link, &t, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_graph_error(&body, "syncStateNotFound");
    // Still valid just under 7 days.
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    emu.control().advance_clock(chrono::Duration::days(6));
    let t = access_token(&emu).await;
    assert_eq!(get(&r.delta_link, &t, &[]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn reset_mode_answers_410_with_location_starting_fresh_round() {
    let (emu, t) = setup(30, 200).await;
    let r = round(&delta_url(&emu, "?$select=displayName"), &t, &[]).await;
    emu.control().set_delta_reset(true);
    let resp = get(&r.delta_link, &t, &[]).await;
    assert_eq!(resp.status(), StatusCode::GONE);
    let loc = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.ends_with("$deltatoken="), "{loc}");
    assert_graph_error(&resp.json().await.unwrap(), "resyncRequired");
    let fresh = round(&loc, &t, &[]).await;
    assert_eq!(fresh.items.len(), 30);
    assert!(fresh.items.iter().all(|u| u.get("mail").is_none()));
    // Links issued after the reset keep working.
    assert_eq!(
        get(&fresh.delta_link, &t, &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn page_size_default_200_and_configurable_to_999() {
    let (emu, t) = setup(1200, 200).await;
    let (_, body) = get_json(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 200);
    emu.control().set_page_size(999);
    let (_, body) = get_json(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 999);
    emu.control().set_page_size(5000);
    assert_eq!(emu.control().page_size(), 999);
}

#[tokio::test]
async fn change_during_round_is_seen_again_in_next_round() {
    let (emu, t) = setup(50, 20).await;
    let (_, first) = get_json(&delta_url(&emu, ""), &t, &[]).await;
    let early = first["value"][0]["id"].as_str().unwrap().to_owned();
    emu.control()
        .update_user(&early, json!({"displayName": "Changed Mid-Round"}))
        .unwrap();
    let r = round(first["@odata.nextLink"].as_str().unwrap(), &t, &[]).await;
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert_eq!(r2.items[0]["displayName"], "Changed Mid-Round");
}

#[tokio::test]
async fn soft_deleted_users_show_as_removed_in_initial_round() {
    let (emu, t) = setup(20, 200).await;
    let id = first_user_id(&emu).await;
    emu.control().soft_delete(&id).unwrap();
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    let u = r.items.iter().find(|u| u["id"] == id).unwrap();
    assert_eq!(u["@removed"]["reason"], "changed");
}

#[tokio::test]
async fn delta_link_survives_restart_with_same_seed() {
    let (emu, t) = setup(20, 200).await;
    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    let port = emu.port();
    emu.shutdown().await;
    let emu = emu_with(|c| {
        c.users = 20;
        c.port = port;
    })
    .await;
    let t = access_token(&emu).await;
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert!(r2.items.is_empty());
}

#[tokio::test]
async fn malformed_delta_token_is_rejected() {
    let (emu, t) = setup(10, 200).await;
    let (s, body) = get_json(&delta_url(&emu, "?$deltatoken=not-a-token"), &t, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_graph_error(&body, "Request_BadRequest");
}

#[tokio::test]
async fn long_form_delta_path_is_served() {
    let (emu, t) = setup(10, 200).await;
    let url = format!("{}/v1.0/users/microsoft.graph.delta()", emu.graph_url());
    assert_eq!(round(&url, &t, &[]).await.items.len(), 10);
}
