//! Real nginx, configured from the chart's GafaelfawrIngresses, in front of
//! an echo backend (answers with the request headers it saw) and a fake
//! Gafaelfawr auth endpoint that answers what the test asks for through the
//! `X-Test-Auth` request header. These tests prove the nginx mechanics
//! Muster's checks rely on; Gafaelfawr's own behaviour is the stand-in's job.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use muster_stack::ingress::{
    local_stack_values, parse_manifest, render_chart, GafaelfawrIngress, IngressFault, Nginx,
    NginxSite,
};
use muster_stack::process::free_port;
use serde_json::{json, Value};

/// Bound on any one request, so that a stalled nginx fails the test.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
const DELEGATED_TOKEN: &str = "gt-delegatedAAAAAAAAAAAAAAA.secretBBBBBBBBBBBBBBBBBBBB";
const USER_TOKEN: &str = "gt-userCCCCCCCCCCCCCCCCCCC.secretDDDDDDDDDDDDDDDDDDDD";

/// The chart's ingresses, rendered once per test binary.
fn chart_ingresses() -> Vec<GafaelfawrIngress> {
    static INGRESSES: OnceLock<Result<Vec<GafaelfawrIngress>, String>> = OnceLock::new();
    INGRESSES
        .get_or_init(|| {
            let values = local_stack_values("localhost", "http://127.0.0.1:1/auth/api/v1");
            parse_manifest(&render_chart(&values)?)
        })
        .clone()
        .unwrap_or_else(|error| panic!("cannot render the chart's ingresses: {error}"))
}

/// One auth subrequest as the fake Gafaelfawr saw it.
#[derive(Clone, Debug)]
struct AuthCall {
    path_and_query: String,
    headers: BTreeMap<String, String>,
}

type AuthLog = Arc<Mutex<Vec<AuthCall>>>;

struct Stack {
    nginx: Nginx,
    client: reqwest::Client,
    auth_calls: AuthLog,
    _dir: tempfile::TempDir,
}

impl Stack {
    async fn start(fault: Option<IngressFault>) -> Stack {
        let backend = serve(Router::new().fallback(echo)).await;
        let auth_calls = AuthLog::default();
        let gafaelfawr = serve(
            Router::new()
                .route("/ingress/auth", get(fake_auth))
                .route("/ingress/anonymous", get(fake_anonymous))
                .fallback(fake_public_route)
                .with_state(auth_calls.clone()),
        )
        .await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let site = NginxSite::new(free_port().expect("free port"), backend, gafaelfawr);
        let work_dir = dir.path().to_owned();
        let ingresses = chart_ingresses();
        let nginx =
            tokio::task::spawn_blocking(move || Nginx::start(&ingresses, &site, fault, &work_dir))
                .await
                .expect("nginx start task")
                .unwrap_or_else(|error| panic!("nginx did not start: {error}"));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("HTTP client");
        Stack {
            nginx,
            client,
            auth_calls,
            _dir: dir,
        }
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.nginx.url()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}\n{}", self.nginx.error_log()))
    }

    /// GETs `path` expecting the backend to answer; returns the headers it saw.
    async fn backend_headers(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> BTreeMap<String, String> {
        let response = self.get(path, headers).await;
        let status = response.status();
        let body = response.text().await.expect("body");
        assert_eq!(status, 200, "GET {path} did not reach the backend: {body}");
        let echoed: Value = serde_json::from_str(&body).expect("echo JSON");
        serde_json::from_value(echoed["headers"].clone()).expect("echoed headers")
    }

    fn auth_calls(&self) -> Vec<AuthCall> {
        self.auth_calls.lock().expect("auth log").clone()
    }

    fn last_auth_call(&self) -> AuthCall {
        self.auth_calls()
            .pop()
            .expect("an auth subrequest was made")
    }
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_owned())
            .and_modify(|all| {
                all.push_str(", ");
                all.push_str(&value);
            })
            .or_insert(value);
    }
    map
}

async fn echo(uri: Uri, headers: HeaderMap) -> Json<Value> {
    Json(json!({ "uri": uri.to_string(), "headers": header_map(&headers) }))
}

