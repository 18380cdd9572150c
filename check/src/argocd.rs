//! Where `muster-check` reads Argo CD's applications from: the Kubernetes
//! API (kubeconfig or the pod's service account, through kube-rs) or Argo
//! CD's own REST API (a URL and a token). Both answer the same
//! `Application` objects, read by the one parser in
//! [`muster_report::argocd`]; this module only fetches, with a timeout and
//! a size cap, and puts every refusal into words that name the source and
//! what to check.

use std::path::PathBuf;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use kube::config::{KubeConfigOptions, Kubeconfig};
use muster_report::argocd::application::MAX_LIST_BYTES;
use muster_report::argocd::{parse_list, Application};
use muster_report::redact;
use muster_report::text::shorten;

/// Argo CD's namespace in Phalanx, where its Application objects live.
pub const DEFAULT_NAMESPACE: &str = "argocd";

/// Where to list applications from, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The Kubernetes API.
    Kubernetes {
        /// A kubeconfig file to read; `None`: `KUBECONFIG`, then
        /// `~/.kube/config`, then the pod's service account.
        kubeconfig: Option<PathBuf>,
        /// The namespace holding the Application objects.
        namespace: String,
        /// A label selector, e.g. `argocd.argoproj.io/instance=science-platform`.
        selector: Option<String>,
    },
    /// Argo CD's REST API.
    ArgoCd {
        /// Argo CD's base URL, e.g. `https://data.example.org/argo-cd`.
        url: String,
        /// An Argo CD API token.
        token: String,
        /// A label selector.
        selector: Option<String>,
        /// Only applications of these projects (all when empty).
        projects: Vec<String>,
    },
}

impl Source {
    /// The source in words, for messages: never the token.
    pub fn describe(&self) -> String {
        match self {
            Source::Kubernetes { namespace, .. } => {
                format!("the Kubernetes API (Applications in namespace {namespace})")
            }
            Source::ArgoCd { url, .. } => format!("Argo CD's API at {url}"),
        }
    }
}

