//! Shared fixtures: the router over a temporary assets directory, a small
//! Gafaelfawr fake on a loopback port, and a log buffer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[path = "../shared/log_buffer.rs"]
mod log_buffer;
pub use log_buffer::LogBuffer;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt as _;
use muster_server::config::Config;
use tower::ServiceExt as _;

/// A well-formed delegated token.
pub const TOKEN: &str = "gt-AbCdEfGhIjKlMnOpQrStUv.0123456789abcdefghijkl";
/// What a browser sends.
pub const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// The shell's marker.
pub const SHELL_MARK: &str = "<title>muster-test-shell</title>";

/// A router over a temporary assets directory.
pub struct Fixture {
    _dir: tempfile::TempDir,
    /// The router under test.
    pub router: axum::Router,
    /// The configuration it was built from.
    pub config: Config,
}

/// Builds the server with `vars` on top of a temporary assets directory.
pub fn fixture(vars: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let index = format!("<!DOCTYPE html><html><head>{SHELL_MARK}<base href=\"/muster/\" /></head><body></body></html>");
    for shell in ["index.html", "pages.html"] {
        std::fs::write(dir.path().join(shell), &index).unwrap();
    }
    let mut map: HashMap<String, String> = HashMap::new();
    map.insert(
        "MUSTER_ASSETS_DIR".into(),
        dir.path().to_str().unwrap().into(),
    );
    for (name, value) in vars {
        map.insert((*name).into(), (*value).into());
    }
    let config = Config::from_vars(&map).unwrap();
    let state = muster_server::build_state(config.clone()).unwrap();
    Fixture {
        _dir: dir,
        router: muster_server::router::router(state),
        config,
    }
}

/// A finished exchange.
pub struct Answer {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body as text.
    pub body: String,
}

impl Answer {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// A response header as text, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The report check `id`.
    pub fn check(&self, id: &str) -> serde_json::Value {
        let report = self.json();
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no check {id} in {report}"))
    }
}

/// `GET uri` with text headers.
pub async fn get(router: &axum::Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let raw: Vec<(&str, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| (*n, v.as_bytes().to_vec()))
        .collect();
    get_raw(router, uri, &raw).await
}

/// `GET uri` with header values given as bytes (possibly not UTF-8).
pub async fn get_raw(router: &axum::Router, uri: &str, headers: &[(&str, Vec<u8>)]) -> Answer {
    let mut request = http::Request::get(uri).body(Body::empty()).unwrap();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request
            .headers_mut()
            .append(name, HeaderValue::from_bytes(value).unwrap());
    }
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// How the fake answers one endpoint.
#[derive(Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body text.
    pub body: String,
    /// Wait before answering.
    pub delay: Duration,
}

impl Reply {
    /// 200 with `body`.
    pub fn ok(body: &str) -> Self {
        Self::status(200, body)
    }

    /// `status` with `body`.
    pub fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }
}

/// Alice's user-info, with a quota that must never be echoed.
pub const ALICE: &str = r#"{"username":"alice","name":"Alice Example","email":"alice@example.com","uid":1000,"gid":1001,"groups":[{"name":"g1","id":2001},{"name":"g2","id":2002}],"quota":{"api":{"muster":1}}}"#;
/// A delegated token's token-info as the chart asks for it.
pub const INTERNAL_TOKEN: &str = r#"{"token":"AbCdEfGhIjKlMnOpQrSt","username":"alice","token_type":"internal","service":"muster","scopes":[],"created":1700000000,"expires":1700003600}"#;

/// What a request to the fake looked like.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Path and query.
    pub path: String,
    /// Its Authorization header.
    pub authorization: Option<String>,
}

#[derive(Clone)]
struct FakeState {
    user_info: Reply,
    token_info: Reply,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// A Gafaelfawr fake on a loopback port.
pub struct FakeGafaelfawr {
    /// Its API base URL (`…/auth/api/v1`).
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeGafaelfawr {
    /// Starts a fake answering user-info and token-info as told.
    pub async fn start(user_info: Reply, token_info: Reply) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = FakeState {
            user_info,
            token_info,
            seen: seen.clone(),
        };
        let app = axum::Router::new().fallback(fake_answer).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base: format!("http://{address}/auth/api/v1"),
            seen,
        }
    }

    /// A fake whose user-info and token-info are Alice's, as they should be.
    pub async fn healthy() -> Self {
        Self::start(Reply::ok(ALICE), Reply::ok(INTERNAL_TOKEN)).await
    }

    /// Every request the fake received.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn fake_answer(State(state): State<FakeState>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        authorization,
    });
    let reply = match request.uri().path() {
        "/auth/api/v1/user-info" => state.user_info,
        "/auth/api/v1/token-info" => state.token_info,
        _ => Reply::status(404, r#"{"detail":"Not Found"}"#),
    };
    tokio::time::sleep(reply.delay).await;
    let status = StatusCode::from_u16(reply.status).unwrap();
    (status, [("content-type", "application/json")], reply.body).into_response()
}

/// A loopback URL whose connections are refused, and the socket that holds
/// its port (bound, never listening) for as long as the caller keeps it, so
/// that no other test can start listening there meanwhile.
pub fn refused_base() -> (String, tokio::net::TcpSocket) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .unwrap();
    let address = socket.local_addr().unwrap();
    (format!("http://{address}/auth/api/v1"), socket)
}

/// A server configured to use `base` as Gafaelfawr.
pub fn with_gafaelfawr(base: &str) -> Fixture {
    fixture(&[
        ("MUSTER_GAFAELFAWR_URL", base),
        ("MUSTER_GAFAELFAWR_TIMEOUT", "0.5"),
    ])
}

/// Headers of a well-formed request to a delegated route for Alice.
pub fn delegated_headers() -> Vec<(&'static str, String)> {
    vec![
        ("x-auth-request-user", "alice".to_owned()),
        ("x-auth-request-email", "alice@example.com".to_owned()),
        ("x-auth-request-token", TOKEN.to_owned()),
    ]
}

/// Borrowed form of owned header pairs.
pub fn borrow<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}
