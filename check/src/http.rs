//! The HTTP client: explicit connect and total timeouts, no redirects
//! followed, no cookies kept, and transport errors put into words a
//! deployer can act on.

use std::error::Error as _;
use std::time::{Duration, Instant};

use muster_report::probe::exchange::BODY_MAX_BYTES;
use muster_report::probe::{Exchange, Prepared};
use reqwest::redirect::Policy;
use reqwest::{Certificate, Client, Method, Response};
use thiserror::Error;

use crate::args::{CaFile, MAX_CONNECT_TIMEOUT};

/// The HTTP client could not be built (no TLS roots, …).
#[derive(Debug, Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// A request that got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FetchError {
    /// The method is not an HTTP method (a programming error).
    #[error("{0:?} is not an HTTP method")]
    Method(String),
    /// The transport failed, put into words by [`describe`].
    #[error("{0}")]
    Transport(String),
}

/// The client every request of a run goes through, trusting the
/// certificate authorities of `ca` besides the built-in ones.
pub fn client(timeout: Duration, ca: Option<&CaFile>) -> Result<Client, ClientError> {
    let mut builder = Client::builder()
        .redirect(Policy::none())
        .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
        .timeout(timeout)
        .user_agent(concat!("muster-check/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = ca {
        for certificate in Certificate::from_pem_bundle(&ca.pem)? {
            builder = builder.add_root_certificate(certificate);
        }
    }
    Ok(builder.build()?)
}

/// What came back from one request: status, headers and (capped) body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-case, values as text.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`BODY_MAX_BYTES`] + 1 bytes (one more tells the
    /// recorder it was cut).
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` (a method, URL and headers) and reads the answer.
pub async fn fetch(
    client: &Client,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    json: Option<&serde_json::Value>,
    timeout: Duration,
) -> Result<Answer, FetchError> {
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|_| FetchError::Method(method.to_owned()))?;
    let mut request = client.request(method, url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(json) = json {
        request = request.json(json);
    }
    let response = request
        .send()
        .await
        .map_err(|error| FetchError::Transport(describe(&error, timeout)))?;
    read(response, timeout).await
}

async fn read(mut response: Response, timeout: Duration) -> Result<Answer, FetchError> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while body.len() <= BODY_MAX_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) => return Err(FetchError::Transport(describe(&error, timeout))),
        }
    }
    body.truncate(BODY_MAX_BYTES + 1);
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Sends one prepared probe request and records what happened; the
/// recording redacts every secret.
pub async fn exchange(client: &Client, sent: &Prepared, timeout: Duration) -> Exchange {
    let started = Instant::now();
    let answer = fetch(client, sent.method, &sent.url, &sent.headers, None, timeout).await;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match answer {
        Ok(answer) => Exchange::response(
            sent,
            answer.status,
            answer.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            &answer.body,
            elapsed_ms,
        ),
        Err(error) => Exchange::transport_error(sent, &error.to_string(), elapsed_ms),
    }
}

/// A transport error in words: what failed and what it likely means. Never
/// includes request headers (the only place secrets go).
pub fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    let detail = causes.join(": ");
    let lower = detail.to_ascii_lowercase();
    let host = error
        .url()
        .and_then(|url| url.host_str())
        .unwrap_or("the host")
        .to_owned();
    if error.is_timeout() {
        return format!(
            "no answer from {host} within {} s (raise --timeout if it is just slow)",
            timeout.as_secs_f64()
        );
    }
    if [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "alert",
        "invalidcontenttype",
    ]
    .iter()
    .any(|word| lower.contains(word))
    {
        return format!(
            "TLS with {host} failed ({detail}): its certificate is not valid for this name or \
             not signed by a trusted authority, or it does not speak TLS on this port (plain \
             http://?); check ingress-nginx's certificate for the host"
        );
    }
    if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") {
        return format!("cannot resolve {host} ({detail}): check the host name in --url");
    }
    if lower.contains("refused") {
        return format!(
            "connection to {host} refused ({detail}): nothing listens there; check --url and \
             that ingress-nginx serves this host"
        );
    }
    if error.is_connect() {
        return format!("cannot connect to {host} ({detail})");
    }
    match detail.is_empty() {
        true => error.to_string(),
        false => format!("{error}: {detail}"),
    }
}
