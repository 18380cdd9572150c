//! The Gafaelfawr stand-in against `docs/gafaelfawr-contract.md`, row by row,
//! over real HTTP.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use muster_stack::standin::{QuotaConfig, Standin, StandinConfig, StandinFault};
use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder};
use serde_json::{json, Value};

const ORIGINAL_URL: &str = "https://data.example.com/api/thing?x=1";
const REALM: &str = "data.example.com";
const SOMEUSER_SCOPES: &[&str] = &[
    "exec:admin",
    "exec:notebook",
    "exec:portal",
    "read:image",
    "read:tap",
    "user:token",
];

/// One HTTP exchange, read in full.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.body))
    }

    fn header_json(&self, name: &str) -> Value {
        let text = self
            .header(name)
            .unwrap_or_else(|| panic!("no {name} header"));
        serde_json::from_str(text).unwrap_or_else(|error| panic!("{name} not JSON: {error}"))
    }
}

/// Bound on any one request, so that a stalled stand-in fails the test.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(HTTP_TIMEOUT)
        .build()
        .expect("client")
}

async fn send(request: RequestBuilder) -> Reply {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

async fn demo() -> Standin {
    Standin::start(StandinConfig::demo())
        .await
        .expect("stand-in starts")
}

async fn with_fault(fault: StandinFault) -> Standin {
    let mut config = StandinConfig::demo();
    config.fault = Some(fault);
    Standin::start(config).await.expect("stand-in starts")
}

fn someuser(standin: &Standin) -> String {
    standin.issue_token("someuser", "session", SOMEUSER_SCOPES)
}

/// `GET /ingress/auth?<query>` as nginx sends it.
fn auth(standin: &Standin, query: &str) -> RequestBuilder {
    client()
        .get(format!("{}/ingress/auth?{query}", standin.url()))
        .header("X-Original-URL", ORIGINAL_URL)
        .header("X-Original-Method", "GET")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn key_of(token: &str) -> &str {
    token
        .strip_prefix("gt-")
        .and_then(|rest| rest.split('.').next())
        .expect("token")
}

/// Every failure: status, no-cache, and the contract's extra headers.
fn assert_failure(reply: &Reply, status: u16, error_status: Option<&str>) {
    assert_eq!(reply.status, status, "status; body {}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-cache, no-store"));
    assert_eq!(
        reply.header("x-error-status"),
        error_status,
        "X-Error-Status"
    );
}

fn detail_type(body: &Value) -> &str {
    body["detail"][0]["type"].as_str().expect("detail[0].type")
}

fn challenge(error: &str, description: &str) -> String {
    format!("Bearer realm=\"{REALM}\", error=\"{error}\", error_description=\"{description}\"")
}

async fn user_info(standin: &Standin, token: &str) -> Reply {
    send(
        client()
            .get(format!("{}/auth/api/v1/user-info", standin.url()))
            .header("Authorization", bearer(token)),
    )
    .await
}

async fn token_info(standin: &Standin, token: &str) -> Reply {
    send(
        client()
            .get(format!("{}/auth/api/v1/token-info", standin.url()))
            .header("Authorization", bearer(token)),
    )
    .await
}

async fn mint(standin: &Standin, authorization: &str, body: Value) -> Reply {
    send(
        client()
            .post(format!("{}/auth/api/v1/tokens", standin.url()))
            .header("Authorization", authorization)
            .json(&body),
    )
    .await
}

// ---------------------------------------------------------------- tokens

#[tokio::test]
async fn issued_tokens_are_gt_key_dot_secret_of_16_random_bytes_each() {
    let standin = demo().await;
    let first = someuser(&standin);
    let second = someuser(&standin);
    assert_ne!(first, second);
    for token in [&first, &second] {
        let (key, secret) = token
            .strip_prefix("gt-")
            .and_then(|rest| rest.split_once('.'))
            .expect("gt-<key>.<secret>");
        for part in [key, secret] {
            assert_eq!(part.len(), 22, "{token}");
            assert_eq!(URL_SAFE_NO_PAD.decode(part).expect("base64url").len(), 16);
        }
    }
}

// ---------------------------------------------------------------- success

#[tokio::test]
async fn success_is_200_ok_with_user_and_email_headers_only() {
    let standin = demo().await;
    let token = someuser(&standin);
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&token))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"status": "ok"}));
    assert_eq!(reply.header("x-auth-request-user"), Some("someuser"));
    assert_eq!(
        reply.header("x-auth-request-email"),
        Some("someuser@example.com")
    );
    for absent in [
        "x-auth-request-service",
        "x-auth-request-token",
        "authorization",
        "cookie",
        "x-auth-request-uid",
        "x-auth-request-gid",
        "x-auth-request-groups",
        "x-ratelimit-limit",
        "x-error-status",
    ] {
        assert_eq!(reply.header(absent), None, "{absent}");
    }
}

#[tokio::test]
async fn user_without_email_gets_no_email_header() {
    let standin = demo().await;
    let token = standin.issue_token("otheruser", "user", &["read:image"]);
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&token))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-auth-request-user"), Some("otheruser"));
    assert_eq!(reply.header("x-auth-request-email"), None);
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let standin = demo().await;
    let token = someuser(&standin);
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let reply = send(
            auth(&standin, "scope=read:image").header("Authorization", format!("{scheme} {token}")),
        )
        .await;
        assert_eq!(reply.status, 200, "{scheme}");
    }
}

#[tokio::test]
async fn basic_auth_accepts_the_token_as_user_or_password() {
    let standin = demo().await;
    let token = someuser(&standin);
    for authorization in [
        basic(&token, "x-oauth-basic"),
        basic("x-oauth-basic", &token),
        basic(&token, ""),
        basic("someuser", &token),
    ] {
        let reply =
            send(auth(&standin, "scope=read:image").header("Authorization", &authorization)).await;
        assert_eq!(reply.status, 200, "{authorization}");
        assert_eq!(reply.header("x-auth-request-user"), Some("someuser"));
        assert_eq!(reply.header("authorization"), None, "token not reflected");
    }
}

