//! The delegated routes when Gafaelfawr misbehaves: each cause becomes a
//! failed (or warning) check naming the component, and the upstream answer
//! is a JSON 500 at worst — never a hang or a crash.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

async fn report(f: &Fixture, headers: &[(&'static str, String)]) -> Answer {
    let answer = get(
        &f.router,
        "/muster/delegated/header?report=true",
        &borrow(headers),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    answer
}

fn component(check: &Value) -> &str {
    check["fix"]["component"].as_str().unwrap_or("(no fix)")
}

#[tokio::test]
async fn refused_connection_fails_user_info_pointing_at_gafaelfawr() {
    let (refused, _held) = refused_base();
    let f = with_gafaelfawr(&refused);
    let answer = report(&f, &delegated_headers()).await;
    let check = answer.check("delegated.user_info");
    assert_eq!(check["status"], "fail");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{check}"
    );
    assert_eq!(component(&check), "gafaelfawr");
    assert_eq!(answer.check("delegated.username_matches")["status"], "skip");
    let upstream = get(
        &f.router,
        "/muster/delegated/header",
        &borrow(&delegated_headers()),
    )
    .await;
    assert_eq!(upstream.status.as_u16(), 500);
    assert_eq!(upstream.json()["detail"][0]["type"], "gafaelfawr_error");
}

#[tokio::test]
async fn slow_gafaelfawr_times_out_with_the_configured_limit() {
    let slow = Reply {
        delay: Duration::from_secs(30),
        ..Reply::ok(ALICE)
    };
    let fake = FakeGafaelfawr::start(slow.clone(), slow).await;
    let f = fixture(&[
        ("MUSTER_GAFAELFAWR_URL", &fake.base),
        ("MUSTER_GAFAELFAWR_TIMEOUT", "0.3"),
    ]);
    let started = Instant::now();
    let answer = report(&f, &delegated_headers()).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let check = answer.check("delegated.user_info");
    assert_eq!(check["status"], "fail");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("no answer within 0.3 s"),
        "{check}"
    );
    assert_eq!(component(&check), "gafaelfawr");
    assert_eq!(answer.check("delegated.token_info")["status"], "warn");
}

#[tokio::test]
async fn user_info_failed_points_at_the_user_directory() {
    let failed = Reply::status(
        500,
        r#"{"detail":[{"msg":"LDAP is down","type":"user_info_failed"}]}"#,
    );
    let fake = FakeGafaelfawr::start(failed, Reply::ok(INTERNAL_TOKEN)).await;
    let f = with_gafaelfawr(&fake.base);
    let check = report(&f, &delegated_headers())
        .await
        .check("delegated.user_info");
    assert_eq!(check["status"], "fail");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("HTTP 500 (user_info_failed)"),
        "{check}"
    );
    assert_eq!(component(&check), "user_directory");
    let body = check["evidence"].to_string();
    assert!(body.contains("LDAP is down"), "{body}");
}

#[tokio::test]
async fn plain_http_500_points_at_gafaelfawr() {
    let fake = FakeGafaelfawr::start(
        Reply::status(500, "Internal Server Error"),
        Reply::ok(INTERNAL_TOKEN),
    )
    .await;
    let f = with_gafaelfawr(&fake.base);
    let check = report(&f, &delegated_headers())
        .await
        .check("delegated.user_info");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("HTTP 500 from http://"),
        "{check}"
    );
    assert_eq!(component(&check), "gafaelfawr");
}

#[tokio::test]
async fn rejected_token_is_reported_with_its_status() {
    let invalid = Reply::status(
        401,
        r#"{"detail":[{"msg":"Token is not valid","type":"invalid_token"}]}"#,
    );
    let fake = FakeGafaelfawr::start(invalid.clone(), invalid).await;
    let f = with_gafaelfawr(&fake.base);
    let check = report(&f, &delegated_headers())
        .await
        .check("delegated.user_info");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("HTTP 401 (invalid_token)"),
        "{check}"
    );
    assert_eq!(component(&check), "gafaelfawr");
}

