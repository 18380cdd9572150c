//! Alerts over real HTTP: a failing check and a panicking handler reach a
//! (fake) Slack webhook without delaying the answer, at most one a minute,
//! with no token and no webhook secret in the alert or the log.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use http::StatusCode;
use muster_report::redact;
use muster_server::alerts::report_defects;
use muster_server::config::{Config, SlackWebhook};
use muster_server::slack::SlackAlerts;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};

use crate::support::LogBuffer;

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

/// A directory holding the shells the server needs to start.
fn assets() -> tempfile::TempDir {
    let assets = tempfile::tempdir().unwrap();
    for shell in ["index.html", "pages.html"] {
        std::fs::write(assets.path().join(shell), "<html></html>").unwrap();
    }
    assets
}

/// Serves `app` on a free loopback port until the task is aborted.
async fn serve(app: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (address, server)
}

async fn boom(axum::extract::Path(rest): axum::extract::Path<String>) -> &'static str {
    panic!("lost track of {rest}");
}

#[tokio::test]
async fn a_panic_answers_500_at_once_and_reaches_slack_redacted() {
    let mut slack = FakeSlack::start(StatusCode::OK).await;
    let assets = assets();
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
            report_defects,
        ));
    let (address, server) = serve(app).await;

    // Far below the post's own 10 s timeout: the answer cannot have waited
    // for Slack, which has not been allowed to answer yet.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
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
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "Internal Server Error");

    let alert = slack.next_post().await.to_string();
    slack.release.add_permits(1);
    assert!(alert.contains("Uncaught exception in muster"), "{alert}");
    assert!(alert.contains("/muster/boom/{*rest}"), "{alert}");
    assert!(
        alert.contains(&format!("lost track of {}", redact::fingerprint(TOKEN))),
        "{alert}"
    );
    for secret in [TOKEN, "QueryCanary", WEBHOOK_SECRET] {
        assert!(!alert.contains(secret), "{secret} in {alert}");
    }
    let logged = logs.text();
    assert!(logged.contains("uncaught panic"), "{logged}");
    for secret in [TOKEN, "QueryCanary", WEBHOOK_SECRET] {
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
    server.abort();
}

#[tokio::test]
async fn a_failing_check_is_alerted_once_a_minute_like_safirs_handler() {
    let mut slack = FakeSlack::start(StatusCode::OK).await;
    slack.release.add_permits(10);
    let assets = assets();
    let state = muster_server::build_state(webhook_config(&slack.webhook(), &assets)).unwrap();
    let alerts = state.alerts.clone().expect("alerts with a webhook");
    let app = muster_server::router::router(state);
    let (address, server) = serve(app).await;
    let client = reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let ask = || {
        client
            .get(format!("http://{address}/muster/anonymous"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .send()
    };

    let first = ask().await.unwrap();
    assert_eq!(first.status(), 500);
    let alert = slack.next_post().await.to_string();
    assert!(alert.contains("Uncaught exception in muster"), "{alert}");
    assert!(
        alert.contains("unexpected_header: Header Authorization set but should not be present"),
        "{alert}"
    );
    assert!(alert.contains("/muster/anonymous"), "{alert}");
    assert!(!alert.contains(TOKEN), "{alert}");

    // The same failure again within the minute: counted, not posted.
    let second = ask().await.unwrap();
    assert_eq!(second.status(), 500);
    assert_eq!(alerts.left_out(), 1);
    // A passing check is not an alert.
    let clean = client
        .get(format!("http://{address}/muster/anonymous"))
        .send()
        .await
        .unwrap();
    assert_eq!(clean.status(), 200);
    assert_eq!(alerts.left_out(), 1);
    server.abort();
}

#[tokio::test]
async fn shutdown_lets_posts_under_way_finish_within_a_bound() {
    let alert = || muster_server::slack::Alert {
        kind: "panic".to_owned(),
        message: "m".to_owned(),
        route: "/muster/".to_owned(),
        location: None,
        at: std::time::SystemTime::now(),
    };
    // Slack answers: finishing waits for the post, which has then arrived.
    let mut slack = FakeSlack::start(StatusCode::OK).await;
    slack.release.add_permits(1);
    let alerts = Arc::new(SlackAlerts::new(webhook(&slack.webhook()), Duration::ZERO).unwrap());
    alerts.send(alert());
    assert_eq!(alerts.finish(PATIENCE).await, 0);
    assert!(slack.posts.try_recv().is_ok(), "the post had not arrived");

    // Slack never answers: finishing gives up after its bound.
    let stuck = FakeSlack::start(StatusCode::OK).await;
    let alerts = Arc::new(SlackAlerts::new(webhook(&stuck.webhook()), Duration::ZERO).unwrap());
    alerts.send(alert());
    assert_eq!(alerts.finish(Duration::from_millis(300)).await, 1);
}

#[tokio::test]
async fn failed_posts_say_why_without_the_webhook_url() {
    let message = serde_json::json!({"text": "test"});
    let slack = FakeSlack::start(StatusCode::FORBIDDEN).await;
    slack.release.add_permits(1);
    let refused = SlackAlerts::new(webhook(&slack.webhook()), Duration::ZERO)
        .unwrap()
        .post(&message)
        .await
        .unwrap_err();
    assert_eq!(refused, "Slack answered 403 Forbidden");

    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_url = format!(
        "http://{}/services/T0/B0/{WEBHOOK_SECRET}",
        closed.local_addr().unwrap()
    );
    drop(closed);
    let unreachable = SlackAlerts::new(webhook(&closed_url), Duration::ZERO)
        .unwrap()
        .post(&message)
        .await
        .unwrap_err();
    assert!(
        unreachable.starts_with("cannot connect to Slack: "),
        "{unreachable}"
    );
    assert!(!format!("{refused}{unreachable}").contains(WEBHOOK_SECRET));
}