#[tokio::test]
async fn cookie_is_looked_at_before_authorization() {
    let standin = demo().await;
    let session = someuser(&standin);
    let other = standin.issue_token("otheruser", "user", &["read:image"]);
    let reply = send(
        auth(&standin, "scope=read:image")
            .header("Cookie", format!("gafaelfawr={session}"))
            .header("Authorization", bearer(&other)),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-auth-request-user"), Some("someuser"));
}

#[tokio::test]
async fn allow_cookies_false_ignores_the_cookie() {
    let standin = demo().await;
    let session = someuser(&standin);
    let cookie = format!("gafaelfawr={session}");
    let reply =
        send(auth(&standin, "scope=read:image&allow_cookies=false").header("Cookie", &cookie))
            .await;
    assert_failure(&reply, 401, None);
    let other = standin.issue_token("otheruser", "user", &["read:image"]);
    let reply = send(
        auth(&standin, "scope=read:image&allow_cookies=false")
            .header("Cookie", &cookie)
            .header("Authorization", bearer(&other)),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-auth-request-user"), Some("otheruser"));
}

#[tokio::test]
async fn foreign_authorization_is_reflected_and_gafaelfawr_tokens_are_not() {
    let standin = demo().await;
    let session = someuser(&standin);
    let reply = send(
        auth(&standin, "scope=read:image")
            .header("Cookie", format!("gafaelfawr={session}"))
            .header("Authorization", "Bearer some-upstream-jwt"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers_named("authorization"),
        vec!["Bearer some-upstream-jwt"]
    );

    let reply = send(
        auth(&standin, "scope=read:image")
            .header("Cookie", format!("gafaelfawr={session}"))
            .header("Authorization", bearer(&session)),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("authorization"), None);
}

#[tokio::test]
async fn cookie_header_loses_only_the_exact_gafaelfawr_cookie() {
    let standin = demo().await;
    let session = someuser(&standin);
    let reply = send(auth(&standin, "scope=read:image").header(
        "Cookie",
        format!("a=1; gafaelfawr={session}; gafaelfawr_x=2; b=3"),
    ))
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers_named("cookie"),
        vec!["a=1; gafaelfawr_x=2; b=3"]
    );

    let reply =
        send(auth(&standin, "scope=read:image").header("Cookie", format!("gafaelfawr={session}")))
            .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cookie"), None, "emptied Cookie is absent");
}

#[tokio::test]
async fn satisfy_any_needs_one_scope_and_all_needs_every_scope() {
    let standin = demo().await;
    let token = standin.issue_token("otheruser", "user", &["read:image"]);
    let query = "scope=read:image&scope=read:tap";
    let reply = send(
        auth(&standin, &format!("{query}&satisfy=any")).header("Authorization", bearer(&token)),
    )
    .await;
    assert_eq!(reply.status, 200);
    let reply = send(auth(&standin, query).header("Authorization", bearer(&token))).await;
    assert_failure(&reply, 403, Some("403"));
}

#[tokio::test]
async fn allow_options_lets_options_through_without_credentials() {
    let standin = demo().await;
    let options = || {
        client()
            .get(format!(
                "{}/ingress/auth?scope=read:image&allow_options=true",
                standin.url()
            ))
            .header("X-Original-URL", ORIGINAL_URL)
    };
    let reply = send(options().header("X-Original-Method", "OPTIONS")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-auth-request-user"), None);
    let reply = send(options().header("X-Original-Method", "GET")).await;
    assert_failure(&reply, 401, None);
    let reply =
        send(auth(&standin, "scope=read:image").header("X-Original-Method", "OPTIONS")).await;
    assert_eq!(reply.status, 401, "OPTIONS needs allow_options=true");
}

/// An auth subrequest for an `OPTIONS` request (`auth` sends `GET`).
fn options_auth(standin: &Standin, query: &str) -> RequestBuilder {
    client()
        .get(format!("{}/ingress/auth?{query}", standin.url()))
        .header("X-Original-URL", ORIGINAL_URL)
        .header("X-Original-Method", "OPTIONS")
}

#[tokio::test]
async fn options_without_allow_options_is_refused_not_challenged() {
    // Gafaelfawr never authenticates OPTIONS: one that is no CORS
    // preflight is refused as not supported (404), not challenged as a GET
    // would be, so its answer differs from a GET's without credentials.
    let standin = demo().await;
    let reply = send(options_auth(&standin, "scope=read:image")).await;
    assert_failure(&reply, 403, Some("404"));
    assert_eq!(reply.header("www-authenticate"), None);
    assert_eq!(
        detail_type(&reply.header_json("x-error-body")),
        "options_not_supported"
    );
}

#[tokio::test]
async fn a_cors_preflight_passes_only_from_the_deployments_own_origin() {
    let standin = demo().await;
    let preflight = |origin: &str| {
        options_auth(&standin, "scope=read:image")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
    };
    let reply = send(preflight("https://data.example.com")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("x-auth-request-user"), None);
    let reply = send(preflight("https://elsewhere.example.org")).await;
    assert_failure(&reply, 403, Some("403"));
    assert_eq!(
        detail_type(&reply.header_json("x-error-body")),
        "cors_preflight_rejected"
    );
}

// ---------------------------------------------------------------- failures

#[tokio::test]
async fn no_credentials_is_401_with_plain_bearer_challenge() {
    let standin = demo().await;
    let reply = send(auth(&standin, "scope=read:image")).await;
    assert_failure(&reply, 401, None);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"data.example.com\"")
    );
    assert_eq!(
        reply.json(),
        json!({"detail": {"msg": "Authentication required", "type": "no_authorization"}})
    );
}

#[tokio::test]
async fn no_credentials_with_basic_auth_type_is_a_basic_challenge() {
    let standin = demo().await;
    let reply = send(auth(&standin, "scope=read:image&auth_type=basic")).await;
    assert_failure(&reply, 401, None);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Basic realm=\"data.example.com\"")
    );
}

#[tokio::test]
async fn ajax_request_without_credentials_is_403_not_401() {
    let standin = demo().await;
    let reply =
        send(auth(&standin, "scope=read:image").header("X-Requested-With", "XMLHttpRequest")).await;
    assert_failure(&reply, 403, None);
    assert_eq!(reply.json()["detail"]["type"], "no_authorization");
}

#[tokio::test]
async fn malformed_authorization_is_403_with_x_error_status_400_invalid_request() {
    let standin = demo().await;
    for authorization in [
        "Bearer".to_owned(),
        "Bearer    ".to_owned(),
        "Token foo".to_owned(),
        "Negotiate abc".to_owned(),
        "Basic !!!not-base64".to_owned(),
        format!("Basic {}", STANDARD.encode("no-colon")),
    ] {
        let reply =
            send(auth(&standin, "scope=read:image").header("Authorization", &authorization)).await;
        assert_failure(&reply, 403, Some("400"));
        let www = reply.header("www-authenticate").expect("challenge");
        assert!(
            www.starts_with(
                "Bearer realm=\"data.example.com\", error=\"invalid_request\", error_description=\""
            ),
            "{authorization}: {www}"
        );
        let error_body = reply.header_json("x-error-body");
        assert_eq!(detail_type(&error_body), "invalid_request");
        assert!(error_body["detail"][0]["msg"].is_string());
        assert_eq!(detail_type(&reply.json()), "invalid_request");
    }
}

#[tokio::test]
async fn bad_bearer_token_is_401_invalid_token() {
    let standin = demo().await;
    let expired =
        standin.issue_token_expiring("someuser", "user", &["read:image"], Some(Duration::ZERO));
    let unknown = "gt-AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA".to_owned();
    let wrong_secret = format!("gt-{}.AAAAAAAAAAAAAAAAAAAAAA", key_of(&someuser(&standin)));
    for token in ["not-a-token".to_owned(), unknown, wrong_secret, expired] {
        let reply =
            send(auth(&standin, "scope=read:image").header("Authorization", bearer(&token))).await;
        assert_failure(&reply, 401, Some("401"));
        assert_eq!(
            reply.header("www-authenticate"),
            Some(challenge("invalid_token", "Token is not valid").as_str()),
            "{token}"
        );
        assert_eq!(detail_type(&reply.json()), "invalid_token");
        assert_eq!(
            detail_type(&reply.header_json("x-error-body")),
            "invalid_token"
        );
    }
}

#[tokio::test]
async fn bootstrap_token_does_not_pass_the_auth_subrequest() {
    let standin = demo().await;
    let bootstrap = standin.bootstrap_token().to_owned();
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&bootstrap))).await;
    assert_failure(&reply, 401, Some("401"));
}

#[tokio::test]
async fn invalid_cookie_is_401_with_plain_challenge_and_no_authorization() {
    let standin = demo().await;
    for cookie in [
        "gafaelfawr=garbage",
        "gafaelfawr=gt-AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let reply = send(auth(&standin, "scope=read:image").header("Cookie", cookie)).await;
        assert_failure(&reply, 401, None);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer realm=\"data.example.com\""),
            "{cookie}"
        );
        assert_eq!(reply.json()["detail"]["type"], "no_authorization");
    }
}

#[tokio::test]
async fn missing_scope_is_403_insufficient_scope_with_sorted_scopes() {
    let standin = demo().await;
    let token = standin.issue_token("otheruser", "user", &["read:image"]);
    let reply = send(
        auth(
            &standin,
            "scope=read:tap&scope=admin:token&scope=read:image",
        )
        .header("Authorization", bearer(&token)),
    )
    .await;
    assert_failure(&reply, 403, Some("403"));
    assert_eq!(
        reply.header("www-authenticate").map(str::to_owned),
        Some(format!(
            "{}, scope=\"admin:token read:image read:tap\"",
            challenge("insufficient_scope", "Token missing required scope")
        ))
    );
    assert_eq!(detail_type(&reply.json()), "insufficient_scope");
    assert_eq!(
        detail_type(&reply.header_json("x-error-body")),
        "insufficient_scope"
    );
}

