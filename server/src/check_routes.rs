//! The check routes (`anonymous`, `auth/{mode}`, `delegated/{mode}`):
//! gather what reached Muster — and, on the delegated routes, what
//! Gafaelfawr says about the delegated token — hand the facts to
//! `muster_report` for verdicts, and answer in the representation the
//! client chose. No verdict is decided here.

use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, StatusCode};
use muster_report::model::{Route, RouteKind};
use muster_report::received::evaluate::{evaluate, unknown_mode};
use muster_report::received::observed::{BackendObservation, Gafaelfawr, RequestSeen};
use muster_report::received::upstream::UpstreamResponse;

use crate::alerts::CheckFailure;
use crate::assets::shell_response;
use crate::negotiate::{vary_on_accept, Representation, REPORT_MEDIA_TYPE};
use crate::shell::ShellPage;
use crate::state::AppState;
use crate::tls_certificate::WithCertificate;
use crate::vault_secret::{self, WithVaultSecret};

/// `GET {prefix}/anonymous`.
pub async fn anonymous(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    answer(&state, Route::Anonymous, &headers, uri.query()).await
}

/// `GET {prefix}/auth/{mode}`.
pub async fn auth(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    with_mode(&state, RouteKind::Auth, &headers, &uri).await
}

/// `GET {prefix}/delegated/{mode}`.
pub async fn delegated(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    with_mode(&state, RouteKind::Delegated, &headers, &uri).await
}

/// Answers a route of family `kind` by the last segment of `uri`, its
/// mode, or upstream's 422 when the family has no such mode.
async fn with_mode(
    state: &AppState,
    kind: RouteKind,
    headers: &HeaderMap,
    uri: &http::Uri,
) -> Response {
    let query = uri.query();
    // Percent-decoded as Starlette does, with replacement characters where
    // the bytes are not UTF-8, so that a 422 shows the same input.
    let segment = uri.path().rsplit('/').next().unwrap_or_default();
    let mode = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    let route = match kind {
        RouteKind::Delegated => Route::delegated(&mode),
        _ => Route::auth(&mode),
    };
    match route {
        Some(route) => answer(state, route, headers, query).await,
        None => reject_mode(state, kind, &mode, headers, query),
    }
}

/// Observes, evaluates and renders one request to a known route.
async fn answer(
    state: &AppState,
    route: Route,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Response {
    let representation = Representation::choose(headers, query);
    if representation == Representation::Html {
        return vary_on_accept(shell_response(state, ShellPage::Other));
    }
    let observed = observe(state, route, headers).await;
    let evaluation = evaluate(&observed, &state.metadata.version);
    match representation {
        Representation::Report => {
            let body = serde_json::to_string(&WithCertificate::new(
                &WithVaultSecret {
                    answer: &evaluation.report,
                    vault_secret: vault_secret::inspect(state.config.vault_secret_file.as_deref())
                        .await,
                },
                state.certificate.state().await,
            ))
            .unwrap_or_else(|_| r#"{"detail":"Internal Server Error"}"#.to_owned());
            json(StatusCode::OK, report_content_type(headers), body)
        }
        _ => upstream(evaluation.upstream),
    }
}

/// A mode outside upstream's `Literal[…]`: FastAPI's 422 in every JSON
/// representation (there is no route to report on), the shell for browsers.
fn reject_mode(
    state: &AppState,
    kind: RouteKind,
    mode: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Response {
    if Representation::choose(headers, query) == Representation::Html {
        return vary_on_accept(shell_response(state, ShellPage::Other));
    }
    upstream(unknown_mode(kind, mode, &request_seen(headers)))
}

/// The facts the checks judge: the headers as received and, on delegated
/// routes with a usable token, Gafaelfawr's user-info and token-info.
async fn observe(state: &AppState, route: Route, headers: &HeaderMap) -> BackendObservation {
    let mut observed = BackendObservation {
        route,
        request: request_seen(headers),
        gafaelfawr: Gafaelfawr::default(),
    };
    if route.kind() == RouteKind::Delegated {
        if let Some(token) = observed.usable_delegated_token().map(str::to_owned) {
            let client = &state.gafaelfawr;
            let (user_info, token_info) =
                tokio::join!(client.user_info(&token), client.token_info(&token));
            for error in [user_info.as_ref().err(), token_info.as_ref().err()]
                .into_iter()
                .flatten()
            {
                tracing::warn!(route = route.path(), error = %error, "Gafaelfawr call failed");
            }
            observed.gafaelfawr = Gafaelfawr {
                user_info: Some(user_info),
                token_info: Some(token_info),
            };
        }
    }
    observed
}

/// Every header of the request, repeated ones kept, as the checks see them.
pub fn request_seen(headers: &HeaderMap) -> RequestSeen {
    RequestSeen::from_pairs(
        headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    )
}

/// The upstream answer, carrying its check failure (if any) for
/// [`crate::alerts`].
fn upstream(response: UpstreamResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = json(status, "application/json", response.body);
    if let Some(failure) = response.failure {
        answer.extensions_mut().insert(CheckFailure {
            kind: failure.kind,
            message: failure.msg,
        });
    }
    answer
}

/// The report's media type echoes what the client asked for: the vendor
/// type when it named it, plain JSON for `?report=true`.
pub fn report_content_type(headers: &HeaderMap) -> &'static str {
    let asked = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.to_ascii_lowercase().contains(REPORT_MEDIA_TYPE));
    if asked {
        REPORT_MEDIA_TYPE
    } else {
        "application/json"
    }
}

/// A JSON answer that no cache stores.
pub fn json(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let response = (
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    vary_on_accept(response)
}
