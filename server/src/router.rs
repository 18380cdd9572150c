//! The whole HTTP surface in one place: every route, then the layers every
//! response passes through.

use axum::extract::{OriginalUri, State};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use http::{header, HeaderValue};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;
use crate::{assets, check_routes, logging, metadata, openapi};

/// Builds the router for `state`.
pub fn router(state: AppState) -> Router {
    let prefix = state.config.path_prefix.clone();
    let policy = HeaderValue::from_str(&state.shell.content_security_policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .route("/", get(metadata::health))
        .route(&prefix, get(redirect_to_slash))
        .route(&format!("{prefix}/"), get(metadata::index))
        .route(&format!("{prefix}/anonymous"), get(check_routes::anonymous))
        .route(&format!("{prefix}/auth/{{mode}}"), get(check_routes::auth))
        .route(
            &format!("{prefix}/delegated/{{mode}}"),
            get(check_routes::delegated),
        )
        .route(&format!("{prefix}/openapi.json"), get(openapi::openapi))
        .route(&format!("{prefix}/{{*path}}"), get(assets::asset_or_shell))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            policy,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(middleware::from_fn(logging::log_request))
        .with_state(state)
}

/// `{prefix}` without its slash: the app lives at `{prefix}/`. A 307, as
/// Starlette's slash redirect in the Python service.
async fn redirect_to_slash(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let target = match uri.query() {
        Some(query) => format!("{}/?{query}", state.config.path_prefix),
        None => format!("{}/", state.config.path_prefix),
    };
    Redirect::temporary(&target).into_response()
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
