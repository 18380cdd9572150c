//! Logging: the subscriber set-up and the one line written per request.
//! Only method, path, status and latency are logged — never a header value —
//! and any token-shaped text in the path is fingerprinted.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use muster_report::redact;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogProfile};

/// Installs the global subscriber for `config`; JSON lines in production.
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(format!("{},tower_http=warn", config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = match config.log_profile {
        LogProfile::Production => builder.json().flatten_event(true).try_init(),
        LogProfile::Development => builder.try_init(),
    };
    if let Err(error) = result {
        eprintln!("muster: logging already initialised: {error}");
    }
}

/// Middleware writing one line per request.
pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = redact::tokens_in_text(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = format!("{latency_ms:.2}"),
        "request"
    );
    response
}
