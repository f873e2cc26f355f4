use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn missing_token_is_401_invalid_authentication_token() {
    let emu = emu().await;
    let r = http()
        .get(delta_url(&emu, ""))
        .header("client-request-id", "11111111-aaaa-4bbb-8ccc-000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: Value = r.json().await.unwrap();
    assert_graph_error(&body, "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");
    assert_eq!(
        body["error"]["innerError"]["client-request-id"],
        "11111111-aaaa-4bbb-8ccc-000000000001"
    );
}

#[tokio::test]
async fn expired_token_is_401() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control().advance_clock(chrono::Duration::minutes(61));
    let (s, body) = get_json(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_graph_error(&body, "InvalidAuthenticationToken");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test]
async fn tampered_token_is_401() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    let mut parts: Vec<&str> = t.split('.').collect();
    let forged = format!("{}x", parts[2]);
    parts[2] = &forged;
    let (s, body) = get_json(&delta_url(&emu, ""), &parts.join("."), &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_graph_error(&body, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn token_from_another_seed_is_401() {
    let other = emu_with(|c| c.seed = 99).await;
    let t = access_token(&other).await;
    let emu = emu().await;
    let (s, _) = get_json(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn missing_permission_is_403_authorization_request_denied() {
    let emu = emu().await;
    let t = tokens_with(&emu, "openid User.Read").await;
    let at = t["access_token"].as_str().unwrap();
    for path in ["/v1.0/users/delta", "/v1.0/users", "/v1.0/users/$count"] {
        let (s, body) = get_json(
            &format!("{}{path}", emu.graph_url()),
            at,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        assert_graph_error(&body, "Authorization_RequestDenied");
    }
    let (s, me) = get_json(&format!("{}/v1.0/me", emu.graph_url()), at, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["userPrincipalName"], emu.admin_upn());
}

#[tokio::test]
async fn count_requires_consistency_level_eventual() {
    let emu = emu_with(|c| c.users = 123).await;
    let t = access_token(&emu).await;
    let url = format!("{}/v1.0/users/$count", emu.graph_url());
    let r = get(&url, &t, &[("ConsistencyLevel", "eventual")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(r.text().await.unwrap(), "123");
    let (s, body) = get_json(&url, &t, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_graph_error(&body, "Request_BadRequest");
    let id = emu.control().users_snapshot()[7]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    emu.control().soft_delete(&id).unwrap();
    assert_eq!(
        get(&url, &t, &[("ConsistencyLevel", "eventual")])
            .await
            .text()
            .await
            .unwrap(),
        "122"
    );
}

#[tokio::test]
async fn users_list_pages_with_top_and_count() {
    let emu = emu_with(|c| c.users = 250).await;
    let t = access_token(&emu).await;
    let (s, body) = get_json(&format!("{}/v1.0/users", emu.graph_url()), &t, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["value"].as_array().unwrap().len(), 100);
    let mut url = format!(
        "{}/v1.0/users?$top=120&$select=displayName,accountEnabled&$count=true",
        emu.graph_url()
    );
    let mut total = 0;
    let mut first = true;
    loop {
        let (s, body) = get_json(&url, &t, &[("ConsistencyLevel", "eventual")]).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        if first {
            assert_eq!(body["@odata.count"], 250);
            first = false;
        }
        for u in body["value"].as_array().unwrap() {
            assert!(u["accountEnabled"].is_boolean());
            assert!(u.get("mail").is_none());
        }
        total += body["value"].as_array().unwrap().len();
        match body["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_owned(),
            None => break,
        }
    }
    assert_eq!(total, 250);
    let (s, body) = get_json(
        &format!("{}/v1.0/users?$top=1000", emu.graph_url()),
        &t,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_graph_error(&body, "Request_BadRequest");
}

#[tokio::test]
async fn user_by_id_or_upn_and_404_shape() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    let u = emu.control().users_snapshot()[12].clone();
    for key in [
        u["id"].as_str().unwrap(),
        u["userPrincipalName"].as_str().unwrap(),
    ] {
        let (s, body) = get_json(&format!("{}/v1.0/users/{key}", emu.graph_url()), &t, &[]).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["id"], u["id"]);
    }
    let (s, body) = get_json(
        &format!(
            "{}/v1.0/users/{}?$select=department,employeeId",
            emu.graph_url(),
            u["id"].as_str().unwrap()
        ),
        &t,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.get("department").is_some() && body.get("displayName").is_none());
    let (s, body) = get_json(
        &format!(
            "{}/v1.0/users/00000000-0000-4000-8000-000000000000",
            emu.graph_url()
        ),
        &t,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_graph_error(&body, "Request_ResourceNotFound");
}

#[tokio::test]
async fn me_and_organization() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    let (s, me) = get_json(&format!("{}/v1.0/me", emu.graph_url()), &t, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["userPrincipalName"], emu.admin_upn());
    let (s, org) = get_json(&format!("{}/v1.0/organization", emu.graph_url()), &t, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(org["value"][0]["id"], emu.tenant_id());
    assert_eq!(
        org["value"][0]["verifiedDomains"][0]["name"],
        emu.tenant_domain()
    );
}

#[tokio::test]
async fn manager_endpoint() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    let users = emu.control().users_snapshot();
    let (s, m) = get_json(
        &format!(
            "{}/v1.0/users/{}/manager",
            emu.graph_url(),
            users[9]["id"].as_str().unwrap()
        ),
        &t,
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["id"], users[1]["id"]);
}