/// A 403 `insufficient_scope` challenge without `scope=`.
fn assert_refused_without_scope(reply: &Reply) {
    assert_failure(reply, 403, Some("403"));
    let www = reply.header("www-authenticate").expect("challenge");
    assert!(
        www.starts_with(
            "Bearer realm=\"data.example.com\", error=\"insufficient_scope\", error_description=\""
        ),
        "{www}"
    );
    assert!(!www.contains("scope=\""), "{www}");
    assert_eq!(detail_type(&reply.json()), "insufficient_scope");
}

#[tokio::test]
async fn username_mismatch_is_403_insufficient_scope_without_scope() {
    let standin = demo().await;
    let token = someuser(&standin);
    let reply = send(
        auth(&standin, "scope=read:image&username=otheruser")
            .header("Authorization", bearer(&token)),
    )
    .await;
    assert_refused_without_scope(&reply);
    let reply = send(
        auth(&standin, "scope=read:image&username=someuser")
            .header("Authorization", bearer(&token)),
    )
    .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn only_service_accepts_only_internal_tokens_of_those_services() {
    let standin = demo().await;
    let session = someuser(&standin);
    let query = "scope=read:image&only_service=portal&only_service=nublado";
    let reply = send(auth(&standin, query).header("Authorization", bearer(&session))).await;
    assert_refused_without_scope(&reply);

    let delegation = send(
        auth(
            &standin,
            "scope=read:image&delegate_to=portal&delegate_scope=read:image",
        )
        .header("Authorization", bearer(&session)),
    )
    .await;
    let internal = delegation
        .header("x-auth-request-token")
        .expect("delegated")
        .to_owned();
    let reply = send(auth(&standin, query).header("Authorization", bearer(&internal))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-auth-request-service"), Some("portal"));
    let reply = send(
        auth(&standin, "scope=read:image&only_service=other")
            .header("Authorization", bearer(&internal)),
    )
    .await;
    assert_refused_without_scope(&reply);
}

#[tokio::test]
async fn user_domain_requires_the_host_to_start_with_the_username() {
    let standin = demo().await;
    let token = someuser(&standin);
    let reply = send(
        auth(&standin, "scope=read:image&user_domain=true").header("Authorization", bearer(&token)),
    )
    .await;
    assert_refused_without_scope(&reply);
    let reply = send(
        client()
            .get(format!(
                "{}/ingress/auth?scope=read:image&user_domain=true",
                standin.url()
            ))
            .header("X-Original-URL", "https://someuser.nb.example.com/lab")
            .header("X-Original-Method", "GET")
            .header("Authorization", bearer(&token)),
    )
    .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn zero_quota_is_403_insufficient_scope_without_scope() {
    let standin = demo().await;
    let token = someuser(&standin);
    let reply = send(
        auth(&standin, "scope=read:image&service=muster-none")
            .header("Authorization", bearer(&token)),
    )
    .await;
    assert_refused_without_scope(&reply);
}

#[tokio::test]
async fn quota_counts_then_rate_limits_with_403_x_error_status_429_and_retry_after() {
    let standin = demo().await;
    let token = someuser(&standin);
    let request = || {
        auth(&standin, "scope=read:image&service=muster-quota")
            .header("Authorization", bearer(&token))
    };
    // A minute boundary between the two requests opens a new window; then
    // the pair is simply tried again (at most once more is ever needed).
    for _ in 0..3 {
        let before = now();
        let first = send(request()).await;
        let second = send(request()).await;
        if second.status == 200 {
            assert_ne!(
                first.header("x-ratelimit-reset"),
                second.header("x-ratelimit-reset")
            );
            continue;
        }
        assert_eq!(first.status, 200);
        assert_eq!(first.header("x-ratelimit-limit"), Some("1"));
        assert_eq!(first.header("x-ratelimit-remaining"), Some("0"));
        assert_eq!(first.header("x-ratelimit-used"), Some("1"));
        assert_eq!(first.header("x-ratelimit-resource"), Some("muster-quota"));
        let reset: u64 = first
            .header("x-ratelimit-reset")
            .expect("reset")
            .parse()
            .expect("epoch");
        assert!(
            reset > before && reset <= before + 60,
            "reset {reset}, now {before}"
        );

        assert_failure(&second, 403, Some("429"));
        assert_eq!(second.header("www-authenticate"), None);
        let retry_after = second.header("retry-after").expect("Retry-After");
        let retry_at = httpdate::parse_http_date(retry_after).expect("HTTP date");
        assert_eq!(retry_at, UNIX_EPOCH + Duration::from_secs(reset));
        assert_eq!(second.header("x-ratelimit-limit"), Some("1"));
        assert_eq!(second.header("x-ratelimit-remaining"), Some("0"));
        assert_eq!(second.header("x-ratelimit-used"), Some("1"));
        assert_eq!(second.header("x-ratelimit-resource"), Some("muster-quota"));
        assert_eq!(
            second.header("x-ratelimit-reset"),
            Some(reset.to_string().as_str())
        );
        assert_eq!(
            detail_type(&second.header_json("x-error-body")),
            "rate_limited"
        );
        assert_eq!(detail_type(&second.json()), "rate_limited");
        return;
    }
    panic!("never rate limited");
}

#[tokio::test]
async fn service_without_quota_has_no_rate_limit_headers() {
    let standin = demo().await;
    let token = someuser(&standin);
    for _ in 0..3 {
        let reply = send(
            auth(&standin, "scope=read:image&service=portal")
                .header("Authorization", bearer(&token)),
        )
        .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn short_remaining_lifetime_is_401_invalid_token_without_x_error_status() {
    let standin = demo().await;
    let token = standin.issue_token_expiring(
        "someuser",
        "user",
        &["read:image"],
        Some(Duration::from_secs(600)),
    );
    let reply = send(
        auth(&standin, "scope=read:image&minimum_lifetime=3600")
            .header("Authorization", bearer(&token)),
    )
    .await;
    assert_failure(&reply, 401, None);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(challenge("invalid_token", "Remaining token lifetime too short").as_str())
    );
    let reply = send(
        auth(&standin, "scope=read:image&minimum_lifetime=300")
            .header("Authorization", bearer(&token)),
    )
    .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn user_directory_failure_is_500_user_info_failed() {
    let standin = with_fault(StandinFault::LdapDown).await;
    let token = someuser(&standin);
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&token))).await;
    assert_failure(&reply, 500, None);
    assert_eq!(detail_type(&reply.json()), "user_info_failed");
    let reply = user_info(&standin, &token).await;
    assert_failure(&reply, 500, None);
    assert_eq!(detail_type(&reply.json()), "user_info_failed");
}

#[tokio::test]
async fn bad_query_parameters_are_422() {
    let standin = demo().await;
    let token = someuser(&standin);
    for query in [
        "scope=read:image&satisfy=some",
        "scope=read:image&auth_type=digest",
        "scope=read:image&notebook=maybe",
        "scope=read:image&allow_cookies=nope",
        "scope=read:image&minimum_lifetime=60",
        "scope=read:image&minimum_lifetime=soon",
        "scope=read:image&delegate_to=portal&service=nublado",
        "scope=read:image&notebook=true&delegate_to=portal",
        "scope=read:image&delegate_scope=read:image",
    ] {
        let reply = send(auth(&standin, query).header("Authorization", bearer(&token))).await;
        assert_failure(&reply, 422, None);
        assert_eq!(reply.json()["detail"][0]["loc"][0], "query", "{query}");
    }
}

#[tokio::test]
async fn missing_x_original_headers_are_422() {
    let standin = demo().await;
    let token = someuser(&standin);
    let url = format!("{}/ingress/auth?scope=read:image", standin.url());
    let missing_url = client()
        .get(&url)
        .header("X-Original-Method", "GET")
        .header("Authorization", bearer(&token));
    let missing_method = client()
        .get(&url)
        .header("X-Original-URL", ORIGINAL_URL)
        .header("Authorization", bearer(&token));
    for (request, name) in [
        (missing_url, "X-Original-URL"),
        (missing_method, "X-Original-Method"),
    ] {
        let reply = send(request).await;
        assert_failure(&reply, 422, None);
        assert_eq!(reply.json()["detail"][0]["loc"], json!(["header", name]));
    }
}

#[tokio::test]
async fn x_original_url_without_a_host_is_accepted() {
    // The contract requires the header, not a host in it: no extra 422.
    let standin = demo().await;
    let token = someuser(&standin);
    let url = format!("{}/ingress/auth?scope=read:image", standin.url());
    let request = |original_url: &str| {
        client()
            .get(&url)
            .header("X-Original-URL", original_url)
            .header("X-Original-Method", "GET")
    };
    for original_url in ["/api/thing?x=1", "not a url"] {
        let reply = send(request(original_url).header("Authorization", bearer(&token))).await;
        assert_eq!(reply.status, 200, "{original_url}: {}", reply.body);
        assert_eq!(reply.header("x-auth-request-user"), Some("someuser"));

        // Without a host to name, the challenge's realm is the API's.
        let reply = send(request(original_url)).await;
        assert_failure(&reply, 401, None);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer realm=\"127.0.0.1\""),
            "{original_url}"
        );
    }
    // user_domain has no host to match against: refused, not a 422.
    let reply = send(
        client()
            .get(format!("{url}&user_domain=true"))
            .header("X-Original-URL", "/lab")
            .header("X-Original-Method", "GET")
            .header("Authorization", bearer(&token)),
    )
    .await;
    assert_failure(&reply, 403, Some("403"));
    assert_eq!(
        reply.header("www-authenticate"),
        Some(
            "Bearer realm=\"127.0.0.1\", error=\"insufficient_scope\", \
             error_description=\"Access not allowed for this user\""
        )
    );
}

