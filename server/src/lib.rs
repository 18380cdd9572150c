//! Muster's server: serves the checklist app's assets under the path prefix
//! and answers the JSON check routes. All check logic lives in
//! `muster-report`; this crate does HTTP in and out.

pub mod alerts;
pub mod allocator;
pub mod assets;
pub mod check_routes;
pub mod config;
pub mod error;
pub mod gafaelfawr;
pub mod listen;
pub mod logging;
pub mod metadata;
pub mod negotiate;
pub mod openapi;
pub mod router;
pub mod shell;
pub mod slack;
pub mod slash_redirect;
pub mod state;
pub mod tls_certificate;
pub mod vault_secret;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tower_http::services::ServeDir;

use crate::config::{Config, GafaelfawrSource};
use crate::gafaelfawr::{ClientError, GafaelfawrClient};
use crate::shell::{Shell, ShellError};
use crate::slack::{SlackAlerts, DEFAULT_MIN_GAP};
use crate::state::AppState;
use crate::tls_certificate::CertificateCheck;

/// Why the server cannot start with a configuration.
#[derive(Debug)]
pub enum StartError {
    /// The SPA shell could not be loaded (`MUSTER_ASSETS_DIR`).
    Shell(ShellError),
    /// The HTTP client for Gafaelfawr could not be built.
    Client(ClientError),
    /// The HTTP client for Slack alerts could not be built.
    Alerts(String),
    /// `MUSTER_CA_FILE` cannot serve as roots for the certificate check.
    Certificate(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shell(error) => error.fmt(f),
            Self::Client(error) => error.fmt(f),
            Self::Alerts(problem) | Self::Certificate(problem) => f.write_str(problem),
        }
    }
}

impl std::error::Error for StartError {}

/// Builds the shared state for `config`, loading the shell from disk.
///
/// A missing Gafaelfawr URL does not stop the server: the anonymous and
/// auth routes need none, and the delegated routes report a failed check
/// pointing at Muster's configuration. It is logged at start-up.
pub fn build_state(config: Config) -> Result<AppState, StartError> {
    let shell = Shell::load(&config.assets_dir, &config.path_prefix).map_err(StartError::Shell)?;
    let gafaelfawr = GafaelfawrClient::new(&config).map_err(StartError::Client)?;
    let alerts = match &config.slack_webhook {
        Some(webhook) => Some(Arc::new(
            SlackAlerts::new(webhook.clone(), DEFAULT_MIN_GAP).map_err(StartError::Alerts)?,
        )),
        None => None,
    };
    if config.gafaelfawr == GafaelfawrSource::NotConfigured {
        tracing::warn!(
            "neither MUSTER_GAFAELFAWR_URL nor REPERTOIRE_BASE_URL is set: the delegated routes will fail"
        );
    }
    let certificate = CertificateCheck::new(config.base_url.clone(), config.ca_file.as_deref())
        .map_err(StartError::Certificate)?;
    if config.base_url.is_none() {
        tracing::warn!(
            "MUSTER_BASE_URL is not set: the reports cannot state the host's certificate"
        );
    }
    let assets = ServeDir::new(&config.assets_dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    Ok(AppState {
        config: Arc::new(config),
        shell: Arc::new(shell),
        assets,
        metadata: Arc::new(metadata::metadata()),
        gafaelfawr: Arc::new(gafaelfawr),
        alerts,
        certificate: Arc::new(certificate),
    })
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes
/// the requests in flight, within the default [`listen::Limits`] but for
/// the configured connection cap.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = listen::Limits {
        max_connections: state.config.max_connections,
        ..listen::Limits::default()
    };
    listen::serve(listener, router::router(state), shutdown, limits).await
}
