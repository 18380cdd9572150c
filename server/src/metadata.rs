//! The health route and the index: who this server is and where its
//! routes live.

use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, HeaderMap, StatusCode};
use muster_report::received::upstream::{Index, Metadata};

use crate::assets::shell_response;
use crate::check_routes::{json, report_content_type};
use crate::negotiate::{vary_on_accept, Representation};
use crate::shell::ShellPage;
use crate::state::AppState;
use crate::tls_certificate::WithCertificate;
use crate::vault_secret::{self, WithVaultSecret};

/// This build's metadata.
pub fn metadata() -> Metadata {
    Metadata {
        name: "muster".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description: "Checks that a Phalanx environment's ingress, authentication and \
                      delegation work"
            .to_owned(),
        // Left out when the build names no repository, as upstream omits
        // absent fields.
        repository_url: Some(env!("CARGO_PKG_REPOSITORY").to_owned()).filter(|url| !url.is_empty()),
        documentation_url: Some("https://phalanx.lsst.io/applications/muster/".to_owned()),
    }
}

/// `GET /`: the internal health route, answering metadata.
pub async fn health(State(state): State<AppState>) -> Response {
    no_store(Json(state.metadata.as_ref().clone()))
}

/// `GET {prefix}/`: the index for scripts (with `?report=true` or the
/// report media type, also the Vault secret's state), the app's shell for
/// browsers.
pub async fn index(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let representation = Representation::choose(&headers, uri.query());
    if representation == Representation::Html {
        return vary_on_accept(shell_response(&state, ShellPage::Overview));
    }
    let base = format!("{}{}", external_origin(&headers), state.config.path_prefix);
    let index = Index::new(state.metadata.as_ref().clone(), &base);
    if representation == Representation::Report {
        // Muster's own extended index: the Python service's fields, then
        // what only Muster reports.
        let body = serde_json::to_string(&WithCertificate::new(
            &WithVaultSecret {
                answer: &index,
                vault_secret: vault_secret::inspect(state.config.vault_secret_file.as_deref())
                    .await,
            },
            state.certificate.state().await,
        ))
        .unwrap_or_else(|_| r#"{"detail":"Internal Server Error"}"#.to_owned());
        return json(StatusCode::OK, report_content_type(&headers), body);
    }
    vary_on_accept(no_store(Json(index)))
}

/// `scheme://host` as the client saw it, honouring the ingress's
/// `X-Forwarded-Proto` and `X-Forwarded-Host`.
pub fn external_origin(headers: &HeaderMap) -> String {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty() && is_safe_authority(v))
    };
    let scheme = match first("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let host = first("x-forwarded-host")
        .or_else(|| first(header::HOST.as_str()))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

fn is_safe_authority(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
}

/// Marks a JSON body as not to be stored by any cache.
pub fn no_store(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], body).into_response()
}