#[tokio::test]
async fn garbage_answer_is_invalid_json_pointing_at_the_configuration() {
    let fake = FakeGafaelfawr::start(Reply::ok("<html>login</html>"), Reply::ok("{}")).await;
    let f = with_gafaelfawr(&fake.base);
    let answer = report(&f, &delegated_headers()).await;
    let check = answer.check("delegated.user_info");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{check}"
    );
    assert_eq!(component(&check), "muster_configuration");
    assert_eq!(answer.check("delegated.token_info")["status"], "warn");
}

#[tokio::test]
async fn wrong_base_url_is_a_404_pointing_at_the_configuration() {
    let fake = FakeGafaelfawr::healthy().await;
    let wrong = fake.base.replace("/auth/api/v1", "/auth");
    let f = with_gafaelfawr(&wrong);
    let check = report(&f, &delegated_headers())
        .await
        .check("delegated.user_info");
    assert!(
        check["observed"].as_str().unwrap().contains("HTTP 404"),
        "{check}"
    );
    assert_eq!(component(&check), "muster_configuration");
}

#[tokio::test]
async fn username_mismatch_fails_its_check() {
    let bob = ALICE.replace(r#""username":"alice""#, r#""username":"bob""#);
    let fake = FakeGafaelfawr::start(Reply::ok(&bob), Reply::ok(INTERNAL_TOKEN)).await;
    let f = with_gafaelfawr(&fake.base);
    let answer = report(&f, &delegated_headers()).await;
    assert_eq!(answer.json()["status"], "fail");
    let check = answer.check("delegated.username_matches");
    assert_eq!(check["status"], "fail");
    assert_eq!(component(&check), "gafaelfawr");
}

#[tokio::test]
async fn email_mismatch_fails_its_check() {
    let other = ALICE.replace("alice@example.com", "alice@elsewhere.org");
    let fake = FakeGafaelfawr::start(Reply::ok(&other), Reply::ok(INTERNAL_TOKEN)).await;
    let f = with_gafaelfawr(&fake.base);
    let check = report(&f, &delegated_headers())
        .await
        .check("delegated.email_matches");
    assert_eq!(check["status"], "fail");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("alice@elsewhere.org"),
        "{check}"
    );
}

#[tokio::test]
async fn missing_uid_and_gid_warn_and_keep_the_upstream_success() {
    let bare =
        r#"{"username":"alice","email":"alice@example.com","groups":[{"name":"g1","id":2001}]}"#;
    let fake = FakeGafaelfawr::start(Reply::ok(bare), Reply::ok(INTERNAL_TOKEN)).await;
    let f = with_gafaelfawr(&fake.base);
    let answer = report(&f, &delegated_headers()).await;
    assert_eq!(answer.json()["status"], "warn");
    let check = answer.check("delegated.uid_gid");
    assert_eq!(check["status"], "warn");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("no uid and gid"),
        "{check}"
    );
    assert_eq!(component(&check), "user_directory");
    let upstream = get(
        &f.router,
        "/muster/delegated/header",
        &borrow(&delegated_headers()),
    )
    .await;
    assert_eq!(upstream.status.as_u16(), 200);
}

#[tokio::test]
async fn missing_groups_warn() {
    let lonely = r#"{"username":"alice","email":"alice@example.com","uid":1,"gid":1,"groups":[]}"#;
    let fake = FakeGafaelfawr::start(Reply::ok(lonely), Reply::ok(INTERNAL_TOKEN)).await;
    let f = with_gafaelfawr(&fake.base);
    let check = report(&f, &delegated_headers())
        .await
        .check("delegated.groups");
    assert_eq!(check["status"], "warn");
}

