//! Errors a handler can return; each renders the body its client expects.

use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, StatusCode};
use serde_json::json;

/// A request that cannot be answered normally.
#[derive(Debug)]
pub enum AppError {
    /// No route or asset at this path (FastAPI's `{"detail":"Not Found"}`).
    NotFound,
    /// A route of the Python service asked with another method than GET
    /// (FastAPI's `{"detail":"Method Not Allowed"}` with `Allow: GET`).
    MethodNotAllowed,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                [(header::CACHE_CONTROL, "no-store")],
                Json(json!({"detail": "Not Found"})),
            )
                .into_response(),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::CACHE_CONTROL, "no-store"), (header::ALLOW, "GET")],
                Json(json!({"detail": "Method Not Allowed"})),
            )
                .into_response(),
        }
    }
}