// ---------------------------------------------------------------- anonymous

#[tokio::test]
async fn anonymous_is_200_and_reflects_only_stripped_authorization_and_cookie() {
    let standin = demo().await;
    let session = someuser(&standin);
    let reply = send(
        client()
            .get(format!("{}/ingress/anonymous", standin.url()))
            .header("Cookie", format!("gafaelfawr={session}; keep=1"))
            .header("Authorization", bearer(&session))
            .header("X-Auth-Request-User", "forged"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers_named("cookie"), vec!["keep=1"]);
    assert_eq!(reply.header("authorization"), None);
    assert_eq!(reply.header("x-auth-request-user"), None);

    let reply = send(
        client()
            .get(format!("{}/ingress/anonymous", standin.url()))
            .header("Authorization", "Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.headers_named("authorization"),
        vec!["Basic dXNlcjpwYXNz"]
    );
    assert_eq!(reply.header("cookie"), None);
}

// ---------------------------------------------------------------- user-info and token-info

#[tokio::test]
async fn user_info_has_the_contract_shape() {
    let standin = demo().await;
    let reply = user_info(&standin, &someuser(&standin)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({
            "username": "someuser",
            "name": "Some User",
            "email": "someuser@example.com",
            "uid": 4123,
            "gid": 4123,
            "groups": [{"name": "g_users", "id": 4124}, {"name": "g_admins", "id": 4125}],
            "quota": {
                "api": {"muster-quota": 1, "muster-none": 0},
                "notebook": {"cpu": 4.0, "memory": 16.0, "spawn": true}
            }
        })
    );
}

#[tokio::test]
async fn user_info_quota_has_fractional_notebook_limits_and_a_tap_quota() {
    // The contract's quota: {"api", "notebook"?: {"cpu", "memory", "spawn"},
    // "tap"?: {...}}; a configured TAP quota is passed through as given.
    let quota: QuotaConfig = yaml_serde::from_str(
        "notebook: {cpu: 0.5, memory: 1.5, spawn: false}\ntap: {qserv: {concurrent: 5}}\n",
    )
    .expect("a quota in users.yaml's format");
    let mut config = StandinConfig::demo();
    let user = config
        .users
        .iter_mut()
        .find(|user| user.username == "otheruser")
        .expect("otheruser");
    user.quota = Some(quota);
    let standin = Standin::start(config).await.expect("start");
    let token = standin.issue_token("otheruser", "user", &[]);
    assert_eq!(
        user_info(&standin, &token).await.json(),
        json!({
            "username": "otheruser",
            "groups": [],
            "quota": {
                "api": {},
                "notebook": {"cpu": 0.5, "memory": 1.5, "spawn": false},
                "tap": {"qserv": {"concurrent": 5}}
            }
        })
    );
}

#[tokio::test]
async fn user_info_omits_null_fields_but_always_has_groups() {
    let standin = demo().await;
    let token = standin.issue_token("otheruser", "user", &[]);
    assert_eq!(
        user_info(&standin, &token).await.json(),
        json!({"username": "otheruser", "groups": []})
    );
}

#[tokio::test]
async fn user_info_accepts_cookie_and_basic_credentials() {
    let standin = demo().await;
    let token = someuser(&standin);
    let url = format!("{}/auth/api/v1/user-info", standin.url());
    let by_cookie = send(
        client()
            .get(&url)
            .header("Cookie", format!("gafaelfawr={token}")),
    )
    .await;
    let by_basic = send(
        client()
            .get(&url)
            .header("Authorization", basic(&token, "x-oauth-basic")),
    )
    .await;
    for reply in [by_cookie, by_basic] {
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["username"], "someuser");
    }
}

#[tokio::test]
async fn api_without_credentials_is_401_no_authorization() {
    let standin = demo().await;
    for path in ["user-info", "token-info"] {
        let reply = send(client().get(format!("{}/auth/api/v1/{path}", standin.url()))).await;
        assert_failure(&reply, 401, None);
        assert_eq!(
            reply.json(),
            json!({"detail": {"msg": "Authentication required", "type": "no_authorization"}})
        );
        assert!(reply
            .header("www-authenticate")
            .is_some_and(|www| www.starts_with("Bearer realm=")));
    }
}

#[tokio::test]
async fn api_rejects_unknown_and_bootstrap_tokens_with_401_invalid_token() {
    let standin = demo().await;
    let bootstrap = standin.bootstrap_token().to_owned();
    let unknown = "gt-AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA";
    for token in [bootstrap.as_str(), unknown] {
        for reply in [
            user_info(&standin, token).await,
            token_info(&standin, token).await,
        ] {
            assert_failure(&reply, 401, None);
            assert_eq!(
                reply.json(),
                json!({"detail": [{"msg": "Token is not valid", "type": "invalid_token"}]})
            );
            assert!(reply
                .header("www-authenticate")
                .is_some_and(|www| www.contains("error=\"invalid_token\"")));
        }
    }
}

#[tokio::test]
async fn token_info_has_the_contract_shape() {
    let standin = demo().await;
    let before = now();
    let token = standin.issue_token(
        "someuser",
        "session",
        &["read:tap", "exec:admin", "read:image"],
    );
    let info = token_info(&standin, &token).await.json();
    let created = info["created"].as_u64().expect("created");
    let expires = info["expires"].as_u64().expect("expires");
    assert!(created >= before && created <= now());
    // The stand-in takes both from one clock reading: exact, never a
    // second apart.
    assert_eq!(expires, created + 30 * 24 * 3600);
    assert_eq!(
        info,
        json!({
            "token": key_of(&token),
            "username": "someuser",
            "token_type": "session",
            "scopes": ["exec:admin", "read:image", "read:tap"],
            "created": created,
            "expires": expires,
        })
    );
}

// ---------------------------------------------------------------- minting

#[tokio::test]
async fn bootstrap_token_mints_a_user_token_201_with_location() {
    let standin = demo().await;
    let bootstrap = bearer(standin.bootstrap_token());
    let expires = now() + 3600;
    let reply = mint(
        &standin,
        &bootstrap,
        json!({
            "username": "bot-muster",
            "token_type": "user",
            "token_name": "muster check",
            "scopes": ["read:image"],
            "expires": expires,
            "name": "Muster",
            "email": "muster@example.com",
            "uid": 90001,
            "gid": 90001,
            "groups": [{"name": "g_bots", "id": 90002}]
        }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let token = reply.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        reply.header("location").map(str::to_owned),
        Some(format!(
            "/auth/api/v1/users/bot-muster/tokens/{}",
            key_of(&token)
        ))
    );
    let info = token_info(&standin, &token).await.json();
    assert_eq!(info["token_type"], "user");
    assert_eq!(info["token_name"], "muster check");
    assert_eq!(info["scopes"], json!(["read:image"]));
    assert_eq!(info["expires"], json!(expires));
    assert_eq!(
        user_info(&standin, &token).await.json(),
        json!({
            "username": "bot-muster",
            "name": "Muster",
            "email": "muster@example.com",
            "uid": 90001,
            "gid": 90001,
            "groups": [{"name": "g_bots", "id": 90002}]
        })
    );
}

#[tokio::test]
async fn service_tokens_need_a_bot_username_and_no_token_name() {
    let standin = demo().await;
    let bootstrap = bearer(standin.bootstrap_token());
    let reply = mint(
        &standin,
        &bootstrap,
        json!({"username": "someuser", "token_type": "service"}),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.json()["detail"][0]["loc"],
        json!(["body", "username"])
    );
    assert_eq!(detail_type(&reply.json()), "permission_denied");

    let reply = mint(
        &standin,
        &bootstrap,
        json!({"username": "bot-x", "token_type": "service", "token_name": "n"}),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json()["detail"][0]["loc"],
        json!(["body", "token_name"])
    );

    let reply = mint(
        &standin,
        &bootstrap,
        json!({"username": "bot-x", "token_type": "service", "scopes": ["read:image"]}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let token = reply.json()["token"].as_str().expect("token").to_owned();
    let info = token_info(&standin, &token).await.json();
    assert_eq!(info["token_type"], "service");
    assert_eq!(info.get("expires"), None);
}

#[tokio::test]
async fn user_tokens_need_a_token_name_unique_per_user() {
    let standin = demo().await;
    let bootstrap = bearer(standin.bootstrap_token());
    let reply = mint(
        &standin,
        &bootstrap,
        json!({"username": "someuser", "token_type": "user"}),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json()["detail"][0]["loc"],
        json!(["body", "token_name"])
    );
    let body = json!({"username": "someuser", "token_type": "user", "token_name": "t"});
    assert_eq!(mint(&standin, &bootstrap, body.clone()).await.status, 201);
    let reply = mint(&standin, &bootstrap, body).await;
    assert_eq!(reply.status, 422);
    assert_eq!(detail_type(&reply.json()), "duplicate_token_name");
}

#[tokio::test]
async fn unknown_scopes_are_422_invalid_scopes() {
    let standin = demo().await;
    let reply = mint(
        &standin,
        &bearer(standin.bootstrap_token()),
        json!({"username": "bot-x", "token_type": "service", "scopes": ["read:image", "write:everything"]}),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["detail"][0]["loc"], json!(["body", "scopes"]));
    assert_eq!(detail_type(&reply.json()), "invalid_scopes");
}

#[tokio::test]
async fn expiry_under_five_minutes_is_422_invalid_expires_and_iso_dates_work() {
    let standin = demo().await;
    let bootstrap = bearer(standin.bootstrap_token());
    for expires in [json!(now() + 60), json!("2001-01-01T00:00:00Z")] {
        let reply = mint(
            &standin,
            &bootstrap,
            json!({"username": "bot-x", "token_type": "service", "expires": expires}),
        )
        .await;
        assert_eq!(reply.status, 422, "{expires}");
        assert_eq!(reply.json()["detail"][0]["loc"], json!(["body", "expires"]));
        assert_eq!(detail_type(&reply.json()), "invalid_expires");
    }
    let reply = mint(
        &standin,
        &bootstrap,
        json!({"username": "bot-x", "token_type": "service", "expires": "2999-01-01T00:00:00+00:00"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let token = reply.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        token_info(&standin, &token).await.json()["expires"],
        json!(32_472_144_000_u64)
    );
}

#[tokio::test]
async fn malformed_mint_requests_are_422_with_body_locations() {
    let standin = demo().await;
    let bootstrap = bearer(standin.bootstrap_token());
    for (body, field) in [
        (json!({"token_type": "service"}), "username"),
        (
            json!({"username": "Bot-X", "token_type": "service"}),
            "username",
        ),
        (
            json!({"username": "bot--x", "token_type": "service"}),
            "username",
        ),
        (json!({"username": "bot-x"}), "token_type"),
        (
            json!({"username": "bot-x", "token_type": "session"}),
            "token_type",
        ),
        (
            json!({"username": "bot-x", "token_type": "service", "scopes": "read:image"}),
            "scopes",
        ),
        (
            json!({"username": "bot-x", "token_type": "service", "uid": "12"}),
            "uid",
        ),
    ] {
        let reply = mint(&standin, &bootstrap, body.clone()).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(
            reply.json()["detail"][0]["loc"],
            json!(["body", field]),
            "{body}"
        );
    }
}

#[tokio::test]
async fn minting_needs_the_bootstrap_token_or_admin_token_scope() {
    let standin = demo().await;
    let body = json!({"username": "bot-x", "token_type": "service"});
    let url = format!("{}/auth/api/v1/tokens", standin.url());
    let reply = send(client().post(&url).json(&body)).await;
    assert_failure(&reply, 401, None);
    assert_eq!(reply.json()["detail"]["type"], "no_authorization");

    let reply = mint(
        &standin,
        "Bearer gt-AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        body.clone(),
    )
    .await;
    assert_failure(&reply, 401, None);
    assert_eq!(detail_type(&reply.json()), "invalid_token");

    let user = someuser(&standin);
    let reply = mint(&standin, &bearer(&user), body.clone()).await;
    assert_failure(&reply, 403, None);
    assert_eq!(detail_type(&reply.json()), "insufficient_scope");

    let admin = standin.issue_token("someuser", "user", &["admin:token"]);
    assert_eq!(mint(&standin, &bearer(&admin), body).await.status, 201);
}

#[tokio::test]
async fn bootstrap_token_is_accepted_only_as_bearer() {
    // The stand-in takes the bootstrap token as Bearer only, the way
    // muster-check sends it; any other way it is an unknown token here.
    // (Gafaelfawr also takes it in Basic: docs/gafaelfawr-contract.md.)
    let standin = demo().await;
    let bootstrap = standin.bootstrap_token().to_owned();
    let body = |name: &str| json!({"username": name, "token_type": "service"});
    for (index, authorization) in [
        basic(&bootstrap, "x-oauth-basic"),
        basic("x-oauth-basic", &bootstrap),
        basic(&bootstrap, ""),
    ]
    .iter()
    .enumerate()
    {
        let reply = mint(&standin, authorization, body(&format!("bot-basic-{index}"))).await;
        assert_failure(&reply, 401, None);
        assert_eq!(
            detail_type(&reply.json()),
            "invalid_token",
            "{authorization}"
        );
    }
    let cookie = send(
        client()
            .post(format!("{}/auth/api/v1/tokens", standin.url()))
            .header("Cookie", format!("gafaelfawr={bootstrap}"))
            .json(&body("bot-cookie")),
    )
    .await;
    assert_failure(&cookie, 401, None);
    for authorization in [bearer(&bootstrap), format!("bearer {bootstrap}")] {
        let reply = mint(&standin, &authorization, body("bot-bearer")).await;
        assert_eq!(reply.status, 201, "{authorization}: {}", reply.body);
    }
}

// ---------------------------------------------------------------- revoking

/// `DELETE /auth/api/v1/users/<username>/tokens/<key>` with `authorization`.
async fn revoke(standin: &Standin, authorization: &str, username: &str, key: &str) -> Reply {
    send(
        client()
            .delete(format!(
                "{}/auth/api/v1/users/{username}/tokens/{key}",
                standin.url()
            ))
            .header("Authorization", authorization),
    )
    .await
}

#[tokio::test]
async fn a_token_with_user_token_revokes_its_users_tokens_and_their_children_204() {
    let standin = demo().await;
    let parent = standin.issue_token("bot-muster", "service", &["read:image"]);
    let revoker = standin.issue_token("bot-muster", "service", &["user:token"]);
    let delegated = send(
        auth(
            &standin,
            "scope=read:image&delegate_to=portal&delegate_scope=read:image",
        )
        .header("Authorization", bearer(&parent)),
    )
    .await;
    assert_eq!(delegated.status, 200, "{}", delegated.body);
    let child = delegated
        .header("x-auth-request-token")
        .expect("delegated token")
        .to_owned();

    let reply = revoke(&standin, &bearer(&revoker), "bot-muster", key_of(&parent)).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    assert_eq!(reply.body, "");
    for gone in [&parent, &child] {
        let info = token_info(&standin, gone).await;
        assert_failure(&info, 401, None);
        assert_eq!(detail_type(&info.json()), "invalid_token");
    }
    assert_eq!(token_info(&standin, &revoker).await.status, 200);
    let revoked: Vec<(String, String)> = standin
        .revocations()
        .into_iter()
        .map(|revocation| (revocation.key, revocation.requested))
        .collect();
    assert_eq!(
        revoked,
        vec![
            (key_of(&parent).to_owned(), key_of(&parent).to_owned()),
            (key_of(&child).to_owned(), key_of(&parent).to_owned()),
        ]
    );
    // Gone is gone: a second revocation finds nothing; a token may revoke
    // itself.
    let again = revoke(&standin, &bearer(&revoker), "bot-muster", key_of(&parent)).await;
    assert_failure(&again, 404, None);
    assert_eq!(detail_type(&again.json()), "not_found");
    let own = revoke(&standin, &bearer(&revoker), "bot-muster", key_of(&revoker)).await;
    assert_eq!(own.status, 204, "{}", own.body);
    assert_eq!(token_info(&standin, &revoker).await.status, 401);
}

#[tokio::test]
async fn revoking_needs_user_token_for_ones_own_or_admin_token_for_anyones() {
    let standin = demo().await;
    let target = standin.issue_token("bot-muster", "service", &[]);
    let key = key_of(&target).to_owned();
    for (who, scopes) in [
        ("bot-muster", &["read:image"][..]),
        ("someuser", &["user:token"][..]),
    ] {
        let caller = standin.issue_token(who, "user", scopes);
        let reply = revoke(&standin, &bearer(&caller), "bot-muster", &key).await;
        assert_failure(&reply, 403, None);
        assert_eq!(detail_type(&reply.json()), "permission_denied", "{who}");
    }
    // Gafaelfawr takes no bootstrap token on this route.
    let bootstrap = bearer(standin.bootstrap_token());
    let reply = revoke(&standin, &bootstrap, "bot-muster", &key).await;
    assert_failure(&reply, 401, None);
    assert_eq!(detail_type(&reply.json()), "invalid_token");
    let none = send(client().delete(format!(
        "{}/auth/api/v1/users/bot-muster/tokens/{key}",
        standin.url()
    )))
    .await;
    assert_failure(&none, 401, None);
    assert!(standin.revocations().is_empty());

    let admin = standin.issue_token("someuser", "user", &["admin:token"]);
    let reply = revoke(&standin, &bearer(&admin), "bot-muster", &key).await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let revocations = standin.revocations();
    assert_eq!(revocations.len(), 1);
    assert_eq!(revocations[0].actor, "someuser");
    assert_eq!(revocations[0].username, "bot-muster");
}

#[tokio::test]
async fn revoking_an_unknown_key_or_another_users_token_is_404_and_a_bad_key_422() {
    let standin = demo().await;
    let admin = standin.issue_token("someuser", "user", &["admin:token"]);
    let other = standin.issue_token("otheruser", "user", &["read:image"]);
    for (username, key) in [
        ("bot-muster", "AAAAAAAAAAAAAAAAAAAAAA"),
        ("bot-muster", key_of(&other)),
    ] {
        let reply = revoke(&standin, &bearer(&admin), username, key).await;
        assert_failure(&reply, 404, None);
        let body = reply.json();
        assert_eq!(detail_type(&body), "not_found");
        assert_eq!(body["detail"][0]["loc"], json!(["path", "key"]));
    }
    let reply = revoke(&standin, &bearer(&admin), "otheruser", "short").await;
    assert_failure(&reply, 422, None);
    assert_eq!(token_info(&standin, &other).await.status, 200);
    assert!(standin.revocations().is_empty());
}

// ---------------------------------------------------------------- delegation

#[tokio::test]
async fn delegate_to_mints_an_internal_token_with_the_intersected_scopes() {
    let standin = demo().await;
    let parent = standin.issue_token("someuser", "session", &["read:image", "exec:portal"]);
    let reply = send(
        auth(
            &standin,
            "scope=exec:portal&delegate_to=portal&delegate_scope=read:image&delegate_scope=read:tap&service=portal",
        )
        .header("Authorization", bearer(&parent)),
    )
    .await;
    assert_eq!(reply.status, 200);
    let delegated = reply
        .header("x-auth-request-token")
        .expect("delegated token")
        .to_owned();
    assert_ne!(delegated, parent);
    assert_eq!(
        reply.header("authorization"),
        None,
        "parent token never reflected"
    );
    let info = token_info(&standin, &delegated).await.json();
    assert_eq!(info["token_type"], "internal");
    assert_eq!(info["service"], "portal");
    assert_eq!(info["scopes"], json!(["read:image"]));
    assert_eq!(info["parent"], key_of(&parent));
    let parent_expires = token_info(&standin, &parent).await.json()["expires"].clone();
    assert_eq!(info["expires"], parent_expires);
    assert_eq!(
        user_info(&standin, &delegated).await.json()["username"],
        "someuser"
    );

    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&delegated))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-auth-request-service"), Some("portal"));
}

#[tokio::test]
async fn delegation_with_no_held_scopes_gives_an_empty_scope_list() {
    let standin = demo().await;
    let parent = standin.issue_token("otheruser", "session", &["read:image"]);
    let reply = send(
        auth(
            &standin,
            "scope=read:image&delegate_to=tap&delegate_scope=read:tap",
        )
        .header("Authorization", bearer(&parent)),
    )
    .await;
    let delegated = reply
        .header("x-auth-request-token")
        .expect("token")
        .to_owned();
    assert_eq!(
        token_info(&standin, &delegated).await.json()["scopes"],
        json!([])
    );
}

#[tokio::test]
async fn identical_delegations_reuse_the_token_and_different_ones_do_not() {
    let standin = demo().await;
    let parent = someuser(&standin);
    let delegated = |query: &'static str| {
        let request = auth(&standin, query).header("Authorization", bearer(&parent));
        async move {
            send(request)
                .await
                .header("x-auth-request-token")
                .expect("token")
                .to_owned()
        }
    };
    let first = delegated("scope=read:image&delegate_to=portal&delegate_scope=read:image").await;
    let again = delegated("scope=read:image&delegate_to=portal&delegate_scope=read:image").await;
    let other_scopes =
        delegated("scope=read:image&delegate_to=portal&delegate_scope=read:tap").await;
    let other_service =
        delegated("scope=read:image&delegate_to=tap&delegate_scope=read:image").await;
    assert_eq!(first, again);
    assert_ne!(first, other_scopes);
    assert_ne!(first, other_service);
    let other_parent = someuser(&standin);
    let reply = send(
        auth(
            &standin,
            "scope=read:image&delegate_to=portal&delegate_scope=read:image",
        )
        .header("Authorization", bearer(&other_parent)),
    )
    .await;
    assert_ne!(reply.header("x-auth-request-token"), Some(first.as_str()));
}

#[tokio::test]
async fn use_authorization_sends_exactly_bearer_delegated_token() {
    let standin = demo().await;
    let parent = someuser(&standin);
    let reply = send(
        auth(
            &standin,
            "scope=read:image&delegate_to=portal&use_authorization=true",
        )
        .header("Cookie", format!("gafaelfawr={parent}"))
        .header("Authorization", "Bearer upstream"),
    )
    .await;
    assert_eq!(reply.status, 200);
    let delegated = reply.header("x-auth-request-token").expect("token");
    assert_eq!(
        reply.headers_named("authorization"),
        vec![format!("Bearer {delegated}")]
    );
}

#[tokio::test]
async fn notebook_delegation_mints_a_notebook_token_with_the_callers_scopes() {
    let standin = demo().await;
    let parent = standin.issue_token("someuser", "session", &["exec:notebook", "read:tap"]);
    let reply = send(
        auth(&standin, "scope=exec:notebook&notebook=true")
            .header("Authorization", bearer(&parent)),
    )
    .await;
    assert_eq!(reply.status, 200);
    let notebook = reply
        .header("x-auth-request-token")
        .expect("token")
        .to_owned();
    let info = token_info(&standin, &notebook).await.json();
    assert_eq!(info["token_type"], "notebook");
    assert_eq!(info.get("service"), None);
    assert_eq!(info["scopes"], json!(["exec:notebook", "read:tap"]));
    assert_eq!(info["parent"], key_of(&parent));
}

#[tokio::test]
async fn delegation_needs_five_minutes_of_parent_lifetime_by_default() {
    let standin = demo().await;
    let parent = standin.issue_token_expiring(
        "someuser",
        "session",
        &["read:image"],
        Some(Duration::from_secs(120)),
    );
    let reply = send(
        auth(&standin, "scope=read:image&delegate_to=portal")
            .header("Authorization", bearer(&parent)),
    )
    .await;
    assert_failure(&reply, 401, None);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(challenge("invalid_token", "Remaining token lifetime too short").as_str())
    );
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&parent))).await;
    assert_eq!(reply.status, 200, "no delegation, no lifetime requirement");
}