/// `Cookie` without the `gafaelfawr` cookie, as Gafaelfawr reflects it.
fn stripped_cookie(headers: &HeaderMap) -> Option<String> {
    let cookie = headers.get("cookie")?.to_str().ok()?;
    let kept: Vec<&str> = cookie
        .split("; ")
        .filter(|c| c.split('=').next() != Some("gafaelfawr"))
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// `Authorization` unless it carries a Gafaelfawr token.
fn stripped_authorization(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    (!value.contains("gt-")).then(|| value.to_owned())
}

fn record(log: &AuthLog, uri: &Uri, headers: &HeaderMap) {
    log.lock().expect("auth log").push(AuthCall {
        path_and_query: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: header_map(headers),
    });
}

fn with_headers(status: StatusCode, headers: &[(&str, String)], body: &str) -> Response {
    let mut response = (status, body.to_owned()).into_response();
    for (name, value) in headers {
        let value = HeaderValue::from_str(value).expect("header value");
        response.headers_mut().append(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            value,
        );
    }
    response
}

fn rate_limit_headers(remaining: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-RateLimit-Limit", "1".into()),
        ("X-RateLimit-Remaining", remaining.into()),
        ("X-RateLimit-Reset", "1900000000".into()),
        ("X-RateLimit-Resource", "muster-quota".into()),
        ("X-RateLimit-Used", "1".into()),
    ]
}

