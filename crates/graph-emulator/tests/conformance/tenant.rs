use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::time::Instant;

use graph_emulator::{Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn same_seed_same_tenant_other_seed_differs() {
    let a = emu_with(|c| c.seed = 42).await;
    let b = emu_with(|c| c.seed = 42).await;
    let d = emu_with(|c| c.seed = 43).await;
    assert_eq!(a.control().users_snapshot(), b.control().users_snapshot());
    assert_eq!(a.tenant_id(), b.tenant_id());
    assert_ne!(a.control().users_snapshot(), d.control().users_snapshot());
    assert_ne!(a.tenant_id(), d.tenant_id());
}

#[tokio::test]
async fn generated_users_are_realistic() {
    let emu = emu_with(|c| c.users = 500).await;
    let users = emu.control().users_snapshot();
    assert_eq!(users.len(), 500);
    let ids: HashSet<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    let upns: HashSet<&str> = users
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 500);
    assert_eq!(upns.len(), 500);
    for u in &users {
        for k in [
            "givenName",
            "surname",
            "displayName",
            "userPrincipalName",
            "mail",
            "city",
            "country",
            "department",
            "jobTitle",
            "officeLocation",
            "accountEnabled",
            "userType",
        ] {
            assert!(!u[k].is_null(), "{k} of {u}");
        }
        assert!(u["businessPhones"].is_array());
        assert!(u["onPremisesExtensionAttributes"].is_object());
        uuid::Uuid::parse_str(u["id"].as_str().unwrap()).unwrap();
    }
    assert!(users
        .iter()
        .any(|u| u["jobTitle"] == "Senior Manager" && u["department"] == "Finance"));
    assert!(users.iter().any(|u| u["userType"] == "Guest"));
    assert!(users.iter().any(|u| u["accountEnabled"] == false));
    assert!(users
        .iter()
        .any(|u| u["employeeId"].is_string() && u["companyName"].is_string()));
    assert!(
        users.iter().any(|u| u["mobilePhone"].is_null())
            && users.iter().any(|u| u["mobilePhone"].is_string())
    );
    assert!(users.iter().filter(|u| u["manager"].is_string()).count() == 499);
    assert!(users
        .iter()
        .any(|u| u[emu.extension_attribute()].is_string()));
}

#[tokio::test]
async fn million_users_served_without_materializing_the_tenant() {
    let start = Instant::now();
    let emu = emu_with(|c| {
        c.users = 1_000_000;
        c.page_size = 999;
    })
    .await;
    let t = access_token(&emu).await;
    let r = get(
        &format!("{}/v1.0/users/$count", emu.graph_url()),
        &t,
        &[("ConsistencyLevel", "eventual")],
    )
    .await;
    assert_eq!(r.text().await.unwrap(), "1000000");
    let (s, page) = get_json(
        &delta_url(&emu, "?$select=displayName,department,manager"),
        &t,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["value"].as_array().unwrap().len(), 999);
    let (s, _) = get_json(page["@odata.nextLink"].as_str().unwrap(), &t, &[]).await;
    assert_eq!(s, StatusCode::OK);
    // The last generated user is addressable directly, by id and by user principal name.
    let last = emu.control().user_id_at(999_999).unwrap();
    let (s, u) = get_json(&format!("{}/v1.0/users/{last}", emu.graph_url()), &t, &[]).await;
    assert_eq!(s, StatusCode::OK);
    let upn = u["userPrincipalName"].as_str().unwrap().to_owned();
    let (s, u2) = get_json(&format!("{}/v1.0/users/{upn}", emu.graph_url()), &t, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u2["id"], last.as_str());
    assert!(start.elapsed().as_secs() < 20);
}

#[tokio::test]
async fn tenant_file_loads_a_hand_written_tenant() {
    let dir = std::env::temp_dir().join(format!("emu-tenant-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tenant.json");
    let file = json!({
        "tenant": {"id": "0f0f0f0f-1111-4222-8333-444444444444", "domain": "fabrikam.example", "displayName": "Fabrikam"},
        "admins": ["root@fabrikam.example"],
        "users": [
            {"id": "10000000-0000-4000-8000-000000000001", "displayName": "Root Admin", "userPrincipalName": "root@fabrikam.example", "jobTitle": "Global Administrator"},
            {"displayName": "Ann Lee", "userPrincipalName": "ann@fabrikam.example", "department": "Finance", "manager": "root@fabrikam.example"}
        ]
    });
    std::fs::write(&path, file.to_string()).unwrap();
    let emu = Emulator::start(EmulatorConfig {
        tenant_file: Some(path),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(emu.tenant_id(), "0f0f0f0f-1111-4222-8333-444444444444");
    assert_eq!(emu.tenant_domain(), "fabrikam.example");
    assert_eq!(emu.admin_upn(), "root@fabrikam.example");
    let t = access_token(&emu).await;
    let r = round(&delta_url(&emu, "?$select=displayName,manager"), &t, &[]).await;
    assert_eq!(r.items.len(), 2);
    let ann = r
        .items
        .iter()
        .find(|u| u["displayName"] == "Ann Lee")
        .unwrap();
    assert_eq!(
        ann["manager@delta"][0]["id"],
        "10000000-0000-4000-8000-000000000001"
    );
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert!(r2.items.is_empty());
}

#[test]
fn binary_prints_authority_graph_and_client_id() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
        .args(["--port", "0", "--users", "10", "--seed", "3"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut got = std::collections::HashMap::new();
    for _ in 0..3 {
        let l = lines.next().unwrap().unwrap();
        let (k, v) = l.split_once(": ").unwrap();
        got.insert(k.to_owned(), v.to_owned());
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(got["authority"].starts_with("http://127.0.0.1:"));
    assert_eq!(got["graph"], got["authority"]);
    assert_eq!(got["client_id"], graph_emulator::DEMO_CLIENT_ID);
    let _: Value = Value::Null;
}
