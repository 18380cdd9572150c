//! Muster's own defects over real HTTP: a panicking handler answers the
//! Python service's 500 at once, and the panic reaches a (fake) Slack
//! webhook and the log, with no token and no webhook secret in either.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use http::StatusCode;
use muster_server::alerts::{catch_panics, Alert, SlackAlerts};
use muster_server::config::{Config, SlackWebhook};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};

/// The bound on every wait here.
const PATIENCE: Duration = Duration::from_secs(10);
/// The secret part of the fake webhook's URL.
const WEBHOOK_SECRET: &str = "WebhookCanary0001";
/// A Gafaelfawr-shaped token a client put in the path.
const TOKEN: &str = "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";

/// A Slack incoming webhook that reports each payload, then holds its
/// answer until the test releases it, and answers `status`.
struct FakeSlack {
    address: SocketAddr,
    posts: mpsc::UnboundedReceiver<Value>,
    release: Arc<Semaphore>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct FakeState {
    posts: mpsc::UnboundedSender<Value>,
    release: Arc<Semaphore>,
    status: StatusCode,
}

impl FakeSlack {
    async fn start(status: StatusCode) -> FakeSlack {
        let (sender, posts) = mpsc::unbounded_channel();
        let release = Arc::new(Semaphore::new(0));
        let state = FakeState {
            posts: sender,
            release: release.clone(),
            status,
        };
        let app = Router::new()
            .route(&format!("/services/T0/B0/{WEBHOOK_SECRET}"), post(receive))
            .with_state(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeSlack {
            address,
            posts,
            release,
            task,
        }
    }

    fn webhook(&self) -> String {
        format!("http://{}/services/T0/B0/{WEBHOOK_SECRET}", self.address)
    }

    async fn next_post(&mut self) -> Value {
        tokio::time::timeout(PATIENCE, self.posts.recv())
            .await
            .expect("no alert reached Slack in time")
            .expect("the fake Slack stopped")
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(state): State<FakeState>, Json(payload): Json<Value>) -> StatusCode {
    let _ = state.posts.send(payload);
    if let Ok(permit) = state.release.acquire().await {
        permit.forget();
    }
    state.status
}

fn webhook_config(webhook: &str, assets: &tempfile::TempDir) -> Config {
    let vars: HashMap<String, String> = [
        ("MUSTER_ASSETS_DIR", assets.path().to_str().unwrap()),
        ("MUSTER_SLACK_WEBHOOK", webhook),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Config::from_vars(&vars).unwrap()
}

fn webhook(url: &str) -> SlackWebhook {
    let assets = tempfile::tempdir().unwrap();
    webhook_config(url, &assets).slack_webhook.unwrap()
}

async fn boom(axum::extract::Path(rest): axum::extract::Path<String>) -> &'static str {
    panic!("lost track of {rest}");
}

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_panic_answers_500_at_once_and_reaches_slack_redacted() {
    let mut slack = FakeSlack::start(StatusCode::OK).await;
    let assets = tempfile::tempdir().unwrap();
    std::fs::write(assets.path().join("index.html"), "<html></html>").unwrap();
    let config = webhook_config(&slack.webhook(), &assets);
    let logs = LogBuffer::default();
    let _guard =
        tracing::subscriber::set_default(muster_server::logging::subscriber(&config, logs.clone()));
    // The server's own state carries the alerts when the webhook is set.
    let state = muster_server::build_state(config).unwrap();
    let app = Router::new()
        .route("/muster/boom/{*rest}", get(boom))
        .layer(middleware::from_fn_with_state(
            state.alerts.clone(),
            catch_panics,
        ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let client = reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let response = client
        .get(format!(
            "http://{address}/muster/boom/{TOKEN}?secret=QueryCanary"
        ))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .expect("the panicking route still answers");
    // Slack has not been allowed to answer yet: the client did not wait.
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "Internal Server Error");

    let alert = slack.next_post().await.to_string();
    slack.release.add_permits(1);
    assert!(
        alert.contains("Uncaught panic in Muster: GET /muster/boom/"),
        "{alert}"
    );
    assert!(alert.contains("lost track of "), "{alert}");
    for secret in [TOKEN, "QueryCanary", WEBHOOK_SECRET] {
        assert!(!alert.contains(secret), "{secret} in {alert}");
    }
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logged.contains("uncaught panic"), "{logged}");
    for secret in [TOKEN, "QueryCanary", WEBHOOK_SECRET] {
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
    server.abort();
}

#[tokio::test]
async fn failed_posts_say_why_without_the_webhook_url() {
    let alert = Alert {
        method: "GET".to_owned(),
        path: "/muster/anonymous".to_owned(),
        message: "test".to_owned(),
        at: UNIX_EPOCH,
    };
    let slack = FakeSlack::start(StatusCode::FORBIDDEN).await;
    slack.release.add_permits(1);
    let refused = SlackAlerts::new(webhook(&slack.webhook()))
        .unwrap()
        .post(&alert)
        .await
        .unwrap_err();
    assert_eq!(refused, "Slack answered 403 Forbidden");

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_url = format!(
        "http://{}/services/T0/B0/{WEBHOOK_SECRET}",
        closed.local_addr().unwrap()
    );
    drop(closed);
    let unreachable = SlackAlerts::new(webhook(&closed_url))
        .unwrap()
        .post(&alert)
        .await
        .unwrap_err();
    assert_eq!(unreachable, "cannot connect to Slack");
    assert!(!format!("{refused}{unreachable}").contains(WEBHOOK_SECRET));
}
