//! Logging: the subscriber set-up and the one line written per request.
//! Only method, path, status and latency are logged — never a header value —
//! and any token-shaped text in the path, percent-encoded or not, is
//! fingerprinted.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use muster_report::redact;
use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogProfile};

/// Installs the global subscriber for `config`, writing to standard output.
pub fn init(config: &Config) {
    if let Err(error) = subscriber(config, std::io::stdout).try_init() {
        eprintln!("muster: logging already initialised: {error}");
    }
}

/// The subscriber for `config` writing to `writer`: JSON lines in
/// production, human lines in development. Tests pass their own writer to
/// read exactly what production would log.
pub fn subscriber<W>(config: &Config, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(format!("{},tower_http=warn", config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    match config.log_profile {
        LogProfile::Production => Box::new(builder.json().flatten_event(true).finish()),
        LogProfile::Development => Box::new(builder.finish()),
    }
}

/// Middleware writing one line per request.
pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = redact::url_path(request.uri().path());
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