// ---------------------------------------------------------------- login

fn set_cookie(reply: &Reply) -> &str {
    reply.header("set-cookie").expect("Set-Cookie")
}

#[tokio::test]
async fn login_sets_a_secure_http_only_session_cookie_and_redirects() {
    let standin = demo().await;
    let reply = send(client().get(format!("{}/login?rd=/muster/", standin.url()))).await;
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some("/muster/"));
    let cookie = set_cookie(&reply);
    let attributes: Vec<&str> = cookie.split("; ").collect();
    assert!(attributes.contains(&"HttpOnly"), "{cookie}");
    assert!(attributes.contains(&"Secure"), "always Secure: {cookie}");
    assert!(attributes.contains(&"Path=/"), "{cookie}");
    let session = attributes[0]
        .strip_prefix("gafaelfawr=")
        .expect("gafaelfawr cookie");

    let reply =
        send(auth(&standin, "scope=read:image").header("Cookie", format!("gafaelfawr={session}")))
            .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-auth-request-user"), Some("someuser"));
    let info = token_info(&standin, session).await.json();
    assert_eq!(info["token_type"], "session");
    assert_eq!(info["scopes"], json!(SOMEUSER_SCOPES));
}

#[tokio::test]
async fn login_redirects_only_to_relative_urls_or_the_public_origin() {
    let mut config = StandinConfig::demo();
    config.public_origin = Some("https://data.example.com".to_owned());
    let standin = Standin::start(config).await.expect("start");
    let login = |rd: &str| {
        client()
            .get(format!("{}/login", standin.url()))
            .query(&[("rd", rd)])
    };
    for rd in ["https://data.example.com/muster/?x=1", "/muster/"] {
        let reply = send(login(rd)).await;
        assert_eq!(reply.status, 302, "{rd}");
        assert_eq!(reply.header("location"), Some(rd));
    }
    for rd in [
        "https://evil.example.com/",
        "//evil.example.com/",
        "http://data.example.com/",
        "javascript:alert(1)",
    ] {
        let reply = send(login(rd)).await;
        assert_failure(&reply, 422, None);
        assert_eq!(reply.header("set-cookie"), None, "{rd}");
    }
    let reply = send(client().get(format!("{}/login", standin.url()))).await;
    assert_eq!(reply.status, 422, "rd is required");
}

