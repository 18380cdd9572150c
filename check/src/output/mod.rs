//! How a run is shown: the checklist ([`text`]), JUnit XML ([`junit`]);
//! JSON is the run model itself. Also the first request of a run, which
//! finds Muster (and its version) before any token is used.

pub mod junit;
pub mod text;

use std::time::Duration;

use reqwest::Client;
use thiserror::Error;

use crate::http::{fetch, FetchError};

/// Why Muster could not be found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PreflightError {
    /// No HTTP answer from the host.
    #[error("cannot reach Muster at {url}: {error}")]
    Unreachable {
        /// Muster's index URL.
        url: String,
        /// What failed.
        error: FetchError,
    },
    /// 404: nothing under this prefix.
    #[error(
        "no Muster at {url} (404): check the host and path prefix in --url (the default prefix \
         is /muster)"
    )]
    NotFound {
        /// Muster's index URL.
        url: String,
    },
}

/// Asks Muster's index `{base}/` for its version. An unreachable host, or a
/// 404 (no Muster under this prefix), stops the run; any other answer lets
/// the probes report what is wrong. `Ok(None)`: version unknown.
pub async fn preflight(
    client: &Client,
    base: &str,
    timeout: Duration,
) -> Result<Option<String>, PreflightError> {
    let url = format!("{base}/");
    let headers = [("accept".to_owned(), "application/json".to_owned())];
    let answer = match fetch(client, "GET", &url, &headers, None, timeout).await {
        Ok(answer) => answer,
        Err(error) => return Err(PreflightError::Unreachable { url, error }),
    };
    if answer.status == 404 {
        return Err(PreflightError::NotFound { url });
    }
    let version = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|json| json["metadata"]["version"].as_str().map(str::to_owned));
    Ok(version)
}
