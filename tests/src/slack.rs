//! A Slack incoming-webhook stand-in for the monitor's tests: it records
//! every JSON payload posted to its secret path and answers 200 `ok`, as
//! Slack does. It runs on a runtime of its own, so synchronous tests can
//! use it next to the stack.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::served::Served;

/// The secret part of the stand-in's URL, for leak checks.
pub const WEBHOOK_SECRET: &str = "WebhookCanary0042";

/// A running webhook stand-in; it stops when dropped.
pub struct SlackStandin {
    url: String,
    posts: Arc<Mutex<Vec<Value>>>,
    served: Option<Served>,
    runtime: Runtime,
}

impl SlackStandin {
    /// Starts the stand-in on a free loopback port.
    pub fn start() -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("no runtime for the Slack stand-in: {e}"))?;
        let posts = Arc::new(Mutex::new(Vec::new()));
        let path = format!("/services/T0/B0/{WEBHOOK_SECRET}");
        let app = Router::new()
            .route(&path, post(receive))
            .with_state(Arc::clone(&posts));
        let (served, address) = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("cannot bind the Slack stand-in: {e}"))?;
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            Ok::<_, String>((Served::spawn(listener, app, "Slack stand-in"), address))
        })?;
        Ok(Self {
            url: format!("http://{address}{path}"),
            posts,
            served: Some(served),
            runtime,
        })
    }

    /// The webhook URL (a secret, as a real one is).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every payload posted so far, in order.
    pub fn posts(&self) -> Vec<Value> {
        self.posts
            .lock()
            .map(|posts| posts.clone())
            .unwrap_or_default()
    }
}

impl Drop for SlackStandin {
    fn drop(&mut self) {
        if let Some(served) = self.served.take() {
            self.runtime.block_on(served.stop());
        }
    }
}

async fn receive(
    State(posts): State<Arc<Mutex<Vec<Value>>>>,
    Json(payload): Json<Value>,
) -> &'static str {
    if let Ok(mut posts) = posts.lock() {
        posts.push(payload);
    }
    "ok"
}

/// Every `text` in a Block Kit payload, joined by newlines: what a reader
/// of the message sees.
pub fn message_text(payload: &Value) -> String {
    muster_slack::text::texts(payload).join("\n")
}
