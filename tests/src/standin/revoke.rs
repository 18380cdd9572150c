//! Revoking a token: `DELETE /auth/api/v1/users/{username}/tokens/{key}`,
//! as Gafaelfawr's token API does it — the caller needs `admin:token`, or
//! to be the same user with `user:token`; the bootstrap token is not
//! accepted; an unknown key (or one owned by another user) is 404 before
//! any permission check; the token's delegated children go with it; 204 on
//! success. Every revocation is recorded for the tests.
//!
//! Gafaelfawr also accepts its session cookie here when `X-CSRF-Token`
//! matches the session; the stand-in keeps no CSRF state, so it takes the
//! token from `Authorization` only.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::api::api_credential;
use super::error::{ApiFailure, ErrorDetail, Failure};
use super::state::AppState;

/// The scope that lets a caller act on anyone's tokens.
const ADMIN_SCOPE: &str = "admin:token";
/// The scope that lets a caller act on its own user's tokens.
const USER_SCOPE: &str = "user:token";
/// A token key's length (16 bytes of URL-safe base64).
const KEY_LEN: usize = 22;

/// `DELETE /auth/api/v1/users/{username}/tokens/{key}`.
pub async fn delete_token(
    State(state): State<AppState>,
    Path((username, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let (challenge, credential) = api_credential(&state, &headers, false)?;
    // The bootstrap token is not a token Gafaelfawr stores: here, where it
    // is not allowed, it is just an unknown token.
    let actor = state
        .lookup(&credential.text)
        .ok_or_else(|| Failure::InvalidToken {
            challenge,
            message: "Token is not valid".to_owned(),
        })?;
    let mut invalid = Vec::new();
    if username.is_empty() || username.len() > 64 {
        invalid.push(ErrorDetail::at(
            "path",
            "username",
            "string_pattern_mismatch",
            "Username must be 1-64 characters",
        ));
    }
    if key.len() != KEY_LEN {
        invalid.push(ErrorDetail::at(
            "path",
            "key",
            "string_too_short",
            "Token key must be 22 characters",
        ));
    }
    if !invalid.is_empty() {
        return Err(Failure::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            details: invalid,
        }
        .into());
    }
    let owned =
        state.with_tokens(|store| store.owner_of(&key).is_some_and(|owner| owner == username));
    if !owned {
        return Err(not_found().into());
    }
    let admin = actor.scopes.contains(ADMIN_SCOPE);
    if username != actor.username && !admin {
        return Err(denied(format!("Cannot act on tokens for user {username}")).into());
    }
    if !admin && !actor.scopes.contains(USER_SCOPE) {
        return Err(denied(format!("Missing required {USER_SCOPE} scope")).into());
    }
    state.revoke(&key, &actor.username);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn not_found() -> Failure {
    Failure::Client {
        status: StatusCode::NOT_FOUND,
        details: vec![ErrorDetail::at(
            "path",
            "key",
            "not_found",
            "Token not found",
        )],
    }
}

fn denied(message: String) -> Failure {
    Failure::Client {
        status: StatusCode::FORBIDDEN,
        details: vec![ErrorDetail::new("permission_denied", message)],
    }
}