#[tokio::test]
async fn login_without_public_origin_accepts_the_requested_host() {
    let standin = demo().await;
    let rd = format!("{}/muster/", standin.url());
    let reply = send(
        client()
            .get(format!("{}/login", standin.url()))
            .query(&[("rd", &rd)]),
    )
    .await;
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some(rd.as_str()));
    let behind_nginx = send(
        client()
            .get(format!("{}/login", standin.url()))
            .query(&[("rd", "http://127.0.0.1:8080/muster/")])
            .header("X-Forwarded-Host", "127.0.0.1:8080"),
    )
    .await;
    assert_eq!(behind_nginx.status, 302, "X-Forwarded-Host names the host");
    standin.set_public_origin(Some("https://data.example.com".to_owned()));
    let reply = send(
        client()
            .get(format!("{}/login", standin.url()))
            .query(&[("rd", &rd)]),
    )
    .await;
    assert_eq!(reply.status, 422);
}

#[tokio::test]
async fn logout_clears_the_cookie_and_redirects() {
    let standin = demo().await;
    let reply = send(client().get(format!("{}/logout", standin.url()))).await;
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some("/"));
    let cookie = set_cookie(&reply);
    assert!(cookie.starts_with("gafaelfawr=; "), "{cookie}");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    // Only a Secure cookie may replace the Secure session cookie.
    assert!(cookie.split("; ").any(|part| part == "Secure"), "{cookie}");
    let reply = send(client().get(format!("{}/logout?rd=/muster/", standin.url()))).await;
    assert_eq!(reply.header("location"), Some("/muster/"));
    let reply = send(client().get(format!(
        "{}/logout?rd=https://evil.example.com/",
        standin.url()
    )))
    .await;
    assert_eq!(reply.status, 422);
}