async fn fake_auth(State(log): State<AuthLog>, uri: Uri, headers: HeaderMap) -> Response {
    record(&log, &uri, &headers);
    let query = uri.query().unwrap_or_default().to_owned();
    let challenge = "Bearer realm=\"localhost\"".to_owned();
    let no_cache = ("Cache-Control", "no-cache, no-store".to_owned());
    let mode = headers
        .get("x-test-auth")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("ok");
    match mode {
        "none" => with_headers(
            StatusCode::UNAUTHORIZED,
            &[("WWW-Authenticate", challenge), no_cache],
            r#"{"detail":{"msg":"Authentication required","type":"no_authorization"}}"#,
        ),
        "400" => with_headers(
            StatusCode::FORBIDDEN,
            &[
                ("X-Error-Status", "400".into()),
                ("X-Error-Body", r#"{"detail":[{"msg":"Unknown Authorization type Token","type":"invalid_request"}]}"#.into()),
                ("WWW-Authenticate", format!("{challenge}, error=\"invalid_request\", error_description=\"Unknown Authorization type Token\"")),
                no_cache,
            ],
            "",
        ),
        "403" => with_headers(
            StatusCode::FORBIDDEN,
            &[
                ("X-Error-Status", "403".into()),
                ("WWW-Authenticate", format!("{challenge}, error=\"insufficient_scope\", error_description=\"Token missing required scope\", scope=\"read:image\"")),
                no_cache,
            ],
            "",
        ),
        "429" => {
            let mut headers = vec![
                ("X-Error-Status", "429".to_owned()),
                ("X-Error-Body", r#"{"detail":[{"msg":"Rate limit (1/minute) exceeded","type":"rate_limited"}]}"#.to_owned()),
                ("Retry-After", "Thu, 01 Jan 2032 00:00:00 GMT".to_owned()),
                no_cache,
            ];
            headers.extend(rate_limit_headers("0"));
            with_headers(StatusCode::FORBIDDEN, &headers, "")
        }
        _ => {
            let mut out = vec![
                ("X-Auth-Request-User", "alice".to_owned()),
                ("X-Auth-Request-Email", "alice@example.com".to_owned()),
            ];
            let delegating = query.contains("delegate_to=") || query.contains("notebook=true");
            if delegating {
                out.push(("X-Auth-Request-Token", DELEGATED_TOKEN.to_owned()));
            }
            if delegating && query.contains("use_authorization=true") {
                out.push(("Authorization", format!("Bearer {DELEGATED_TOKEN}")));
            } else if let Some(authorization) = stripped_authorization(&headers) {
                out.push(("Authorization", authorization));
            }
            if let Some(cookie) = stripped_cookie(&headers) {
                out.push(("Cookie", cookie));
            }
            if query.contains("service=muster-quota") {
                out.extend(rate_limit_headers("0"));
            }
            with_headers(StatusCode::OK, &out, r#"{"status":"ok"}"#)
        }
    }
}

async fn fake_anonymous(State(log): State<AuthLog>, uri: Uri, headers: HeaderMap) -> Response {
    record(&log, &uri, &headers);
    let mut out = Vec::new();
    if let Some(authorization) = stripped_authorization(&headers) {
        out.push(("Authorization", authorization));
    }
    if let Some(cookie) = stripped_cookie(&headers) {
        out.push(("Cookie", cookie));
    }
    with_headers(StatusCode::OK, &out, r#"{"status":"ok"}"#)
}

async fn fake_public_route(uri: Uri) -> Json<Value> {
    Json(json!({ "gafaelfawr": uri.to_string() }))
}

fn credentials() -> [(&'static str, String); 3] {
    [
        ("Authorization", format!("Bearer {USER_TOKEN}")),
        ("Cookie", "gafaelfawr=session-secret; theme=dark".to_owned()),
        ("X-Auth-Request-User", "mallory".to_owned()),
    ]
}

fn as_refs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_route_strips_credentials_and_forged_identity() {
    let stack = Stack::start(None).await;
    let mut sent = credentials().to_vec();
    sent.push(("X-Auth-Request-Token", "forged".into()));
    sent.push(("X-Auth-Request-Email", "forged@example.com".into()));
    sent.push(("X-Auth-Request-Service", "forged".into()));
    let seen = stack
        .backend_headers("/muster/anonymous", &as_refs(&sent))
        .await;
    assert_eq!(seen.get("authorization"), None, "{seen:?}");
    assert_eq!(seen.get("cookie").map(String::as_str), Some("theme=dark"));
    for header in [
        "x-auth-request-user",
        "x-auth-request-token",
        "x-auth-request-email",
        "x-auth-request-service",
    ] {
        assert_eq!(
            seen.get(header),
            None,
            "{header} reached the backend: {seen:?}"
        );
    }
    let call = stack.last_auth_call();
    assert_eq!(call.path_and_query, "/ingress/anonymous");
    assert_eq!(
        call.headers.get("x-original-url"),
        Some(&format!("{}/muster/anonymous", stack.nginx.url()))
    );
    assert_eq!(
        call.headers.get("x-original-method").map(String::as_str),
        Some("GET")
    );
    assert_eq!(
        call.headers.get("cookie").map(String::as_str),
        Some("gafaelfawr=session-secret; theme=dark"),
        "the auth subrequest must carry the client's cookie"
    );
    assert!(call.headers.contains_key("authorization"));
    assert_eq!(
        call.headers.get("content-length"),
        None,
        "no body to Gafaelfawr"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticated_route_replaces_forged_identity_with_gafaelfawrs() {
    let stack = Stack::start(None).await;
    let sent = credentials();
    let mut headers = as_refs(&sent);
    headers.push(("X-Requested-With", "XMLHttpRequest"));
    let seen = stack.backend_headers("/muster/auth/fail", &headers).await;
    assert_eq!(
        seen.get("x-auth-request-user").map(String::as_str),
        Some("alice")
    );
    assert_eq!(
        seen.get("x-auth-request-email").map(String::as_str),
        Some("alice@example.com")
    );
    assert_eq!(seen.get("authorization"), None, "{seen:?}");
    assert_eq!(seen.get("x-auth-request-token"), None);
    assert_eq!(seen.get("cookie").map(String::as_str), Some("theme=dark"));
    let call = stack.last_auth_call();
    assert_eq!(
        call.path_and_query,
        "/ingress/auth?scope=read:image&service=muster"
    );
    assert_eq!(
        call.headers.get("x-requested-with").map(String::as_str),
        Some("XMLHttpRequest")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegated_routes_receive_the_delegated_token() {
    let stack = Stack::start(None).await;
    let sent = credentials();
    let header = stack
        .backend_headers("/muster/delegated/header", &as_refs(&sent))
        .await;
    assert_eq!(
        header.get("x-auth-request-token").map(String::as_str),
        Some(DELEGATED_TOKEN)
    );
    assert_eq!(header.get("authorization"), None, "{header:?}");
    assert_eq!(
        stack.last_auth_call().path_and_query,
        "/ingress/auth?delegate_to=muster&scope=read:image&service=muster"
    );

    let authorization = stack
        .backend_headers("/muster/delegated/authorization", &as_refs(&sent))
        .await;
    assert_eq!(
        authorization.get("authorization"),
        Some(&format!("Bearer {DELEGATED_TOKEN}"))
    );
    assert_eq!(
        stack.last_auth_call().path_and_query,
        "/ingress/auth?delegate_to=muster&use_authorization=true&scope=read:image&service=muster"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gafaelfawr_400_becomes_400_with_error_body_and_challenge() {
    let stack = Stack::start(None).await;
    let response = stack
        .get(
            "/muster/auth/fail",
            &[("X-Test-Auth", "400"), ("Authorization", "Token bogus")],
        )
        .await;
    assert_eq!(response.status(), 400);
    let headers = response.headers().clone();
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("error=\"invalid_request\""));
    assert_eq!(headers["cache-control"], "no-cache, must-revalidate");
    assert_eq!(headers["content-type"], "application/json");
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["detail"][0]["type"], "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gafaelfawr_429_becomes_429_with_retry_after_and_rate_limit_headers() {
    let stack = Stack::start(None).await;
    let response = stack
        .get("/muster/auth/quota", &[("X-Test-Auth", "429")])
        .await;
    assert_eq!(response.status(), 429);
    let headers = response.headers().clone();
    assert_eq!(headers["retry-after"], "Thu, 01 Jan 2032 00:00:00 GMT");
    assert_eq!(headers["x-ratelimit-limit"], "1");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_eq!(headers["x-ratelimit-reset"], "1900000000");
    assert_eq!(headers["x-ratelimit-resource"], "muster-quota");
    assert_eq!(headers["x-ratelimit-used"], "1");
    assert_eq!(headers["cache-control"], "no-cache, must-revalidate");
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["detail"][0]["type"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gafaelfawr_403_becomes_bare_403_with_challenge() {
    let stack = Stack::start(None).await;
    let response = stack
        .get("/muster/auth/fail", &[("X-Test-Auth", "403")])
        .await;
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"read:image\""), "{challenge}");
    assert_eq!(
        response.headers()["cache-control"],
        "no-cache, must-revalidate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_get_gafaelfawrs_401_challenge() {
    let stack = Stack::start(None).await;
    let response = stack
        .get("/muster/auth/fail", &[("X-Test-Auth", "none")])
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"localhost\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_redirect_route_sends_302_to_login_with_escaped_rd() {
    let stack = Stack::start(None).await;
    let response = stack
        .get(
            "/muster/auth/redirect?x=1&y=a/b%20c",
            &[("X-Test-Auth", "none")],
        )
        .await;
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = stack.nginx.url();
    assert_eq!(
        location,
        format!("{url}/login?rd={url}%2Fmuster%2Fauth%2Fredirect%3Fx%3D1%26y%3Da%2Fb%2520c")
    );
    let response = stack
        .get("/muster/auth/fail", &[("X-Test-Auth", "none")])
        .await;
    assert_eq!(
        response.status(),
        401,
        "only loginRedirect ingresses redirect"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successful_quota_request_shows_rate_limit_headers() {
    let stack = Stack::start(None).await;
    let response = stack.get("/muster/auth/quota", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-ratelimit-limit"], "1");
    assert_eq!(response.headers()["x-ratelimit-resource"], "muster-quota");
    assert_eq!(
        stack.last_auth_call().path_and_query,
        "/ingress/auth?scope=read:image&service=muster-quota"
    );
    let response = stack.get("/muster/auth/fail", &[]).await;
    assert_eq!(response.headers().get("x-ratelimit-limit"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_paths_cover_only_themselves_and_prefixes_cover_subpaths() {
    let stack = Stack::start(None).await;
    stack.backend_headers("/muster/auth/fail/more", &[]).await;
    assert_eq!(stack.last_auth_call().path_and_query, "/ingress/anonymous");
    stack
        .backend_headers("/muster/delegated/header/more", &[])
        .await;
    assert!(stack
        .last_auth_call()
        .path_and_query
        .contains("delegate_to=muster"));
    stack.backend_headers("/muster", &[]).await;
    assert_eq!(stack.last_auth_call().path_and_query, "/ingress/anonymous");
    let calls = stack.auth_calls().len();
    let response = stack.get("/musterfoo", &[]).await;
    assert_eq!(
        response.status(),
        404,
        "element-wise prefix: /muster does not cover /musterfoo"
    );
    assert_eq!(stack.auth_calls().len(), calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_route_reuses_gafaelfawrs_answer_per_credentials() {
    let stack = Stack::start(None).await;
    let alice = [("Cookie", "gafaelfawr=alice")];
    let bob = [("Cookie", "gafaelfawr=bob")];
    let count = |stack: &Stack, path: &str| {
        stack
            .auth_calls()
            .iter()
            .filter(|c| {
                c.headers
                    .get("x-original-url")
                    .is_some_and(|u| u.ends_with(path))
            })
            .count()
    };
    for _ in 0..3 {
        let seen = stack.backend_headers("/muster/auth/cached", &alice).await;
        assert_eq!(
            seen.get("x-auth-request-user").map(String::as_str),
            Some("alice")
        );
    }
    assert_eq!(
        count(&stack, "/muster/auth/cached"),
        1,
        "cached answers are reused"
    );
    stack.backend_headers("/muster/auth/cached", &bob).await;
    assert_eq!(
        count(&stack, "/muster/auth/cached"),
        2,
        "the cache is keyed by the cookie"
    );
    for _ in 0..2 {
        stack.backend_headers("/muster/auth/fail", &alice).await;
    }
    assert_eq!(
        count(&stack, "/muster/auth/fail"),
        2,
        "uncached routes ask every time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gafaelfawr_public_routes_are_proxied_without_auth() {
    let stack = Stack::start(None).await;
    for path in ["/login?rd=http://x/", "/logout", "/auth/api/v1/user-info"] {
        let response = stack.get(path, &[]).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["gafaelfawr"], path);
    }
    assert!(stack.auth_calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_gets_forwarded_headers() {
    let stack = Stack::start(None).await;
    let host = format!("127.0.0.1:{}", stack.nginx.port());
    let seen = stack.backend_headers("/muster/", &[]).await;
    assert_eq!(
        seen.get("x-forwarded-proto").map(String::as_str),
        Some("http")
    );
    assert_eq!(seen.get("x-forwarded-host"), Some(&host));
    assert_eq!(
        seen.get("x-forwarded-for").map(String::as_str),
        Some("127.0.0.1")
    );
    let seen = stack
        .backend_headers(
            "/muster/",
            &[
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", "example.com"),
            ],
        )
        .await;
    assert_eq!(
        seen.get("x-forwarded-proto").map(String::as_str),
        Some("https")
    );
    assert_eq!(
        seen.get("x-forwarded-host").map(String::as_str),
        Some("example.com")
    );
}

// Faults: each one must show its symptom, or Muster could not detect it.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_anonymous_not_auth_processed_leaks_credentials() {
    let stack = Stack::start(Some(IngressFault::AnonymousNotAuthProcessed)).await;
    let sent = credentials();
    let seen = stack
        .backend_headers("/muster/anonymous", &as_refs(&sent))
        .await;
    assert_eq!(
        seen.get("authorization"),
        Some(&format!("Bearer {USER_TOKEN}"))
    );
    assert!(seen["cookie"].contains("gafaelfawr=session-secret"));
    assert!(stack.auth_calls().is_empty());
    stack.backend_headers("/muster/auth/fail", &[]).await;
    assert_eq!(
        stack.auth_calls().len(),
        1,
        "authenticated ingresses still ask Gafaelfawr"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_cookie_header_leaks_the_session_cookie() {
    let stack = Stack::start(Some(IngressFault::NoCookieHeader)).await;
    let sent = credentials();
    let seen = stack
        .backend_headers("/muster/anonymous", &as_refs(&sent))
        .await;
    assert!(
        seen["cookie"].contains("gafaelfawr=session-secret"),
        "{seen:?}"
    );
    assert_eq!(seen.get("authorization"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_authorization_header_leaks_the_token_and_loses_delegation() {
    let stack = Stack::start(Some(IngressFault::NoAuthorizationHeader)).await;
    let sent = credentials();
    let seen = stack
        .backend_headers("/muster/auth/fail", &as_refs(&sent))
        .await;
    assert_eq!(
        seen.get("authorization"),
        Some(&format!("Bearer {USER_TOKEN}"))
    );
    let seen = stack
        .backend_headers("/muster/delegated/authorization", &[])
        .await;
    assert_eq!(seen.get("authorization"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_user_header_passes_forged_user_and_loses_real_one() {
    let stack = Stack::start(Some(IngressFault::NoUserHeader)).await;
    let sent = credentials();
    let seen = stack
        .backend_headers("/muster/auth/fail", &as_refs(&sent))
        .await;
    assert_eq!(
        seen.get("x-auth-request-user").map(String::as_str),
        Some("mallory")
    );
    let seen = stack.backend_headers("/muster/auth/fail", &[]).await;
    assert_eq!(seen.get("x-auth-request-user"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_email_header_passes_forged_email() {
    let stack = Stack::start(Some(IngressFault::NoEmailHeader)).await;
    let seen = stack
        .backend_headers(
            "/muster/anonymous",
            &[("X-Auth-Request-Email", "forged@example.com")],
        )
        .await;
    assert_eq!(
        seen.get("x-auth-request-email").map(String::as_str),
        Some("forged@example.com")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_token_header_loses_the_delegated_token() {
    let stack = Stack::start(Some(IngressFault::NoTokenHeader)).await;
    let seen = stack.backend_headers("/muster/delegated/header", &[]).await;
    assert_eq!(seen.get("x-auth-request-token"), None);
    let seen = stack
        .backend_headers("/muster/anonymous", &[("X-Auth-Request-Token", "forged")])
        .await;
    assert_eq!(
        seen.get("x-auth-request-token").map(String::as_str),
        Some("forged")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_autherror_turns_400_and_429_into_bare_403() {
    let stack = Stack::start(Some(IngressFault::NoAutherror)).await;
    for mode in ["400", "429"] {
        let response = stack
            .get("/muster/auth/fail", &[("X-Test-Auth", mode)])
            .await;
        assert_eq!(response.status(), 403, "Gafaelfawr's {mode}");
        assert_eq!(response.headers().get("www-authenticate"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_auth_signin_answers_401_instead_of_redirecting() {
    let stack = Stack::start(Some(IngressFault::NoAuthSignin)).await;
    let response = stack
        .get("/muster/auth/redirect", &[("X-Test-Auth", "none")])
        .await;
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_delegation_sends_no_delegated_token() {
    let stack = Stack::start(Some(IngressFault::NoDelegation)).await;
    let seen = stack
        .backend_headers("/muster/delegated/authorization", &[])
        .await;
    assert_eq!(seen.get("x-auth-request-token"), None);
    assert_eq!(seen.get("authorization"), None);
    assert_eq!(
        stack.last_auth_call().path_and_query,
        "/ingress/auth?scope=read:image&service=muster"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_no_use_authorization_keeps_the_token_out_of_authorization() {
    let stack = Stack::start(Some(IngressFault::NoUseAuthorization)).await;
    let seen = stack
        .backend_headers("/muster/delegated/authorization", &[])
        .await;
    assert_eq!(
        seen.get("x-auth-request-token").map(String::as_str),
        Some(DELEGATED_TOKEN)
    );
    assert_eq!(seen.get("authorization"), None);
    assert_eq!(
        stack.last_auth_call().path_and_query,
        "/ingress/auth?delegate_to=muster&scope=read:image&service=muster"
    );
}
