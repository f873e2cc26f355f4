use std::time::Instant;

use graph_emulator::{FaultKind, FaultSpec};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn throttling_429_with_fractional_retry_after_on_next_n() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control().inject_fault(FaultSpec::next(
        FaultKind::TooManyRequests {
            retry_after: Some("2.128".into()),
        },
        2,
    ));
    for _ in 0..2 {
        let r = get(&delta_url(&emu, ""), &t, &[]).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "2.128");
        let body: Value = r.json().await.unwrap();
        assert_graph_error(&body, "TooManyRequests");
        assert_eq!(body["error"]["innerError"]["status"], "429");
    }
    assert_eq!(
        get(&delta_url(&emu, ""), &t, &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn service_unavailable_with_and_without_retry_after() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control().inject_fault(FaultSpec::next(
        FaultKind::ServiceUnavailable {
            retry_after: Some("7".into()),
        },
        1,
    ));
    emu.control().inject_fault(FaultSpec::next(
        FaultKind::ServiceUnavailable { retry_after: None },
        1,
    ));
    let r = get(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_graph_error(&r.json().await.unwrap(), "serviceNotAvailable");
    let r = get(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().get("retry-after").is_none());
}

#[tokio::test]
async fn gateway_timeout_504() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control()
        .inject_fault(FaultSpec::next(FaultKind::GatewayTimeout, 1));
    let r = get(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_graph_error(&r.json().await.unwrap(), "gatewayTimeout");
}

#[tokio::test]
async fn connection_reset_mid_body() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control()
        .inject_fault(FaultSpec::next(FaultKind::ConnectionReset, 1));
    let r = get(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.is_err(), "body must fail mid-stream");
    assert_eq!(
        get(&delta_url(&emu, ""), &t, &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn truncated_json_body() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control()
        .inject_fault(FaultSpec::next(FaultKind::TruncatedJson, 1));
    let r = get(&delta_url(&emu, ""), &t, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.expect("complete HTTP body");
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());
}

#[tokio::test]
async fn slow_response() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control()
        .inject_fault(FaultSpec::next(FaultKind::Slow { millis: 60 }, 1));
    let start = Instant::now();
    assert_eq!(
        get(&delta_url(&emu, ""), &t, &[]).await.status(),
        StatusCode::OK
    );
    assert!(start.elapsed().as_millis() >= 60);
}

async fn fraction_pattern(seed: u64) -> Vec<bool> {
    let emu = emu_with(|c| c.seed = seed).await;
    let t = access_token(&emu).await;
    emu.control()
        .inject_fault(FaultSpec::fraction(FaultKind::GatewayTimeout, 0.5));
    let mut out = Vec::new();
    for _ in 0..24 {
        out.push(
            get(&delta_url(&emu, "?$deltatoken=latest"), &t, &[])
                .await
                .status()
                == StatusCode::GATEWAY_TIMEOUT,
        );
    }
    out
}

#[tokio::test]
async fn fraction_is_deterministic_with_seed() {
    let a = fraction_pattern(7).await;
    let b = fraction_pattern(7).await;
    assert_eq!(a, b);
    assert!(a.iter().any(|x| *x) && a.iter().any(|x| !*x), "{a:?}");
}

#[tokio::test]
async fn clear_faults_and_request_log() {
    let emu = emu().await;
    let t = access_token(&emu).await;
    emu.control().clear_request_log();
    emu.control()
        .inject_fault(FaultSpec::next(FaultKind::GatewayTimeout, 1));
    get(&delta_url(&emu, ""), &t, &[("Prefer", "return=minimal")]).await;
    emu.control()
        .inject_fault(FaultSpec::next(FaultKind::GatewayTimeout, 5));
    emu.control().clear_faults();
    assert_eq!(
        get(&delta_url(&emu, ""), &t, &[]).await.status(),
        StatusCode::OK
    );
    let log = emu.control().request_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, 504);
    assert_eq!(log[0].fault.as_deref(), Some("gateway_timeout"));
    assert_eq!(log[0].headers["prefer"], "return=minimal");
    assert_eq!(log[0].headers["authorization"], "Bearer <redacted>");
    assert_eq!(log[1].status, 200);
    assert_eq!(log[1].path, "/v1.0/users/delta");
}

#[tokio::test]
async fn faults_apply_only_to_matching_path_prefix() {
    let emu = emu().await;
    let mut spec = FaultSpec::next(FaultKind::ServiceUnavailable { retry_after: None }, 1);
    spec.path_prefix = Some("/organizations/oauth2/".into());
    emu.control().inject_fault(spec);
    let (s, _) = token_request(&emu, &[("client_id", "x"), ("grant_type", "refresh_token")]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
}
