//! The Gafaelfawr client: asks Gafaelfawr's user-info and token-info about
//! the delegated token, and turns every way that can go wrong into a
//! [`FetchError`] with its cause, never a hang or a panic.
//!
//! One pooled HTTP client with explicit connect and total timeouts, no
//! redirects followed, and requests only to `<base>/user-info` and
//! `<base>/token-info`, where `<base>` is `MUSTER_GAFAELFAWR_URL` or the URL
//! Repertoire advertises (see [`GafaelfawrSource`]). The token travels
//! only in a sensitive `Authorization` header, so it is never logged.

use std::time::Duration;

use muster_report::error_body::ErrorBody;
use muster_report::received::observed::{FetchCause, FetchError, Fetched, TokenInfo, UserInfo};
use muster_report::redact;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::config::{Config, GafaelfawrSource};

/// Largest answer read from Gafaelfawr or Repertoire; more is garbage.
const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest excerpt of an error body kept as evidence.
const BODY_EXCERPT_CHARS: usize = 300;

/// Client of Gafaelfawr's token API, shared by every request.
#[derive(Debug)]
pub struct GafaelfawrClient {
    http: reqwest::Client,
    base: Base,
    connect_timeout: Duration,
    timeout: Duration,
}

#[derive(Debug)]
enum Base {
    Fixed(String),
    Discovered {
        repertoire: String,
        /// Filled by the first successful discovery; failures are retried.
        url: OnceCell<String>,
    },
    NotConfigured,
}

/// The HTTP client could not be built (TLS set-up failed).
#[derive(Debug)]
pub struct ClientError(pub String);

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot build the HTTP client for Gafaelfawr: {}", self.0)
    }
}

impl std::error::Error for ClientError {}

impl GafaelfawrClient {
    /// A client for the Gafaelfawr that `config` names.
    pub fn new(config: &Config) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.gafaelfawr_connect_timeout)
            .timeout(config.gafaelfawr_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("muster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ClientError(error.to_string()))?;
        let base = match &config.gafaelfawr {
            GafaelfawrSource::Url(url) => Base::Fixed(url.clone()),
            GafaelfawrSource::Repertoire(repertoire) => Base::Discovered {
                repertoire: repertoire.clone(),
                url: OnceCell::new(),
            },
            GafaelfawrSource::NotConfigured => Base::NotConfigured,
        };
        Ok(Self {
            http,
            base,
            connect_timeout: config.gafaelfawr_connect_timeout,
            timeout: config.gafaelfawr_timeout,
        })
    }

    /// `GET <base>/user-info` with the delegated `token`.
    pub async fn user_info(&self, token: &str) -> Fetched<UserInfo> {
        self.get("user-info", token).await
    }

    /// `GET <base>/token-info` with the delegated `token`.
    pub async fn token_info(&self, token: &str) -> Fetched<TokenInfo> {
        self.get("token-info", token).await
    }

    async fn get<T: DeserializeOwned>(&self, endpoint: &str, token: &str) -> Fetched<T> {
        let base = self.base_url().await?;
        let url = format!("{base}/{endpoint}");
        let fail = |cause| FetchError {
            url: url.clone(),
            cause,
        };
        let response = self
            .http
            .get(&url)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| fail(self.cause_of(&error)))?;
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(redact::tokens_in_text);
        let (body, truncated) = read_limited(response)
            .await
            .map_err(|error| fail(self.cause_of(&error)))?;
        if status != reqwest::StatusCode::OK {
            return Err(fail(status_cause(status.as_u16(), &body, location)));
        }
        if truncated {
            return Err(fail(FetchCause::InvalidJson(format!(
                "the answer is larger than {} KiB",
                MAX_BODY_BYTES / 1024
            ))));
        }
        serde_json::from_slice(&body)
            .map_err(|error| fail(FetchCause::InvalidJson(error.to_string())))
    }

    /// Gafaelfawr's API base URL, discovering it through Repertoire once.
    async fn base_url(&self) -> Result<String, FetchError> {
        match &self.base {
            Base::Fixed(url) => Ok(url.clone()),
            Base::NotConfigured => Err(FetchError {
                url: String::new(),
                cause: FetchCause::NotConfigured,
            }),
            Base::Discovered { repertoire, url } => url
                .get_or_try_init(|| self.discover(repertoire))
                .await
                .cloned(),
        }
    }

    /// `GET <repertoire>/discovery` and read Gafaelfawr's internal URL.
    async fn discover(&self, repertoire: &str) -> Result<String, FetchError> {
        let url = format!("{repertoire}/discovery");
        let fail = |why: String| FetchError {
            url: url.clone(),
            cause: FetchCause::Discovery(why),
        };
        let response = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| fail(self.cause_of(&error).to_string()))?;
        let status = response.status();
        let (body, _) = read_limited(response)
            .await
            .map_err(|error| fail(self.cause_of(&error).to_string()))?;
        if status != reqwest::StatusCode::OK {
            return Err(fail(format!("HTTP {}", status.as_u16())));
        }
        let discovery: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|error| fail(format!("invalid JSON: {error}")))?;
        gafaelfawr_url_from_discovery(&discovery).map_err(fail)
    }

    /// Names the cause of a failed request, checking the most specific
    /// conditions first.
    fn cause_of(&self, error: &reqwest::Error) -> FetchCause {
        if error.is_timeout() {
            if error.is_connect() {
                return FetchCause::ConnectTimeout {
                    millis: millis(self.connect_timeout),
                };
            }
            return FetchCause::Timeout {
                millis: millis(self.timeout),
            };
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        let mut innermost = error.to_string();
        while let Some(current) = source {
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => return FetchCause::ConnectionRefused,
                    std::io::ErrorKind::TimedOut => {
                        return FetchCause::ConnectTimeout {
                            millis: millis(self.connect_timeout),
                        }
                    }
                    _ => {}
                }
            }
            innermost = current.to_string();
            source = current.source();
        }
        FetchCause::Connect(redact::tokens_in_text(&innermost))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Reads at most [`MAX_BODY_BYTES`] of the body; `true` when more followed.
