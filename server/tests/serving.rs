//! How the server serves the app: content types, cache headers,
//! precompression, the SPA shell for navigations and 404s for missing assets.

use std::collections::HashMap;

use axum::body::Body;
use http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use muster_server::config::Config;
use tower::ServiceExt as _;

const WASM: &str = "app-0123456789abcdef_bg.wasm";
const INDEX: &str = r#"<!DOCTYPE html><html><head><base href="/muster/" />
<script type="module">import init from '/muster/app-0123456789abcdef.js';init();</script>
</head><body></body></html>"#;
/// The shell of every page but the overview, with its own loader.
const PAGES: &str = r#"<!DOCTYPE html><html><head><base href="/muster/" />
<script type="module">import init from '/muster/pages-0123456789abcdef.js';init();</script>
</head><body></body></html>"#;
const BROWSER: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

struct Fixture {
    _dir: tempfile::TempDir,
    router: axum::Router,
}

fn fixture(prefix: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::write(dir.path().join("pages.html"), PAGES).unwrap();
    std::fs::write(dir.path().join(WASM), b"\0asm\x01\0\0\0 plain").unwrap();
    std::fs::write(dir.path().join(format!("{WASM}.br")), b"brotli bytes").unwrap();
    std::fs::write(dir.path().join("main-0123456789abcdef.css"), "body{}").unwrap();
    std::fs::create_dir(dir.path().join("public")).unwrap();
    std::fs::write(dir.path().join("public/robots.txt"), "User-agent: *").unwrap();
    let vars: HashMap<String, String> = [
        ("MUSTER_PATH_PREFIX", prefix),
        ("MUSTER_ASSETS_DIR", dir.path().to_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let state = muster_server::build_state(Config::from_vars(&vars).unwrap()).unwrap();
    Fixture {
        _dir: dir,
        router: muster_server::router::router(state),
    }
}

async fn get(router: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> http::Response<Body> {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn text(response: http::Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn header_of<'a>(response: &'a http::Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn hashed_wasm_is_served_as_wasm_and_cached_forever() {
    let f = fixture("/muster");
    let response = get(&f.router, &format!("/muster/{WASM}"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, "content-type"), "application/wasm");
    assert_eq!(
        header_of(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn precompressed_brotli_is_sent_when_accepted() {
    let f = fixture("/muster");
    let response = get(
        &f.router,
        &format!("/muster/{WASM}"),
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(header_of(&response, "content-encoding"), "br");
    assert_eq!(text(response).await, "brotli bytes");
}

#[tokio::test]
async fn missing_asset_is_404_not_the_shell() {
    let f = fixture("/muster");
    for path in [
        "/muster/app-ffffffffffffffff_bg.wasm",
        "/muster/old.js",
        "/muster/gone.css",
    ] {
        let response = get(&f.router, path, &[BROWSER]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!text(response).await.contains("<html"), "{path}");
    }
}

#[tokio::test]
async fn browser_navigation_under_the_prefix_gets_the_shell_uncached() {
    let f = fixture("/muster");
    for (path, loader) in [
        ("/muster/", "/muster/app-"),
        ("/muster/index.html", "/muster/app-"),
        ("/muster/report", "/muster/pages-"),
        ("/muster/some/page", "/muster/pages-"),
        ("/muster/auth/fail", "/muster/pages-"),
        ("/muster/auth/vinyl", "/muster/pages-"),
    ] {
        let response = get(&f.router, path, &[BROWSER]).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header_of(&response, "cache-control"), "no-cache", "{path}");
        assert!(
            header_of(&response, "content-type").starts_with("text/html"),
            "{path}"
        );
        let html = text(response).await;
        assert!(html.contains("<base href=\"/muster/\""), "{path}");
        assert!(
            html.contains(&format!("import init from '{loader}")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn unknown_path_asked_as_json_is_404_json() {
    let f = fixture("/muster");
    let response = get(
        &f.router,
        "/muster/nothing/here",
        &[("accept", "application/json")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(text(response).await, r#"{"detail":"Not Found"}"#);
}

#[tokio::test]
async fn public_files_are_revalidated() {
    let f = fixture("/muster");
    let response = get(&f.router, "/muster/public/robots.txt", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, "cache-control"), "no-cache");
}

#[tokio::test]
async fn prefix_without_slash_redirects_to_the_app() {
    let f = fixture("/muster");
    let response = get(&f.router, "/muster", &[BROWSER]).await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(header_of(&response, "location"), "/muster/");
}

#[tokio::test]
async fn check_routes_with_a_trailing_slash_redirect_without_it() {
    let f = fixture("/muster");
    for (path, location) in [
        ("/muster/anonymous/", "/muster/anonymous"),
        (
            "/muster/auth/fail/?report=true",
            "/muster/auth/fail?report=true",
        ),
        ("/muster/delegated/header/", "/muster/delegated/header"),
    ] {
        let response = get(&f.router, path, &[]).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{path}");
        assert_eq!(header_of(&response, "location"), location, "{path}");
    }
}

#[tokio::test]
async fn slash_redirects_never_pass_on_a_token() {
    const KEY: &str = "CanaryKeyCanaryKey0000";
    const SECRET: &str = "CanarySecretCanary0000";
    let token = format!("gt-{KEY}.{SECRET}");
    // The same token hidden behind percent-encoding, once and twice.
    let encoded = format!("%67t-{KEY}%2E{SECRET}");
    let twice = format!("gt%252D{KEY}.{SECRET}");
    let f = fixture("/muster");
    for (path, location) in [
        (format!("/muster?token={token}"), "/muster/".to_owned()),
        (
            format!("/muster/anonymous/?report=true&token={token}&x=1"),
            "/muster/anonymous?report=true&x=1".to_owned(),
        ),
        (
            format!("/muster/auth/fail/?a={encoded}&report=true"),
            "/muster/auth/fail?report=true".to_owned(),
        ),
        (
            format!("/muster/delegated/header/?{token}=1&b=Bearer%20{twice}"),
            "/muster/delegated/header".to_owned(),
        ),
        (
            format!("/muster/auth/{token}/"),
            "/muster/auth/gt-Cana%E2%80%A6%2848%20chars%29".to_owned(),
        ),
    ] {
        let response = get(&f.router, &path, &[]).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT, "{path}");
        let shown = header_of(&response, "location");
        assert!(!shown.contains(KEY) && !shown.contains(SECRET), "{shown}");
        assert_eq!(shown, location, "{path}");
    }
}

#[tokio::test]
async fn other_methods_get_fastapis_405() {
    let f = fixture("/muster");
    // FastAPI answers GET only on its routes, HEAD included (unlike Starlette).
    for path in [
        "/",
        "/muster/",
        "/muster/anonymous",
        "/muster/auth/fail",
        "/muster/delegated/header",
        "/muster/openapi.json",
    ] {
        for method in [Method::HEAD, Method::POST, Method::OPTIONS] {
            let request = Request::builder()
                .method(method.clone())
                .uri(path)
                .body(Body::empty())
                .unwrap();
            let response = f.router.clone().oneshot(request).await.unwrap();
            let at = format!("{method} {path}");
            assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{at}");
            assert_eq!(header_of(&response, "allow"), "GET", "{at}");
            if method != Method::HEAD {
                assert_eq!(text(response).await, r#"{"detail":"Method Not Allowed"}"#);
            }
        }
    }
}

#[tokio::test]
async fn other_methods_elsewhere_get_fastapis_404() {
    let f = fixture("/muster");
    for path in ["/muster/nonexistent", "/muster/x.css", "/elsewhere"] {
        let request = Request::post(path).body(Body::empty()).unwrap();
        let response = f.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(text(response).await, r#"{"detail":"Not Found"}"#, "{path}");
    }
}

#[tokio::test]
async fn assets_answer_head() {
    let f = fixture("/muster");
    let request = Request::head(format!("/muster/{WASM}"))
        .body(Body::empty())
        .unwrap();
    let response = f.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, "content-type"), "application/wasm");
}

#[tokio::test]
async fn json_routes_are_never_compressed() {
    // The Python service never compresses: refusing identity must not turn
    // its answers, failures included, into 406.
    let f = fixture("/muster");
    let refuse_identity = ("accept-encoding", "identity;q=0");
    let ok = get(&f.router, "/muster/anonymous", &[refuse_identity]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(text(ok).await, r#"{"ok":true}"#);
    let failing = get(
        &f.router,
        "/muster/anonymous",
        &[refuse_identity, ("authorization", "x")],
    )
    .await;
    assert_eq!(failing.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let index = get(
        &f.router,
        "/muster/",
        &[("accept", "application/json"), ("accept-encoding", "br")],
    )
    .await;
    assert!(index.headers().get("content-encoding").is_none());
    assert!(text(index).await.starts_with(r#"{"metadata":"#));
}

#[tokio::test]
async fn index_varies_on_accept() {
    let f = fixture("/muster");
    for accept in [("accept", "application/json"), BROWSER] {
        let response = get(&f.router, "/muster/", &[accept]).await;
        assert_eq!(response.status(), StatusCode::OK, "{accept:?}");
        let vary: Vec<_> = response.headers().get_all("vary").iter().collect();
        assert!(
            vary.iter().any(|v| v.to_str().unwrap().contains("Accept")),
            "{accept:?}: {vary:?}"
        );
    }
}

#[tokio::test]
async fn run_time_prefix_is_applied_without_rebuilding() {
    let f = fixture("/checks/muster");
    let response = get(&f.router, "/checks/muster/", &[BROWSER]).await;
    let html = text(response).await;
    assert!(html.contains(r#"<base href="/checks/muster/""#), "{html}");
    assert!(
        html.contains("import init from '/checks/muster/app-"),
        "{html}"
    );
    let page = text(get(&f.router, "/checks/muster/report", &[BROWSER]).await).await;
    assert!(
        page.contains("import init from '/checks/muster/pages-"),
        "{page}"
    );
    let wasm = get(&f.router, &format!("/checks/muster/{WASM}"), &[]).await;
    assert_eq!(wasm.status(), StatusCode::OK);
    let old = get(&f.router, "/muster/", &[BROWSER]).await;
    assert_eq!(old.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let f = fixture("/muster");
    let wasm = format!("/muster/{WASM}");
    for (uri, headers) in [
        ("/muster/", &[BROWSER][..]),
        ("/muster/", &[][..]),
        ("/muster/anonymous", &[][..]),
        ("/muster/auth/fail?report=true", &[][..]),
        (wasm.as_str(), &[][..]),
        ("/muster/missing.js", &[][..]),
        ("/elsewhere", &[][..]),
        ("/", &[][..]),
    ] {
        let response = get(&f.router, uri, headers).await;
        let policy = header_of(&response, "content-security-policy");
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{uri}: {policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{uri}: {policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{uri}: {policy}");
        let nosniff = header_of(&response, "x-content-type-options");
        assert_eq!(nosniff, "nosniff", "{uri}");
        let referrer = header_of(&response, "referrer-policy");
        assert_eq!(referrer, "no-referrer", "{uri}");
    }
}

#[tokio::test]
async fn health_answers_metadata_uncached() {
    let f = fixture("/muster");
    let response = get(&f.router, "/", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_of(&response, header::CACHE_CONTROL.as_str()),
        "no-store"
    );
    let body: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
    assert_eq!(body["name"], "muster");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    // The workspace names the repository; an empty string would break
    // upstream's "absent fields omitted".
    let repository = body["repository_url"].as_str().unwrap();
    assert!(repository.starts_with("https://"), "{repository}");
    assert!(body["documentation_url"].is_string());
}
