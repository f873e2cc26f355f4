use graph_emulator::{
    tokens, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, DEMO_CLIENT_ID,
    NO_CONSENT_CLIENT_ID, WEB_REDIRECT_CLIENT_ID, WEB_REDIRECT_CLIENT_SECRET,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

const SCOPE: &str = "openid profile offline_access User.Read.All";

#[tokio::test]
async fn openid_configuration_for_every_tenant_form() {
    let emu = emu().await;
    for t in [
        "common",
        "organizations",
        &emu.tenant_id(),
        &emu.tenant_domain(),
    ] {
        let url = format!(
            "{}/{t}/v2.0/.well-known/openid-configuration",
            emu.authority()
        );
        let r = http().get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            v["authorization_endpoint"],
            format!("{}/{t}/oauth2/v2.0/authorize", emu.authority())
        );
        assert_eq!(
            v["token_endpoint"],
            format!("{}/{t}/oauth2/v2.0/token", emu.authority())
        );
    }
    let r = http()
        .get(format!(
            "{}/nosuch.example/v2.0/.well-known/openid-configuration",
            emu.authority()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_identity_error(&r.json().await.unwrap(), "invalid_tenant", 90002);
}

#[tokio::test]
async fn login_hint_of_admin_auto_approves_and_echoes_state_port_ignored() {
    let emu = emu().await;
    let p = pkce();
    let admin = emu.admin_upn();
    let mut params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
    params.push(("login_hint", &admin));
    let r = http()
        .get(authorize_url(&emu, &emu.tenant_id(), &params))
        .send()
        .await
        .unwrap();
    let loc = location(&r);
    assert_eq!(loc.host_str(), Some("localhost"));
    assert_eq!(loc.port(), Some(53123));
    assert_eq!(loc.path(), "/");
    let q = query(&loc);
    assert_eq!(q["state"], "st-123");
    assert!(!q["code"].is_empty());
}

#[tokio::test]
async fn auto_approve_flag_skips_pages() {
    let emu = emu_with(|c| c.auto_approve = true).await;
    let p = pkce();
    let params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
    let r = http()
        .get(authorize_url(&emu, "common", &params))
        .send()
        .await
        .unwrap();
    let q = query(&location(&r));
    let (s, body) = redeem(&emu, DEMO_CLIENT_ID, &q["code"]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn sign_in_page_lists_admins_then_consent_then_code() {
    let emu = emu().await;
    let p = pkce();
    let mut params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
    params.push(("prompt", "consent"));
    let client = http();
    let r = client
        .get(authorize_url(&emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<form"), "{html}");
    assert!(!html.contains("<script"));
    for upn in emu.admin_upns() {
        assert!(html.contains(&upn), "admin {upn} listed");
    }
    let flow = extract(&html, "name=\"flow\" value=\"");
    let r = client
        .post(format!(
            "{}/organizations/oauth2/v2.0/login",
            emu.authority()
        ))
        .form(&[("flow", flow.as_str()), ("account", &emu.admin_upn())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("User.Read.All") && html.contains("Accept"),
        "{html}"
    );
    let r = client
        .post(format!(
            "{}/organizations/oauth2/v2.0/consent",
            emu.authority()
        ))
        .form(&[("flow", flow.as_str()), ("decision", "accept")])
        .send()
        .await
        .unwrap();
    let q = query(&location(&r));
    assert_eq!(q["state"], "st-123");
    let (s, body) = redeem(&emu, DEMO_CLIENT_ID, &q["code"]).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // The session cookie makes prompt=none succeed silently.
    let mut params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
    params.push(("prompt", "none"));
    let r = client
        .get(authorize_url(&emu, "organizations", &params))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(query(&location(&r)).contains_key("code"));
    // prompt=login shows the sign-in page even with a session.
    let mut params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
    params.push(("prompt", "login"));
    let r = client
        .get(authorize_url(&emu, "organizations", &params))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Pick an account"));
}

fn extract(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap() + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn start_flow(emu: &graph_emulator::Emulator, prompt: Option<&str>) -> String {
    let p = pkce();
    let mut params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
    if let Some(pr) = prompt {
        params.push(("prompt", pr));
    }
    let r = http()
        .get(authorize_url(emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    extract(&r.text().await.unwrap(), "name=\"flow\" value=\"")
}

#[tokio::test]
async fn admin_consented_client_gets_code_right_after_sign_in() {
    let emu = emu().await;
    let flow = start_flow(&emu, None).await;
    let r = http()
        .post(format!(
            "{}/organizations/oauth2/v2.0/login",
            emu.authority()
        ))
        .form(&[("flow", flow.as_str()), ("account", &emu.admin_upn())])
        .send()
        .await
        .unwrap();
    assert!(query(&location(&r)).contains_key("code"));
}

#[tokio::test]
async fn prompt_none_without_session_is_login_required() {
    let emu = emu().await;
    let p = pkce();
    let mut params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
    params.push(("prompt", "none"));
    let r = http()
        .get(authorize_url(&emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    let q = query(&location(&r));
    assert_eq!(q["error"], "login_required");
    assert!(q["error_description"].starts_with("AADSTS50058"));
    assert_eq!(q["state"], "st-123");
}

#[tokio::test]
async fn cancel_at_sign_in_sends_access_denied_to_redirect_uri() {
    let emu = emu().await;
    let flow = start_flow(&emu, None).await;
    let r = http()
        .post(format!(
            "{}/organizations/oauth2/v2.0/login",
            emu.authority()
        ))
        .form(&[("flow", flow.as_str()), ("cancel", "1")])
        .send()
        .await
        .unwrap();
    let loc = location(&r);
    assert_eq!(loc.port(), Some(53123));
    let q = query(&loc);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["error_subcode"], "cancel");
    assert_eq!(q["state"], "st-123");
}

#[tokio::test]
async fn declining_consent_sends_access_denied() {
    let emu = emu().await;
    let flow = start_flow(&emu, Some("consent")).await;
    let client = http();
    client
        .post(format!(
            "{}/organizations/oauth2/v2.0/login",
            emu.authority()
        ))
        .form(&[("flow", flow.as_str()), ("account", &emu.admin_upn())])
        .send()
        .await
        .unwrap();
    let r = client
        .post(format!(
            "{}/organizations/oauth2/v2.0/consent",
            emu.authority()
        ))
        .form(&[("flow", flow.as_str()), ("decision", "cancel")])
        .send()
        .await
        .unwrap();
    let q = query(&location(&r));
    assert_eq!(q["error"], "access_denied");
    assert!(q["error_description"].starts_with("AADSTS65004"));
}

#[tokio::test]
async fn redirect_uri_mismatch_is_aadsts50011_page() {
    let emu = emu().await;
    let p = pkce();
    for bad in [
        "http://localhost:53123/callback",
        "https://localhost:53123/",
        "http://127.0.0.1:53123/",
        "http://evil.example/",
    ] {
        let mut params = standard_params(DEMO_CLIENT_ID, SCOPE, &p.challenge);
        params.retain(|(k, _)| *k != "redirect_uri");
        params.push(("redirect_uri", bad));
        let r = http()
            .get(authorize_url(&emu, "organizations", &params))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.unwrap().contains("AADSTS50011"), "{bad}");
    }
}

#[tokio::test]
async fn redirect_path_is_case_sensitive() {
    let emu = emu().await;
    let mut app = graph_emulator::ClientApp::builtin().remove(0);
    app.client_id = "11111111-2222-4333-8444-555555555555".into();
    app.redirect_uris = vec!["http://localhost/Callback".into()];
    emu.control().register_client(app);
    let p = pkce();
    for (uri, ok) in [
        ("http://localhost:999/Callback", true),
        ("http://localhost:999/callback", false),
    ] {
        let mut params =
            standard_params("11111111-2222-4333-8444-555555555555", SCOPE, &p.challenge);
        params.retain(|(k, _)| *k != "redirect_uri");
        params.push(("redirect_uri", uri));
        let r = http()
            .get(authorize_url(&emu, "organizations", &params))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status() == StatusCode::OK, ok, "{uri}");
    }
}

#[tokio::test]
async fn unknown_client_is_aadsts700016() {
    let emu = emu().await;
    let p = pkce();
    let params = standard_params("00000000-1111-4222-8333-444444444444", SCOPE, &p.challenge);
    let r = http()
        .get(authorize_url(&emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("AADSTS700016"));
    let (s, body) = redeem(&emu, "00000000-1111-4222-8333-444444444444", "x").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "unauthorized_client", 700016);
}

#[tokio::test]
async fn access_token_is_jwt_shaped_with_claims() {
    let emu = emu().await;
    let t = tokens_with(&emu, SCOPE).await;
    assert_eq!(t["token_type"], "Bearer");
    assert!(t["expires_in"].as_i64().unwrap() > 3000);
    assert!(t["refresh_token"].is_string());
    assert!(t["id_token"].is_string());
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(at.split('.').count(), 3);
    let claims = tokens::decode_jwt_payload(at).unwrap();
    assert_eq!(claims["tid"], emu.tenant_id());
    assert_eq!(claims["upn"], emu.admin_upn());
    assert!(claims["oid"].is_string());
    assert!(claims["scp"]
        .as_str()
        .unwrap()
        .split(' ')
        .any(|s| s == "User.Read.All"));
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
}

#[tokio::test]
async fn no_refresh_token_without_offline_access() {
    let emu = emu().await;
    let t = tokens_with(&emu, "User.Read.All").await;
    assert!(t.get("refresh_token").is_none());
    assert!(t.get("id_token").is_none());
}

#[tokio::test]
async fn pkce_s256_verifier_mismatch_is_invalid_grant() {
    let emu = emu().await;
    let code = code_for(&emu, DEMO_CLIENT_ID, SCOPE).await;
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-000",
            ),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 501481);
}

#[tokio::test]
async fn pkce_plain_is_verified() {
    let emu = emu().await;
    let verifier = "plain-verifier-plain-verifier-plain-verifier-01";
    let admin = emu.admin_upn();
    let params = vec![
        ("client_id", DEMO_CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPE),
        ("code_challenge", verifier),
        ("code_challenge_method", "plain"),
        ("login_hint", admin.as_str()),
    ];
    let r = http()
        .get(authorize_url(&emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    let code = query(&location(&r))["code"].clone();
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn code_is_single_use_aadsts54005() {
    let emu = emu().await;
    let code = code_for(&emu, DEMO_CLIENT_ID, SCOPE).await;
    assert_eq!(redeem(&emu, DEMO_CLIENT_ID, &code).await.0, StatusCode::OK);
    let (s, body) = redeem(&emu, DEMO_CLIENT_ID, &code).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 54005);
}

#[tokio::test]
async fn code_is_short_lived() {
    let emu = emu().await;
    let code = code_for(&emu, DEMO_CLIENT_ID, SCOPE).await;
    emu.control().advance_clock(chrono::Duration::minutes(2));
    let (s, body) = redeem(&emu, DEMO_CLIENT_ID, &code).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 70008);
}

#[tokio::test]
async fn redeem_with_different_redirect_uri_fails() {
    let emu = emu().await;
    let code = code_for(&emu, DEMO_CLIENT_ID, SCOPE).await;
    let v = pkce().verifier;
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:1/"),
            ("code_verifier", &v),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 50011);
}

#[tokio::test]
async fn public_client_sending_secret_is_aadsts700025() {
    let emu = emu().await;
    let code = code_for(&emu, DEMO_CLIENT_ID, SCOPE).await;
    let v = pkce().verifier;
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("client_secret", "anything"),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &v),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_identity_error(&body, "invalid_client", 700025);
}

#[tokio::test]
async fn web_registered_redirect_requires_secret_aadsts7000218() {
    let emu = emu().await;
    let code = code_for(&emu, WEB_REDIRECT_CLIENT_ID, SCOPE).await;
    let (s, body) = redeem(&emu, WEB_REDIRECT_CLIENT_ID, &code).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_identity_error(&body, "invalid_client", 7000218);
    let code = code_for(&emu, WEB_REDIRECT_CLIENT_ID, SCOPE).await;
    let v = pkce().verifier;
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", WEB_REDIRECT_CLIENT_ID),
            ("client_secret", WEB_REDIRECT_CLIENT_SECRET),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &v),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn missing_admin_consent_is_aadsts65001() {
    let emu = emu().await;
    let code = code_for(&emu, NO_CONSENT_CLIENT_ID, SCOPE).await;
    let (s, body) = redeem(&emu, NO_CONSENT_CLIENT_ID, &code).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 65001);
    // User-consentable scopes still work for that client.
    let code = code_for(&emu, NO_CONSENT_CLIENT_ID, "openid User.Read").await;
    assert_eq!(
        redeem(&emu, NO_CONSENT_CLIENT_ID, &code).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn invalid_scope_is_redirected_as_aadsts70011() {
    let emu = emu().await;
    let p = pkce();
    let admin = emu.admin_upn();
    let mut params = standard_params(DEMO_CLIENT_ID, "openid Bogus.Scope", &p.challenge);
    params.push(("login_hint", &admin));
    let r = http()
        .get(authorize_url(&emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    let q = query(&location(&r));
    assert_eq!(q["error"], "invalid_scope");
    assert!(q["error_description"].starts_with("AADSTS70011"));
}

#[tokio::test]
async fn refresh_rotates_and_both_tokens_work() {
    let emu = emu().await;
    let t = tokens_with(&emu, SCOPE).await;
    let rt1 = t["refresh_token"].as_str().unwrap();
    let (s, t2) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", rt1),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t2}");
    let rt2 = t2["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert!(t2["access_token"].is_string());
    let (s, _) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", rt2),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn refresh_token_expires_by_inactivity_aadsts700082() {
    let emu = emu().await;
    let t = tokens_with(&emu, SCOPE).await;
    emu.control().advance_clock(chrono::Duration::days(91));
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 700082);
}

#[tokio::test]
async fn revoked_refresh_token_is_aadsts50173() {
    let emu = emu().await;
    let t = tokens_with(&emu, SCOPE).await;
    emu.control().revoke_refresh_tokens();
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "invalid_grant", 50173);
    // A fresh sign-in works again.
    tokens_with(&emu, SCOPE).await;
}

#[tokio::test]
async fn malformed_refresh_token_is_invalid_grant() {
    let emu = emu().await;
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", "garbage.token"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_token_survives_restart_with_same_seed() {
    let emu = emu().await;
    let t = tokens_with(&emu, SCOPE).await;
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    emu.shutdown().await;
    let emu = emu_with(|c| c.seed = 1).await;
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn client_credentials_with_secret() {
    let emu = emu().await;
    let (s, body) = token_request(
        &emu,
        &[
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", CONFIDENTIAL_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let at = body["access_token"].as_str().unwrap();
    let claims = tokens::decode_jwt_payload(at).unwrap();
    assert_eq!(claims["roles"], serde_json::json!(["User.Read.All"]));
    assert!(claims.get("upn").is_none());
    let (s, _) = get_json(&delta_url(&emu, ""), at, &[]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = get_json(&format!("{}/v1.0/me", emu.graph_url()), at, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn client_credentials_error_cases() {
    let emu = emu().await;
    type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, &'a str, u64);
    let cases: &[Case] = &[
        (
            &[
                ("client_id", CONFIDENTIAL_CLIENT_ID),
                ("client_secret", "wrong"),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
        ),
        (
            &[
                ("client_id", CONFIDENTIAL_CLIENT_ID),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
        ),
        (
            &[
                ("client_id", CONFIDENTIAL_CLIENT_ID),
                ("client_secret", CONFIDENTIAL_CLIENT_SECRET),
                ("scope", "User.Read.All"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
        ),
        (
            &[
                ("client_id", DEMO_CLIENT_ID),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
        ),
    ];
    for (form, status, error, code) in cases {
        let mut f = form.to_vec();
        f.push(("grant_type", "client_credentials"));
        let (s, body) = token_request(&emu, &f).await;
        assert_eq!(s, *status, "{body}");
        assert_identity_error(&body, error, *code);
    }
}

#[tokio::test]
async fn unsupported_grant_type() {
    let emu = emu().await;
    let (s, body) = token_request(
        &emu,
        &[("client_id", DEMO_CLIENT_ID), ("grant_type", "password")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_identity_error(&body, "unsupported_grant_type", 70003);
}

#[tokio::test]
async fn correlation_id_echoes_client_request_id() {
    let emu = emu().await;
    let r = http()
        .post(format!(
            "{}/organizations/oauth2/v2.0/token",
            emu.authority()
        ))
        .header("client-request-id", "4b5d6e7f-0000-4000-8000-000000000001")
        .form(&[("client_id", DEMO_CLIENT_ID), ("grant_type", "password")])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["correlation_id"],
        "4b5d6e7f-0000-4000-8000-000000000001"
    );
}
