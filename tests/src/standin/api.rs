//! What services ask Gafaelfawr about a token: `GET /auth/api/v1/user-info`
//! and `GET /auth/api/v1/token-info`, with the user-info faults.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::credentials::{self, Credential, Source};
use super::error::{ApiFailure, AuthType, Challenge, Failure};
use super::fault::StandinFault;
use super::state::AppState;
use super::token::TokenData;

/// token-info's answer (null fields omitted).
#[derive(Debug, Serialize)]
struct TokenInfo<'a> {
    token: &'a str,
    username: &'a str,
    token_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
    scopes: Vec<&'a str>,
    created: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
}

/// `GET /auth/api/v1/user-info`: the token owner's identity, groups and
/// quotas.
pub async fn user_info(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    pause_if_slow(&state).await;
    let data = authenticate(&state, &headers)?;
    let fault = state.fault();
    match fault {
        Some(StandinFault::UserInfo500) => return Err(Failure::UserInfoFailed.into()),
        Some(StandinFault::GarbageJson) => {
            return Ok((
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"username\": \"",
            )
                .into_response())
        }
        _ => {}
    }
    let mut info = state.user_info(&data)?;
    match fault {
        Some(StandinFault::WrongUsername) => info.username = format!("not-{}", info.username),
        Some(StandinFault::WrongEmail) => {
            info.email = Some(match info.email {
                Some(email) => format!("not-{email}"),
                None => "someone-else@example.com".to_owned(),
            });
        }
        Some(StandinFault::NoUidGid) => {
            info.uid = None;
            info.gid = None;
        }
        _ => {}
    }
    Ok(Json(info).into_response())
}

/// `GET /auth/api/v1/token-info`: what the presented token is.
pub async fn token_info(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    pause_if_slow(&state).await;
    let data = authenticate(&state, &headers)?;
    let info = TokenInfo {
        token: &data.token.key,
        username: &data.username,
        token_type: data.token_type.as_str(),
        token_name: data.token_name.as_deref(),
        service: data.service.as_deref(),
        scopes: data.scopes.iter().map(String::as_str).collect(),
        created: data.created,
        expires: data.expires,
        parent: data.parent.as_deref(),
    };
    Ok(Json(info).into_response())
}

/// The `slow` fault: the answer comes only after the configured delay.
async fn pause_if_slow(state: &AppState) {
    if state.has_fault(StandinFault::Slow) {
        tokio::time::sleep(state.config().slow_delay).await;
    }
}

/// The realm of API challenges: the public host if configured, else the
/// host the request came to.
pub fn api_challenge(state: &AppState, headers: &HeaderMap) -> Challenge {
    let from_origin = state
        .public_origin()
        .and_then(|origin| reqwest::Url::parse(&origin).ok())
        .and_then(|url| url.host_str().map(str::to_owned));
    let from_host = || {
        headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .and_then(|host| reqwest::Url::parse(&format!("http://{host}")).ok())
            .and_then(|url| url.host_str().map(str::to_owned))
    };
    Challenge {
        auth_type: AuthType::Bearer,
        realm: from_origin.or_else(from_host).unwrap_or_default(),
    }
}

/// The challenge of an API route and the credential the request carries
/// (the cookie only when `allow_cookies`): `invalid_request` for a malformed
/// one, 401 `no_authorization` when there is none.
pub fn api_credential(
    state: &AppState,
    headers: &HeaderMap,
    allow_cookies: bool,
) -> Result<(Challenge, Credential), Failure> {
    let challenge = api_challenge(state, headers);
    let credential = credentials::find(headers, allow_cookies)
        .map_err(|message| Failure::InvalidRequest {
            challenge: challenge.clone(),
            message,
        })?
        .ok_or_else(|| Failure::NoAuthorization {
            challenge: challenge.clone(),
            ajax: false,
        })?;
    Ok((challenge, credential))
}

/// The caller's valid token on an API route (cookie, Bearer or Basic).
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<TokenData, Failure> {
    let (challenge, credential) = api_credential(state, headers, true)?;
    match (state.lookup(&credential.text), credential.source) {
        (Some(data), _) => Ok(data),
        (None, Source::Cookie) => Err(Failure::NoAuthorization {
            challenge,
            ajax: false,
        }),
        (None, Source::Bearer | Source::Basic) => Err(Failure::InvalidToken {
            challenge,
            message: "Token is not valid".to_owned(),
        }),
    }
}
