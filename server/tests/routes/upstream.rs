//! Every route of `docs/compatibility.md`: exact status codes and bodies.

use http::StatusCode;

use crate::support::*;

const MISSING_USER: &str = r#"{"type":"missing","loc":["header","x-auth-request-user"],"msg":"Field required","input":null}"#;
const MISSING_TOKEN: &str = r#"{"type":"missing","loc":["header","x-auth-request-token"],"msg":"Field required","input":null}"#;
const UNEXPECTED_AUTHORIZATION: &str = r#"{"detail":[{"loc":["header","Authorization"],"msg":"Header Authorization set but should not be present","type":"unexpected_header"}]}"#;

async fn assert_answer(
    router: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
    status: u16,
    body: &str,
) {
    let answer = get(router, uri, headers).await;
    assert_eq!(
        answer.status.as_u16(),
        status,
        "{uri} {headers:?}: {}",
        answer.body
    );
    assert_eq!(answer.body, body, "{uri} {headers:?}");
    assert_eq!(answer.header("content-type"), "application/json", "{uri}");
    assert_eq!(answer.header("cache-control"), "no-store", "{uri}");
}

#[tokio::test]
async fn health_answers_compact_metadata() {
    let f = fixture(&[]);
    let expected = serde_json::to_string(&muster_server::metadata::metadata()).unwrap();
    assert!(
        expected.starts_with(r#"{"name":"muster","version":""#),
        "{expected}"
    );
    assert_answer(&f.router, "/", &[], 200, &expected).await;
}

#[tokio::test]
async fn index_builds_absolute_urls_from_forwarded_headers() {
    let f = fixture(&[]);
    let metadata = serde_json::to_string(&muster_server::metadata::metadata()).unwrap();
    let base = "https://example.com/muster";
    let expected = format!(
        r#"{{"metadata":{metadata},"anonymous_url":"{base}/anonymous","auth_required_url":"{base}/auth/fail","auth_redirect_url":"{base}/auth/redirect","auth_quota_url":"{base}/auth/quota","auth_cached_url":"{base}/auth/cached","delegated_url":"{base}/delegated/header","authorization_url":"{base}/delegated/authorization"}}"#
    );
    let headers = [
        ("host", "muster:8080"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "example.com"),
    ];
    assert_answer(&f.router, "/muster/", &headers, 200, &expected).await;
}

#[tokio::test]
async fn anonymous_without_credentials_is_ok() {
    let f = fixture(&[]);
    assert_answer(&f.router, "/muster/anonymous", &[], 200, r#"{"ok":true}"#).await;
    let harmless = [("cookie", "theme=dark; gafaelfawr="), ("authorization", "")];
    assert_answer(
        &f.router,
        "/muster/anonymous",
        &harmless,
        200,
        r#"{"ok":true}"#,
    )
    .await;
}

#[tokio::test]
async fn anonymous_rejects_authorization_before_the_cookie() {
    let f = fixture(&[]);
    let both = [
        ("authorization", "Bearer x"),
        ("cookie", "gafaelfawr=session"),
    ];
    assert_answer(
        &f.router,
        "/muster/anonymous",
        &both,
        500,
        UNEXPECTED_AUTHORIZATION,
    )
    .await;
}

#[tokio::test]
async fn anonymous_rejects_the_gafaelfawr_cookie() {
    let f = fixture(&[]);
    let expected = r#"{"detail":[{"loc":["header","Cookie"],"msg":"Cookie gafaelfawr set but should not be present","type":"unexpected_cookie"}]}"#;
    let cookie = [("cookie", "theme=dark; gafaelfawr=session")];
    assert_answer(&f.router, "/muster/anonymous", &cookie, 500, expected).await;
}

#[tokio::test]
async fn anonymous_accepts_forged_identity_headers_as_upstream_does() {
    let f = fixture(&[]);
    let forged = [("x-auth-request-user", "admin")];
    assert_answer(
        &f.router,
        "/muster/anonymous",
        &forged,
        200,
        r#"{"ok":true}"#,
    )
    .await;
}

#[tokio::test]
async fn auth_routes_echo_the_user_and_email() {
    let f = fixture(&[]);
    for mode in ["fail", "redirect", "quota", "cached"] {
        let uri = format!("/muster/auth/{mode}");
        assert_answer(
            &f.router,
            &uri,
            &[("x-auth-request-user", "bot-mobu")],
            200,
            r#"{"username":"bot-mobu"}"#,
        )
        .await;
        let with_email = [
            ("x-auth-request-user", "alice"),
            ("x-auth-request-email", "alice@example.com"),
        ];
        let expected = r#"{"username":"alice","email":"alice@example.com"}"#;
        assert_answer(&f.router, &uri, &with_email, 200, expected).await;
    }
}

#[tokio::test]
async fn auth_without_user_is_fastapi_422() {
    let f = fixture(&[]);
    let expected = format!(r#"{{"detail":[{MISSING_USER}]}}"#);
    assert_answer(&f.router, "/muster/auth/fail", &[], 422, &expected).await;
    assert_answer(
        &f.router,
        "/muster/auth/quota",
        &[("x-auth-request-user", "")],
        422,
        &expected,
    )
    .await;
}

#[tokio::test]
async fn auth_rejects_authorization() {
    let f = fixture(&[]);
    let headers = [
        ("x-auth-request-user", "alice"),
        ("authorization", "Bearer leaked"),
    ];
    assert_answer(
        &f.router,
        "/muster/auth/redirect",
        &headers,
        500,
        UNEXPECTED_AUTHORIZATION,
    )
    .await;
}

#[tokio::test]
async fn unknown_auth_mode_is_a_literal_error() {
    let f = fixture(&[]);
    let literal = r#"{"type":"literal_error","loc":["path","mode"],"msg":"Input should be 'fail', 'redirect', 'quota' or 'cached'","input":"vinyl","ctx":{"expected":"'fail', 'redirect', 'quota' or 'cached'"}}"#;
    let with_user = format!(r#"{{"detail":[{literal}]}}"#);
    assert_answer(
        &f.router,
        "/muster/auth/vinyl",
        &[("x-auth-request-user", "u")],
        422,
        &with_user,
    )
    .await;
    let without_user = format!(r#"{{"detail":[{MISSING_USER},{literal}]}}"#);
    assert_answer(&f.router, "/muster/auth/vinyl", &[], 422, &without_user).await;
}

#[tokio::test]
async fn a_mode_that_is_not_utf8_is_shown_as_starlette_decodes_it() {
    let f = fixture(&[]);
    let literal = "{\"type\":\"literal_error\",\"loc\":[\"path\",\"mode\"],\"msg\":\"Input should be 'fail', 'redirect', 'quota' or 'cached'\",\"input\":\"f\u{fffd}il\",\"ctx\":{\"expected\":\"'fail', 'redirect', 'quota' or 'cached'\"}}";
    assert_answer(
        &f.router,
        "/muster/auth/f%FFil",
        &[("x-auth-request-user", "u")],
        422,
        &format!(r#"{{"detail":[{literal}]}}"#),
    )
    .await;
}

#[tokio::test]
async fn unknown_delegated_mode_lists_every_error_in_fastapi_order() {
    let f = fixture(&[]);
    let literal = r#"{"type":"literal_error","loc":["path","mode"],"msg":"Input should be 'header' or 'authorization'","input":"cookie","ctx":{"expected":"'header' or 'authorization'"}}"#;
    let expected = format!(r#"{{"detail":[{MISSING_USER},{literal},{MISSING_TOKEN}]}}"#);
    assert_answer(&f.router, "/muster/delegated/cookie", &[], 422, &expected).await;
}

#[tokio::test]
async fn delegated_without_user_or_token_is_422_before_calling_gafaelfawr() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let both = format!(r#"{{"detail":[{MISSING_USER},{MISSING_TOKEN}]}}"#);
    assert_answer(&f.router, "/muster/delegated/header", &[], 422, &both).await;
    let token_only = format!(r#"{{"detail":[{MISSING_TOKEN}]}}"#);
    assert_answer(
        &f.router,
        "/muster/delegated/authorization",
        &[("x-auth-request-user", "alice")],
        422,
        &token_only,
    )
    .await;
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
}

#[tokio::test]
async fn delegated_header_returns_user_info_without_quota() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let expected = r#"{"username":"alice","email":"alice@example.com","name":"Alice Example","uid":1000,"gid":1001,"groups":[{"name":"g1","id":2001},{"name":"g2","id":2002}]}"#;
    assert_answer(
        &f.router,
        "/muster/delegated/header",
        &borrow(&delegated_headers()),
        200,
        expected,
    )
    .await;
}

#[tokio::test]
async fn delegated_routes_call_only_user_info_and_token_info_with_the_token() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    get(
        &f.router,
        "/muster/delegated/header",
        &borrow(&delegated_headers()),
    )
    .await;
    let mut paths: Vec<String> = fake.seen().iter().map(|s| s.path.clone()).collect();
    paths.sort();
    assert_eq!(paths, ["/auth/api/v1/token-info", "/auth/api/v1/user-info"]);
    for seen in fake.seen() {
        assert_eq!(
            seen.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[tokio::test]
async fn delegated_body_leaves_out_absent_fields_and_empty_groups() {
    let fake = FakeGafaelfawr::start(
        Reply::ok(r#"{"username":"bot-mobu","groups":[]}"#),
        Reply::ok(INTERNAL_TOKEN),
    )
    .await;
    let f = with_gafaelfawr(&fake.base);
    let headers = [
        ("x-auth-request-user", "bot-mobu"),
        ("x-auth-request-token", TOKEN),
    ];
    for mode in ["header", "authorization"] {
        let bearer = format!("Bearer {TOKEN}");
        let mut headers = headers.to_vec();
        if mode == "authorization" {
            headers.push(("authorization", &bearer));
        }
        let uri = format!("/muster/delegated/{mode}");
        assert_answer(&f.router, &uri, &headers, 200, r#"{"username":"bot-mobu"}"#).await;
    }
}

#[tokio::test]
async fn delegated_username_mismatch_is_gafaelfawr_data() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let mut headers = delegated_headers();
    headers[0].1 = "otheruser".into();
    let expected = r#"{"detail":[{"msg":"Gafaelfawr username mismatch: alice from user-info endpoint, otheruser from request headers","type":"gafaelfawr_data"}]}"#;
    assert_answer(
        &f.router,
        "/muster/delegated/header",
        &borrow(&headers),
        500,
        expected,
    )
    .await;
}

#[tokio::test]
async fn delegated_email_mismatch_is_gafaelfawr_data() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let mut headers = delegated_headers();
    headers[1].1 = "othermail@example.com".into();
    let expected = r#"{"detail":[{"msg":"Gafaelfawr email mismatch: alice@example.com from user-info endpoint, othermail@example.com from request headers","type":"gafaelfawr_data"}]}"#;
    assert_answer(
        &f.router,
        "/muster/delegated/header",
        &borrow(&headers),
        500,
        expected,
    )
    .await;
    headers.remove(1);
    let absent = r#"{"detail":[{"msg":"Gafaelfawr email mismatch: alice@example.com from user-info endpoint, None from request headers","type":"gafaelfawr_data"}]}"#;
    assert_answer(
        &f.router,
        "/muster/delegated/header",
        &borrow(&headers),
        500,
        absent,
    )
    .await;
}

#[tokio::test]
async fn delegated_header_mode_rejects_authorization() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let mut headers = delegated_headers();
    headers.push(("authorization", "some-token".into()));
    assert_answer(
        &f.router,
        "/muster/delegated/header",
        &borrow(&headers),
        500,
        UNEXPECTED_AUTHORIZATION,
    )
    .await;
}

#[tokio::test]
async fn delegated_authorization_mode_requires_the_header() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let expected = r#"{"detail":[{"loc":["header","Authorization"],"msg":"Header Authorization not present but should be set","type":"missing_header"}]}"#;
    assert_answer(
        &f.router,
        "/muster/delegated/authorization",
        &borrow(&delegated_headers()),
        500,
        expected,
    )
    .await;
}

#[tokio::test]
async fn delegated_authorization_mode_redacts_an_incorrect_value() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let mut headers = delegated_headers();
    headers.push(("authorization", "Bearer some-token".into()));
    let expected = r#"{"detail":[{"loc":["header","Authorization"],"msg":"Header Authorization has an incorrect value: Bearer …(10 chars)","type":"incorrect_header"}]}"#;
    assert_answer(
        &f.router,
        "/muster/delegated/authorization",
        &borrow(&headers),
        500,
        expected,
    )
    .await;
    let mut other_token = delegated_headers();
    other_token.push((
        "authorization",
        "Bearer gt-ZzZzZzZzZzZzZzZzZzZzZz.0000000000000000000000".into(),
    ));
    let answer = get(
        &f.router,
        "/muster/delegated/authorization",
        &borrow(&other_token),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer
            .body
            .contains("incorrect value: Bearer gt-ZzZz…(48 chars)"),
        "{}",
        answer.body
    );
    assert!(
        !answer.body.contains("0000000000000000000000"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn delegated_authorization_mode_accepts_exactly_bearer_token() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let mut headers = delegated_headers();
    headers.push(("authorization", format!("Bearer {TOKEN}")));
    let answer = get(
        &f.router,
        "/muster/delegated/authorization",
        &borrow(&headers),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["username"], "alice");
}

#[tokio::test]
async fn unknown_paths_stay_fastapi_404() {
    let f = fixture(&[]);
    assert_answer(
        &f.router,
        "/muster/auth/fail/extra",
        &[],
        404,
        r#"{"detail":"Not Found"}"#,
    )
    .await;
}
