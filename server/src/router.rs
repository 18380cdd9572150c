//! The whole HTTP surface in one place: every route, then the layers every
//! response passes through.

use axum::handler::Handler;
use axum::middleware;
use axum::routing::{any, get, MethodRouter};
use axum::Router;
use http::{header, HeaderValue};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::slash_redirect::slash_redirect;
use crate::state::AppState;
use crate::{alerts, assets, check_routes, logging, metadata, openapi};

/// Builds the router for `state`.
pub fn router(state: AppState) -> Router {
    let prefix = state.config.path_prefix.clone();
    let policy = HeaderValue::from_str(&state.shell.content_security_policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .route("/", fastapi_get(metadata::health))
        .route(&prefix, any(slash_redirect))
        .route(&format!("{prefix}/"), fastapi_get(metadata::index))
        .route(
            &format!("{prefix}/anonymous"),
            fastapi_get(check_routes::anonymous),
        )
        .route(
            &format!("{prefix}/auth/{{mode}}"),
            fastapi_get(check_routes::auth),
        )
        .route(
            &format!("{prefix}/delegated/{{mode}}"),
            fastapi_get(check_routes::delegated),
        )
        .route(
            &format!("{prefix}/openapi.json"),
            fastapi_get(openapi::openapi),
        )
        // Starlette's slash redirect, for the Python service's routes.
        .route(&format!("{prefix}/anonymous/"), any(slash_redirect))
        .route(&format!("{prefix}/auth/{{mode}}/"), any(slash_redirect))
        .route(
            &format!("{prefix}/delegated/{{mode}}/"),
            any(slash_redirect),
        )
        // Assets only: the Python service never compresses, and a client
        // refusing uncompressed bodies would turn its answers into 406.
        .route(
            &format!("{prefix}/{{*path}}"),
            get(assets::asset_or_shell).layer(CompressionLayer::new()),
        )
        // Any other path or method is unknown to the Python service: 404.
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.alerts.clone(),
            alerts::report_defects,
        ))
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

/// A route of the Python service: GET only. FastAPI, unlike Starlette,
/// does not answer HEAD on GET routes, so HEAD and every other method get
/// its 405 with `Allow: GET`.
fn fastapi_get<H, T>(handler: H) -> MethodRouter<AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    get(handler).head(get_only).fallback(get_only)
}

async fn get_only() -> AppError {
    AppError::MethodNotAllowed
}

async fn not_found() -> AppError {
    AppError::NotFound
}