async fn read_limited(mut response: reqwest::Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            body.extend_from_slice(&chunk[..MAX_BODY_BYTES - body.len()]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// The cause for a non-200 answer: the status, Gafaelfawr's error `type`
/// when the body has one, and a redacted excerpt of the body.
fn status_cause(status: u16, body: &[u8], location: Option<String>) -> FetchCause {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    let error_type = json
        .as_ref()
        .and_then(ErrorBody::of)
        .and_then(|error| error.error_type())
        .map(str::to_owned);
    let text = String::from_utf8_lossy(body);
    let mut excerpt: String = redact::tokens_in_text(&text)
        .chars()
        .take(BODY_EXCERPT_CHARS)
        .collect();
    if let Some(location) = location {
        excerpt = format!("(redirect to {location}) {excerpt}");
    }
    FetchCause::HttpStatus {
        status,
        error_type,
        body: excerpt.trim().to_owned(),
    }
}

/// Gafaelfawr's API URL from Repertoire's discovery document:
/// `services.internal.gafaelfawr.versions.v1.url`, else
/// `services.internal.gafaelfawr.url` plus `/api/v1`.
pub fn gafaelfawr_url_from_discovery(discovery: &serde_json::Value) -> Result<String, String> {
    let service = discovery
        .pointer("/services/internal/gafaelfawr")
        .ok_or("Repertoire lists no internal gafaelfawr service")?;
    let url = match service.pointer("/versions/v1/url").and_then(|v| v.as_str()) {
        Some(v1) => v1.trim_end_matches('/').to_owned(),
        None => {
            let base = service
                .get("url")
                .and_then(|v| v.as_str())
                .ok_or("Repertoire's gafaelfawr entry has no url")?
                .trim_end_matches('/');
            if base.ends_with("/api/v1") {
                base.to_owned()
            } else {
                format!("{base}/api/v1")
            }
        }
    };
    crate::config::http_base_url(&url)
        .map_err(|problem| format!("Repertoire's gafaelfawr URL: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn discovery_prefers_the_v1_api_url() {
        let discovery = json!({"services": {"internal": {"gafaelfawr": {
            "url": "https://example.com/auth",
            "versions": {"v1": {"url": "https://example.com/auth/api/v1"}}
        }}}});
        assert_eq!(
            gafaelfawr_url_from_discovery(&discovery).unwrap(),
            "https://example.com/auth/api/v1"
        );
    }

    #[test]
    fn discovery_falls_back_to_the_service_url() {
        let discovery =
            json!({"services": {"internal": {"gafaelfawr": {"url": "https://example.com/auth/"}}}});
        assert_eq!(
            gafaelfawr_url_from_discovery(&discovery).unwrap(),
            "https://example.com/auth/api/v1"
        );
        let missing = json!({"services": {"internal": {}}});
        assert!(gafaelfawr_url_from_discovery(&missing)
            .unwrap_err()
            .contains("no internal gafaelfawr"));
        let bad = json!({"services": {"internal": {"gafaelfawr": {"url": "file:///etc"}}}});
        assert!(gafaelfawr_url_from_discovery(&bad).is_err());
        let secret = json!({"services": {"internal": {"gafaelfawr": {
            "url": "https://gafaelfawr.example/auth?token=Canary0001"
        }}}});
        let error = gafaelfawr_url_from_discovery(&secret).unwrap_err();
        assert!(!error.contains("Canary"), "{error}");
    }

    #[test]
    fn error_bodies_give_their_type_and_a_redacted_excerpt() {
        let token = "gt-AbCdEfGhIjKlMnOpQrStUv.0123456789abcdefghijkl";
        let body = format!(r#"{{"detail":[{{"msg":"bad {token}","type":"user_info_failed"}}]}}"#);
        let FetchCause::HttpStatus {
            status,
            error_type,
            body,
        } = status_cause(500, body.as_bytes(), None)
        else {
            panic!()
        };
        assert_eq!(
            (status, error_type.as_deref()),
            (500, Some("user_info_failed"))
        );
        assert!(!body.contains(token), "{body}");
        let plain = status_cause(502, b"<html>Bad Gateway</html>", None);
        assert!(matches!(
            plain,
            FetchCause::HttpStatus {
                error_type: None,
                ..
            }
        ));
    }
}
