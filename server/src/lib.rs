//! Muster's server: serves the checklist app's assets under the path prefix
//! and answers the JSON check routes. All check logic lives in
//! `muster-report`; this crate does HTTP in and out.

pub mod assets;
pub mod config;
pub mod error;
pub mod logging;
pub mod metadata;
pub mod negotiate;
pub mod router;
pub mod shell;
pub mod state;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tower_http::services::ServeDir;

use crate::config::Config;
use crate::shell::{Shell, ShellError};
use crate::state::AppState;

/// Builds the shared state for `config`, loading the shell from disk.
pub fn build_state(config: Config) -> Result<AppState, ShellError> {
    let shell = Shell::load(&config.assets_dir, &config.path_prefix)?;
    let assets = ServeDir::new(&config.assets_dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    Ok(AppState {
        config: Arc::new(config),
        shell: Arc::new(shell),
        assets,
        metadata: Arc::new(metadata::metadata()),
    })
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router::router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
