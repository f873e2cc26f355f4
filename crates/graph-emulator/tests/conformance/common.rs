#![allow(dead_code)]

use std::collections::HashMap;

use graph_emulator::{tokens, Emulator, EmulatorConfig, DEMO_CLIENT_ID};
use reqwest::{redirect::Policy, Client, Response, StatusCode};
use serde_json::Value;

pub const REDIRECT: &str = "http://localhost:53123/";

pub async fn emu() -> Emulator {
    emu_with(|_| {}).await
}

pub async fn emu_with(f: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut c = EmulatorConfig::default();
    f(&mut c);
    Emulator::start(c).await.expect("emulator starts")
}

pub fn http() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-emulator-tests".to_owned();
    Pkce {
        challenge: tokens::pkce_s256(&verifier),
        verifier,
    }
}

pub fn authorize_url(emu: &Emulator, tenant: &str, params: &[(&str, &str)]) -> String {
    let mut u = url::Url::parse(&format!(
        "{}/{tenant}/oauth2/v2.0/authorize",
        emu.authority()
    ))
    .unwrap();
    u.query_pairs_mut().extend_pairs(params);
    u.to_string()
}

pub fn standard_params<'a>(
    client_id: &'a str,
    scope: &'a str,
    challenge: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-123"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

pub fn location(r: &Response) -> url::Url {
    assert_eq!(r.status(), StatusCode::FOUND, "expected a redirect");
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

pub fn query(u: &url::Url) -> HashMap<String, String> {
    u.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Auto-approved sign-in (login_hint of an admin) returning the authorization code.
pub async fn code_for(emu: &Emulator, client_id: &str, scope: &str) -> String {
    let p = pkce();
    let admin = emu.admin_upn();
    let mut params = standard_params(client_id, scope, &p.challenge);
    params.push(("login_hint", &admin));
    let r = http()
        .get(authorize_url(emu, "organizations", &params))
        .send()
        .await
        .unwrap();
    let q = query(&location(&r));
    assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
    q["code"].clone()
}

pub async fn token_request(emu: &Emulator, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = http()
        .post(format!(
            "{}/organizations/oauth2/v2.0/token",
            emu.authority()
        ))
        .form(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

pub async fn redeem(emu: &Emulator, client_id: &str, code: &str) -> (StatusCode, Value) {
    let v = pkce().verifier;
    token_request(
        emu,
        &[
            ("client_id", client_id),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &v),
        ],
    )
    .await
}

/// Tokens for the demo client with `scope`.
pub async fn tokens_with(emu: &Emulator, scope: &str) -> Value {
    let code = code_for(emu, DEMO_CLIENT_ID, scope).await;
    let (s, body) = redeem(emu, DEMO_CLIENT_ID, &code).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

/// A delegated access token with User.Read.All.
pub async fn access_token(emu: &Emulator) -> String {
    tokens_with(emu, "openid profile offline_access User.Read.All").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn get(url: &str, token: &str, headers: &[(&str, &str)]) -> Response {
    let mut rb = http().get(url).bearer_auth(token);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.unwrap()
}

pub async fn get_json(url: &str, token: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = get(url, token, headers).await;
    let s = r.status();
    (s, r.json().await.unwrap())
}

/// A whole delta round: all pages until the deltaLink.
pub struct Round {
    pub pages: Vec<Value>,
    pub items: Vec<Value>,
    pub delta_link: String,
}

pub async fn round(first: &str, token: &str, headers: &[(&str, &str)]) -> Round {
    let mut url = first.to_owned();
    let mut pages = Vec::new();
    let mut items = Vec::new();
    loop {
        let (s, body) = get_json(&url, token, headers).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let next = body
            .get("@odata.nextLink")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let delta = body
            .get("@odata.deltaLink")
            .and_then(Value::as_str)
            .map(str::to_owned);
        assert!(
            next.is_some() != delta.is_some(),
            "exactly one of nextLink/deltaLink: {body}"
        );
        items.extend(body["value"].as_array().unwrap().iter().cloned());
        pages.push(body);
        match (next, delta) {
            (Some(n), _) => url = n,
            (_, Some(d)) => {
                return Round {
                    pages,
                    items,
                    delta_link: d,
                }
            }
            _ => unreachable!(),
        }
        assert!(pages.len() < 10_000, "runaway round");
    }
}

pub fn delta_url(emu: &Emulator, query: &str) -> String {
    format!("{}/v1.0/users/delta{query}", emu.graph_url())
}

pub fn assert_identity_error(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], serde_json::json!([code]), "{body}");
    let d = body["error_description"].as_str().unwrap();
    assert!(d.starts_with(&format!("AADSTS{code}: ")), "{d}");
    for k in ["timestamp", "trace_id", "correlation_id"] {
        assert!(
            body[k].as_str().is_some_and(|s| !s.is_empty()),
            "missing {k}: {body}"
        );
    }
}

pub fn assert_graph_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    let inner = &body["error"]["innerError"];
    for k in ["date", "request-id", "client-request-id"] {
        assert!(inner[k].is_string(), "innerError.{k} missing: {body}");
    }
    let date = inner["date"].as_str().unwrap();
    assert!(!date.ends_with('Z') && date.len() == 19, "date {date}");
}

pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}