#[tokio::test]
async fn token_info_with_wrong_service_and_scopes_warns() {
    let wrong = INTERNAL_TOKEN
        .replace(r#""service":"muster""#, r#""service":"portal""#)
        .replace(r#""scopes":[]"#, r#""scopes":["read:image"]"#);
    let fake = FakeGafaelfawr::start(Reply::ok(ALICE), Reply::ok(&wrong)).await;
    let f = with_gafaelfawr(&fake.base);
    let answer = report(&f, &delegated_headers()).await;
    let check = answer.check("delegated.token_info");
    assert_eq!(check["status"], "warn");
    let observed = check["observed"].as_str().unwrap();
    assert!(
        observed.contains("service is portal") && observed.contains("read:image"),
        "{observed}"
    );
    assert_eq!(component(&check), "gafaelfawr_ingress");
}

#[tokio::test]
async fn healthy_gafaelfawr_passes_every_check() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let answer = report(&f, &delegated_headers()).await;
    let report = answer.json();
    assert_eq!(report["status"], "pass", "{report}");
    for check in report["checks"].as_array().unwrap() {
        assert_eq!(check["status"], "pass", "{check}");
        assert!(check.get("fix").is_none(), "{check}");
    }
}

#[tokio::test]
async fn missing_gafaelfawr_url_fails_pointing_at_musters_configuration() {
    let f = fixture(&[]);
    let answer = report(&f, &delegated_headers()).await;
    let check = answer.check("delegated.user_info");
    assert_eq!(check["status"], "fail");
    assert_eq!(component(&check), "muster_configuration");
    assert!(check["fix"]["hint"]
        .as_str()
        .unwrap()
        .contains("MUSTER_GAFAELFAWR_URL"));
    let upstream = get(
        &f.router,
        "/muster/delegated/header",
        &borrow(&delegated_headers()),
    )
    .await;
    assert_eq!(upstream.status.as_u16(), 500);
    assert_eq!(upstream.json()["detail"][0]["type"], "configuration_error");
}

#[tokio::test]
async fn non_token_delegated_value_fails_without_calling_gafaelfawr() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let mut headers = delegated_headers();
    headers[2].1 = "not-a-gafaelfawr-token".into();
    let answer = report(&f, &headers).await;
    assert_eq!(answer.check("delegated.token_header")["status"], "fail");
    assert_eq!(answer.check("delegated.user_info")["status"], "skip");
    let upstream = get(&f.router, "/muster/delegated/header", &borrow(&headers)).await;
    assert_eq!(
        upstream.body,
        r#"{"detail":[{"loc":["header","X-Auth-Request-Token"],"msg":"Header X-Auth-Request-Token has an incorrect value: …(22 chars)","type":"incorrect_header"}]}"#
    );
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
}

#[tokio::test]
async fn repertoire_discovery_finds_gafaelfawr() {
    let fake = FakeGafaelfawr::healthy().await;
    let discovery = serde_json::json!({"services": {"internal": {"gafaelfawr": {
        "url": "http://unused.invalid/auth",
        "versions": {"v1": {"url": fake.base}}
    }}}})
    .to_string();
    let app = axum::Router::new().route(
        "/repertoire/discovery",
        axum::routing::get(move || async move { discovery }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let repertoire = format!("http://{}/repertoire", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let f = fixture(&[("REPERTOIRE_BASE_URL", &repertoire)]);
    let answer = report(&f, &delegated_headers()).await;
    assert_eq!(
        answer.check("delegated.user_info")["status"],
        "pass",
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn failed_discovery_points_at_repertoire() {
    let (refused, _held) = refused_base();
    let f = fixture(&[("REPERTOIRE_BASE_URL", &refused)]);
    let check = report(&f, &delegated_headers())
        .await
        .check("delegated.user_info");
    assert_eq!(check["status"], "fail");
    assert!(
        check["observed"]
            .as_str()
            .unwrap()
            .contains("service discovery failed"),
        "{check}"
    );
    assert_eq!(component(&check), "repertoire");
}
