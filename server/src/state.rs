//! The state every handler shares.

use std::sync::Arc;

use muster_report::received::upstream::Metadata;
use tower_http::services::ServeDir;

use crate::config::Config;
use crate::gafaelfawr::GafaelfawrClient;
use crate::shell::Shell;
use crate::slack::SlackAlerts;
use crate::tls_certificate::CertificateCheck;

/// Shared, cheaply clonable handler state.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// The SPA shell adapted to the prefix.
    pub shell: Arc<Shell>,
    /// Static file service over trunk's output (precompressed variants).
    pub assets: ServeDir,
    /// This server's metadata.
    pub metadata: Arc<Metadata>,
    /// The pooled client of Gafaelfawr's API (delegated routes).
    pub gafaelfawr: Arc<GafaelfawrClient>,
    /// Where panics are reported, when `MUSTER_SLACK_WEBHOOK` is set.
    pub alerts: Option<Arc<SlackAlerts>>,
    /// The base URL's certificate, read and kept for the reports.
    pub certificate: Arc<CertificateCheck>,
}
