//! `muster`: the server binary. Reads its configuration from `MUSTER_*`
//! variables, refuses to start on a bad one, and stops gracefully on
//! SIGTERM or Ctrl-C.

use std::process::ExitCode;

use muster_server::config::Config;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

/// How long shutdown waits for alerts still being posted to Slack.
const ALERTS_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("muster: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    muster_server::logging::init(&config);
    if !muster_server::allocator::return_large_blocks_when_freed() {
        tracing::warn!(
            "the allocator refused a fixed mmap threshold: memory may stay high after a burst"
        );
    }
    muster_server::alerts::install_panic_hook();
    let bind = config.bind;
    let state = match muster_server::build_state(config) {
        Ok(state) => state,
        Err(error) => {
            eprintln!("muster: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("muster: cannot listen on {bind} (MUSTER_BIND): {error}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(address = %bind, "listening");
    let alerts = state.alerts.clone();
    let served = muster_server::serve(listener, state, shutdown_signal()).await;
    if let Some(alerts) = alerts {
        let abandoned = alerts.finish(ALERTS_GRACE).await;
        if abandoned > 0 {
            tracing::warn!(abandoned, "alerts still being posted to Slack at shutdown");
        }
    }
    match served {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("muster: server failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                eprintln!("muster: cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