// ---------------------------------------------------------------- faults

#[test]
fn fault_names_are_kebab_case_and_round_trip() {
    let names: Vec<String> = StandinFault::all()
        .iter()
        .map(ToString::to_string)
        .collect();
    for expected in [
        "slow",
        "user-info-500",
        "garbage-json",
        "wrong-username",
        "wrong-email",
        "no-uid-gid",
        "no-quota",
        "delegated-scopes",
        "delegated-other-service",
        "ldap-down",
    ] {
        assert!(names.iter().any(|name| name == expected), "{expected}");
    }
    for fault in StandinFault::all() {
        assert_eq!(fault.to_string().parse::<StandinFault>(), Ok(*fault));
    }
    let error = "down"
        .parse::<StandinFault>()
        .expect_err("not a fault")
        .to_string();
    assert!(
        error.contains("slow") && error.contains("ldap-down"),
        "{error}"
    );
}

#[tokio::test]
async fn slow_fault_delays_user_info_and_token_info() {
    let mut config = StandinConfig::demo();
    config.fault = Some(StandinFault::Slow);
    config.slow_delay = Duration::from_millis(400);
    let standin = Standin::start(config).await.expect("start");
    let token = someuser(&standin);
    for path in ["user-info", "token-info"] {
        let started = Instant::now();
        let reply = send(
            client()
                .get(format!("{}/auth/api/v1/{path}", standin.url()))
                .header("Authorization", bearer(&token)),
        )
        .await;
        assert_eq!(reply.status, 200);
        // A lower bound only: the answer waits out the delay, however
        // fast or slow the machine.
        assert!(started.elapsed() >= Duration::from_millis(400), "{path}");
    }
}

