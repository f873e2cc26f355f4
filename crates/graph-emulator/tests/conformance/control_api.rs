use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn http_control_api_drives_users_and_delta() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    let c = http();
    let base = format!("{}/_emulator", emu.base_url());
    let info: Value = c
        .get(format!("{base}/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["tenantId"], emu.tenant_id());
    assert_eq!(info["clientId"], graph_emulator::DEMO_CLIENT_ID);
    assert_eq!(info["userCount"], 50);

    let r = round(&delta_url(&emu, ""), &t, &[]).await;
    let resp = c
        .post(format!("{base}/users"))
        .json(&json!({"displayName": "Via HTTP", "userPrincipalName": "via.http@contoso.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = emu.control().users_snapshot()[3]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = c
        .patch(format!("{base}/users/{other}"))
        .json(&json!({"jobTitle": "CFO"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r2 = round(&r.delta_link, &t, &[]).await;
    assert_eq!(r2.items.len(), 2);

    assert_eq!(
        c.post(format!("{base}/users/{id}/soft-delete"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let snap: Value = c
        .get(format!("{base}/users/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(snap["state"], "softDeleted");
    assert_eq!(
        c.post(format!("{base}/users/{id}/restore"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.delete(format!("{base}/users/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let r3 = round(&r2.delta_link, &t, &[]).await;
    assert_eq!(r3.items[0]["@removed"]["reason"], "deleted");
    let s = c
        .patch(format!("{base}/users/{id}"))
        .json(&json!({"jobTitle": "x"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::NOT_FOUND);
    let s = c
        .patch(format!("{base}/users/{other}"))
        .json(&json!({"nope": 1}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn http_control_api_clock_page_size_faults_revoke_reset_log() {
    let emu = emu().await;
    let t = tokens_with(&emu, "openid offline_access User.Read.All").await;
    let at = t["access_token"].as_str().unwrap();
    let c = http();
    let base = format!("{}/_emulator", emu.base_url());

    let s = c
        .put(format!("{base}/page-size"))
        .json(&json!({"size": 7}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::OK);
    let (_, body) = get_json(&delta_url(&emu, ""), at, &[]).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 7);

    let s = c
        .post(format!("{base}/faults"))
        .json(&json!({"type": "too_many_requests", "retry_after": "0.5", "count": 1}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::NO_CONTENT);
    let r = get(&delta_url(&emu, ""), at, &[]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "0.5");
    c.post(format!("{base}/faults"))
        .json(&json!({"type": "gateway_timeout", "count": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.delete(format!("{base}/faults"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&delta_url(&emu, ""), at, &[]).await.status(),
        StatusCode::OK
    );

    let log: Vec<Value> = c
        .get(format!("{base}/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|l| l["status"] == 429 && l["fault"] == "too_many_requests"));

    let (_, body) = get_json(&delta_url(&emu, "?$deltatoken=latest"), at, &[]).await;
    let link = body["@odata.deltaLink"].as_str().unwrap().to_owned();
    c.put(format!("{base}/delta-reset"))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&link, at, &[]).await.status(), StatusCode::GONE);
    c.put(format!("{base}/delta-reset"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&link, at, &[]).await.status(), StatusCode::OK);

    assert_eq!(
        c.post(format!("{base}/revoke-refresh-tokens"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", graph_emulator::DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 50173);

    let v: Value = c
        .post(format!("{base}/clock/advance"))
        .json(&json!({"seconds": 7200.5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["now"].is_string());
    assert_eq!(
        get(&delta_url(&emu, ""), at, &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn http_control_api_registers_clients() {
    let emu = emu().await;
    let c = http();
    let app = json!({
        "clientId": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "displayName": "extra", "publicClient": true,
        "redirectUris": ["http://127.0.0.1/cb"], "redirectKind": "mobileDesktop", "secret": null,
        "adminConsented": ["User.Read.All"], "appRoles": []
    });
    let s = c
        .post(format!("{}/_emulator/clients", emu.base_url()))
        .json(&app)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, StatusCode::NO_CONTENT);
    let p = pkce();
    let mut params = standard_params(
        "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        "User.Read.All",
        &p.challenge,
    );
    params.retain(|(k, _)| *k != "redirect_uri");
    params.push(("redirect_uri", "http://127.0.0.1:4242/cb"));
    let r = c
        .get(authorize_url(&emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