/// Why the applications could not be listed. Each message names the
/// source and what to check; none carries a credential.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SourceError {
    /// No usable Kubernetes configuration.
    #[error(
        "cannot read the Kubernetes configuration: {0}. Set KUBECONFIG (or --kubeconfig) to a \
         kubeconfig whose current context reaches the cluster, or run inside a pod with a \
         service account"
    )]
    Config(String),
    /// The source could not be reached or did not answer in time.
    #[error("{origin} could not be reached: {reason}. Check the address and that this machine can reach it")]
    Unreachable {
        /// [`Source::describe`].
        origin: String,
        /// What went wrong.
        reason: String,
    },
    /// 401: the credential was refused.
    #[error("{origin} refused the credentials (401 Unauthorized: {message}). {check}")]
    Unauthorized {
        /// [`Source::describe`].
        origin: String,
        /// The server's message.
        message: String,
        /// What to check.
        check: String,
    },
    /// 403: the credential may not list applications.
    #[error("{origin} does not let these credentials list applications (403 Forbidden: {message}). {check}")]
    Forbidden {
        /// [`Source::describe`].
        origin: String,
        /// The server's message.
        message: String,
        /// What to check.
        check: String,
    },
    /// Another error status.
    #[error("{origin} answered {status}: {message}")]
    Status {
        /// [`Source::describe`].
        origin: String,
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The answer is not an application list.
    #[error("{origin} answered something Muster cannot read: {reason}")]
    Malformed {
        /// [`Source::describe`].
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Lists the applications of `source`, within `timeout`.
pub async fn list(source: &Source, timeout: Duration) -> Result<Vec<Application>, SourceError> {
    let fetched = tokio::time::timeout(timeout, fetch(source, timeout)).await;
    let (status, body) = match fetched {
        Ok(result) => result?,
        Err(_) => {
            return Err(SourceError::Unreachable {
                origin: source.describe(),
                reason: format!("no answer within {} s", timeout.as_secs()),
            })
        }
    };
    match status {
        200..=299 => parse_list(&body).map_err(|error| SourceError::Malformed {
            origin: source.describe(),
            reason: error.to_string(),
        }),
        401 => Err(SourceError::Unauthorized {
            origin: source.describe(),
            message: error_message(&body),
            check: match source {
                Source::Kubernetes { .. } => "Check the kubeconfig's user (token or client \
                                              certificate) for its current context"
                    .to_owned(),
                Source::ArgoCd { .. } => "Check the token (ARGOCD_AUTH_TOKEN or \
                                          --argocd-token-file): it may have expired or been \
                                          revoked"
                    .to_owned(),
            },
        }),
        403 => Err(SourceError::Forbidden {
            origin: source.describe(),
            message: error_message(&body),
            check: "Grant it get and list on applications.argoproj.io in Argo CD's \
                    namespace (a Role bound to the account)"
                .to_owned(),
        }),
        status => Err(SourceError::Status {
            origin: source.describe(),
            status,
            message: error_message(&body),
        }),
    }
}

/// The status and (capped) body of the list request.
async fn fetch(source: &Source, timeout: Duration) -> Result<(u16, Vec<u8>), SourceError> {
    match source {
        Source::Kubernetes {
            kubeconfig,
            namespace,
            selector,
        } => {
            let client = kube_client(kubeconfig.as_ref(), timeout).await?;
            let mut path =
                format!("/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications");
            if let Some(selector) = selector {
                path.push('?');
                path.push_str(
                    &form_urlencoded::Serializer::new(String::new())
                        .append_pair("labelSelector", selector)
                        .finish(),
                );
            }
            let request = http::Request::get(path)
                .body(kube::client::Body::empty())
                .map_err(|error| unreachable(source, &error.to_string()))?;
            let response = client
                .send(request)
                .await
                .map_err(|error| unreachable(source, &error.to_string()))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_LIST_BYTES)
                .collect()
                .await
                .map_err(|error| too_large_or(source, &error.to_string()))?
                .to_bytes()
                .to_vec();
            Ok((status, body))
        }
        Source::ArgoCd {
            url,
            token,
            selector,
            projects,
        } => {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(timeout)
                .timeout(timeout)
                .user_agent(concat!("muster-check/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|error| unreachable(source, &error.to_string()))?;
            let mut query: Vec<(&str, &str)> = Vec::new();
            if let Some(selector) = selector {
                query.push(("selector", selector));
            }
            for project in projects {
                query.push(("projects", project));
            }
            let endpoint = format!("{}/api/v1/applications", url.trim_end_matches('/'));
            let mut response = client
                .get(endpoint)
                .query(&query)
                .bearer_auth(token)
                .send()
                .await
                .map_err(|error| unreachable(source, &describe_reqwest(&error)))?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| unreachable(source, &describe_reqwest(&error)))?
            {
                if body.len() + chunk.len() > MAX_LIST_BYTES {
                    return Err(too_large_or(source, "length limit exceeded"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, body))
        }
    }
}

/// A kube client from `kubeconfig`, or inferred as kubectl does.
async fn kube_client(
    kubeconfig: Option<&PathBuf>,
    timeout: Duration,
) -> Result<kube::Client, SourceError> {
    let mut config = match kubeconfig {
        Some(path) => {
            let file = Kubeconfig::read_from(path)
                .map_err(|error| SourceError::Config(format!("{}: {error}", path.display())))?;
            kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
                .await
                .map_err(|error| SourceError::Config(error.to_string()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|error| SourceError::Config(error.to_string()))?,
    };
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    kube::Client::try_from(config).map_err(|error| SourceError::Config(error.to_string()))
}

fn unreachable(source: &Source, reason: &str) -> SourceError {
    SourceError::Unreachable {
        origin: source.describe(),
        reason: safe(reason),
    }
}

fn too_large_or(source: &Source, reason: &str) -> SourceError {
    if reason.contains("length limit exceeded") {
        SourceError::Malformed {
            origin: source.describe(),
            reason: format!("the answer is over the {MAX_LIST_BYTES}-byte limit"),
        }
    } else {
        unreachable(source, reason)
    }
}

/// reqwest's error with its causes, which say what actually failed.
fn describe_reqwest(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// The message of an error body: a Kubernetes `Status` or grpc-gateway's
/// body both carry `message`; anything else is shown shortened.
fn error_message(body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|json| json.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    if message.trim().is_empty() {
        "(no message)".to_owned()
    } else {
        safe(message.trim())
    }
}

/// Text from a server, safe to show: tokens hidden, shortened. (Control
/// characters are escaped where it is printed.)
fn safe(text: &str) -> String {
    shorten(&redact::tokens_in_text(text))
}