#[tokio::test]
async fn slow_fault_leaves_the_auth_subrequest_alone() {
    // With a delay far beyond any test, user-info and token-info requests
    // made first are still pending when the auth subrequest has answered:
    // the fault does not touch it (it does not hang: the client gives up
    // after HTTP_TIMEOUT). No wall-clock threshold is involved.
    let mut config = StandinConfig::demo();
    config.fault = Some(StandinFault::Slow);
    config.slow_delay = Duration::from_secs(24 * 3600);
    let standin = Standin::start(config).await.expect("start");
    let token = someuser(&standin);
    let pending: Vec<_> = ["user-info", "token-info"]
        .into_iter()
        .map(|path| {
            let request = client()
                .get(format!("{}/auth/api/v1/{path}", standin.url()))
                .header("Authorization", bearer(&token));
            (path, tokio::spawn(request.send()))
        })
        .collect();
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&token))).await;
    assert_eq!(reply.status, 200);
    for (path, task) in pending {
        assert!(!task.is_finished(), "{path} answered despite the delay");
        task.abort();
    }
}

#[tokio::test]
async fn slow_fault_outlasts_a_client_timeout_by_default() {
    let standin = with_fault(StandinFault::Slow).await;
    assert!(StandinConfig::demo().slow_delay >= Duration::from_secs(10));
    let token = someuser(&standin);
    let error = client()
        .get(format!("{}/auth/api/v1/user-info", standin.url()))
        .header("Authorization", bearer(&token))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .expect_err("times out");
    assert!(error.is_timeout(), "{error}");
    standin.stop().await;
}

#[tokio::test]
async fn user_info_500_fault_answers_500_user_info_failed() {
    let standin = with_fault(StandinFault::UserInfo500).await;
    let token = someuser(&standin);
    let reply = user_info(&standin, &token).await;
    assert_failure(&reply, 500, None);
    assert_eq!(detail_type(&reply.json()), "user_info_failed");
    assert_eq!(token_info(&standin, &token).await.status, 200);
}

#[tokio::test]
async fn garbage_json_fault_answers_200_with_invalid_json() {
    let standin = with_fault(StandinFault::GarbageJson).await;
    let reply = user_info(&standin, &someuser(&standin)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(serde_json::from_str::<Value>(&reply.body).is_err());
}

#[tokio::test]
async fn wrong_username_and_wrong_email_faults_change_user_info_only() {
    let standin = with_fault(StandinFault::WrongUsername).await;
    let token = someuser(&standin);
    assert_ne!(
        user_info(&standin, &token).await.json()["username"],
        "someuser"
    );
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&token))).await;
    assert_eq!(reply.header("x-auth-request-user"), Some("someuser"));

    standin.set_fault(Some(StandinFault::WrongEmail));
    let info = user_info(&standin, &token).await.json();
    assert_eq!(info["username"], "someuser");
    assert!(info["email"].is_string());
    assert_ne!(info["email"], "someuser@example.com");
    let reply =
        send(auth(&standin, "scope=read:image").header("Authorization", bearer(&token))).await;
    assert_eq!(
        reply.header("x-auth-request-email"),
        Some("someuser@example.com")
    );
}

#[tokio::test]
async fn no_uid_gid_fault_omits_uid_and_gid() {
    let standin = with_fault(StandinFault::NoUidGid).await;
    let info = user_info(&standin, &someuser(&standin)).await.json();
    assert_eq!(info.get("uid"), None);
    assert_eq!(info.get("gid"), None);
    assert_eq!(info["username"], "someuser");
}

#[tokio::test]
async fn no_quota_fault_removes_api_quotas_and_rate_limit_headers() {
    let standin = with_fault(StandinFault::NoQuota).await;
    let token = someuser(&standin);
    assert_eq!(
        user_info(&standin, &token).await.json()["quota"]["api"],
        json!({})
    );
    for _ in 0..3 {
        let reply = send(
            auth(&standin, "scope=read:image&service=muster-quota")
                .header("Authorization", bearer(&token)),
        )
        .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn delegated_scopes_fault_gives_delegated_tokens_extra_scopes() {
    let standin = with_fault(StandinFault::DelegatedScopes).await;
    let reply = send(
        auth(
            &standin,
            "scope=read:image&delegate_to=portal&delegate_scope=read:image",
        )
        .header("Authorization", bearer(&someuser(&standin))),
    )
    .await;
    let delegated = reply
        .header("x-auth-request-token")
        .expect("token")
        .to_owned();
    let scopes = token_info(&standin, &delegated).await.json()["scopes"].clone();
    assert_ne!(scopes, json!(["read:image"]));
    assert!(scopes.as_array().is_some_and(|scopes| scopes.len() > 1));
}

#[tokio::test]
async fn delegated_other_service_fault_names_another_service() {
    let standin = with_fault(StandinFault::DelegatedOtherService).await;
    let reply = send(
        auth(&standin, "scope=read:image&delegate_to=portal")
            .header("Authorization", bearer(&someuser(&standin))),
    )
    .await;
    let delegated = reply
        .header("x-auth-request-token")
        .expect("token")
        .to_owned();
    let info = token_info(&standin, &delegated).await.json();
    assert_eq!(info["token_type"], "internal");
    assert!(info["service"].is_string());
    assert_ne!(info["service"], "portal");
}

#[tokio::test]
async fn faults_can_be_changed_while_running() {
    let standin = demo().await;
    let token = someuser(&standin);
    assert_eq!(standin.fault(), None);
    standin.set_fault(Some(StandinFault::UserInfo500));
    assert_eq!(user_info(&standin, &token).await.status, 500);
    standin.set_fault(None);
    assert_eq!(user_info(&standin, &token).await.status, 200);
}

#[tokio::test]
async fn stopped_stand_in_refuses_connections() {
    let standin = demo().await;
    let url = format!("{}/ingress/anonymous", standin.url());
    assert_eq!(send(client().get(&url)).await.status, 200);
    standin.stop().await;
    let error = client().get(&url).send().await.expect_err("refused");
    assert!(error.is_connect(), "{error}");
}

// ---------------------------------------------------------------- configuration

#[test]
fn demo_config_has_someuser_with_a_muster_quota() {
    let config = StandinConfig::demo();
    assert_eq!(config.login_user, "someuser");
    let user = config.user("someuser").expect("someuser");
    for scope in ["read:image", "exec:admin"] {
        assert!(user.scopes.iter().any(|held| held == scope), "{scope}");
    }
    let quota = user.quota.as_ref().expect("quota");
    assert_eq!(
        quota.api,
        BTreeMap::from([
            ("muster-quota".to_owned(), 1),
            ("muster-none".to_owned(), 0)
        ])
    );
    assert_eq!(config.fault, None);
}

#[test]
fn the_secure_cookie_attribute_is_not_configurable() {
    // The contract's cookie is always Secure: no option may turn it off.
    let text = yaml_serde::to_string(&StandinConfig::demo()).expect("yaml");
    assert!(!text.contains("secure_cookie"), "{text}");
    let error = StandinConfig::from_yaml_str(&format!("{text}secure_cookie: false\n"))
        .expect_err("unknown field");
    assert!(error.contains("secure_cookie"), "{error}");
}

#[test]
fn config_file_round_trips_and_invalid_configs_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("users.yaml");
    let mut config = StandinConfig::demo();
    config.fault = Some(StandinFault::NoQuota);
    std::fs::write(&path, yaml_serde::to_string(&config).expect("yaml")).expect("write");
    assert_eq!(StandinConfig::from_yaml_file(&path), Ok(config.clone()));

    let text = yaml_serde::to_string(&config).expect("yaml");
    for (from, to) in [
        ("login_user: someuser", "login_user: nobody"),
        ("bootstrap_token: gt-", "bootstrap_token: xx-"),
        ("fault: no-quota", "fault: down"),
        ("- read:image", "- read:everything"),
    ] {
        assert!(text.contains(from), "{from}");
        let broken = text.replacen(from, to, 1);
        std::fs::write(&path, broken).expect("write");
        let error = StandinConfig::from_yaml_file(&path).expect_err(to);
        assert!(error.contains("users.yaml"), "{error}");
    }
    assert!(StandinConfig::from_yaml_file(&dir.path().join("missing.yaml")).is_err());
}
