//! Serving trunk's build output under the prefix: hashed assets cached
//! forever, everything else revalidated, missing assets a 404 (never the
//! shell, which a stale hash would otherwise cache as immutable).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use tower::ServiceExt as _;

use crate::error::AppError;
use crate::negotiate::client_prefers_html;
use crate::shell::ShellPage;
use crate::state::AppState;

/// `Cache-Control` of assets whose name carries trunk's content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of the shell and of unhashed files.
pub const REVALIDATE: &str = "no-cache";

/// Answers any GET under the prefix that no JSON route claimed.
pub async fn asset_or_shell(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path();
    let Some(sub_path) = path.strip_prefix(state.config.path_prefix.as_str()) else {
        return AppError::NotFound.into_response();
    };
    if sub_path == "/" || sub_path == "/index.html" {
        return shell_response(&state, ShellPage::Overview);
    }
    let sub_path = sub_path.to_owned();
    let looks_like_asset = has_asset_extension(&sub_path);
    if looks_like_asset || sub_path.contains('.') {
        if let Some(response) = serve_file(&state, request, &sub_path).await {
            return response;
        }
        return AppError::NotFound.into_response();
    }
    if client_prefers_html(request.headers()) {
        shell_response(&state, ShellPage::Other)
    } else {
        AppError::NotFound.into_response()
    }
}

/// `page`'s shell, which must be revalidated on every navigation.
pub fn shell_response(state: &AppState, page: ShellPage) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        state.shell.html(page).to_owned(),
    )
        .into_response()
}

/// Serves `sub_path` from the assets directory, or `None` when no such file
/// exists there.
async fn serve_file(state: &AppState, request: Request, sub_path: &str) -> Option<Response> {
    let (parts, _) = request.into_parts();
    let mut file_request = Request::new(Body::empty());
    *file_request.method_mut() = parts.method;
    *file_request.uri_mut() = sub_path.parse().ok()?;
    *file_request.headers_mut() = parts.headers;
    let response = match state.assets.clone().oneshot(file_request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED {
        return None;
    }
    let mut response = response.map(Body::new);
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let cache = if is_content_hashed(sub_path) {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    Some(response)
}

fn has_asset_extension(path: &str) -> bool {
    let extension = path.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
    matches!(
        extension,
        "js" | "mjs" | "wasm" | "css" | "map" | "svg" | "png" | "ico" | "json" | "txt" | "woff2"
    )
}

/// True for trunk's hashed names: `app-0123456789abcdef_bg.wasm`,
/// `main-0123456789abcdef.css`.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((_, after_dash)) = name.rsplit_once('-') else {
        return false;
    };
    let hash: String = after_dash
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    hash.len() == 16 && !path.starts_with("/public/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_content_hashed("/app-4c6e3a3b8f0d2e1a_bg.wasm"));
        assert!(is_content_hashed("/main-4c6e3a3b8f0d2e1a.css"));
        assert!(!is_content_hashed("/favicon.svg"));
        assert!(!is_content_hashed("/my-app.js"));
        assert!(!is_content_hashed("/public/x-4c6e3a3b8f0d2e1a.png"));
    }
}
