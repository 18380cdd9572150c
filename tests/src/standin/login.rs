//! `GET /login` and `GET /logout`: the browser session. In place of an
//! identity provider, `/login` logs in the configured user at once.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::clock;
use super::credentials::COOKIE_NAME;
use super::error::{ApiFailure, Failure};
use super::state::{AppState, NewToken};
use super::token::{Identity, TokenType};

/// The query of `/login` and `/logout`.
#[derive(Debug, Deserialize)]
pub struct RedirectQuery {
    /// Where to send the browser afterwards.
    rd: Option<String>,
}

/// `GET /login?rd=<url>`: a new session token for the login user, set as
/// the `gafaelfawr` cookie, then a redirect to `rd`.
pub async fn login(
    State(state): State<AppState>,
    query: Result<Query<RedirectQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let rd = redirect_target(&query, &headers).ok_or_else(|| {
        Failure::invalid_input("query", "rd", "missing", "No destination URL specified")
    })?;
    check_redirect(&state, &headers, &rd)?;
    let config = state.config();
    let scopes = config
        .user(&config.login_user)
        .map(|user| user.scopes.iter().cloned().collect())
        .unwrap_or_default();
    let now = clock::now();
    let data = state.issue(NewToken {
        username: config.login_user.clone(),
        token_type: TokenType::Session,
        token_name: None,
        scopes,
        created: now,
        expires: Some(now + config.token_lifetime.as_secs()),
        identity: Identity::default(),
    });
    let cookie = cookie(&format!("{COOKIE_NAME}={}", data.token));
    redirect(&rd, &cookie)
}

/// `GET /logout[?rd=<url>]`: clears the `gafaelfawr` cookie and redirects
/// to `rd`, or to `/`.
pub async fn logout(
    State(state): State<AppState>,
    query: Result<Query<RedirectQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    let rd = redirect_target(&query, &headers).unwrap_or_else(|| "/".to_owned());
    check_redirect(&state, &headers, &rd)?;
    let cookie = cookie(&format!(
        "{COOKIE_NAME}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    ));
    redirect(&rd, &cookie)
}

/// `rd` from the query, else from `X-Auth-Request-Redirect` as
/// Gafaelfawr also accepts.
fn redirect_target(
    query: &Result<Query<RedirectQuery>, QueryRejection>,
    headers: &HeaderMap,
) -> Option<String> {
    query
        .as_ref()
        .ok()
        .and_then(|Query(query)| query.rd.clone())
        .or_else(|| {
            headers
                .get("x-auth-request-redirect")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        })
        .filter(|rd| !rd.is_empty())
}

/// A `Set-Cookie` value with Gafaelfawr's attributes: the contract's
/// `gafaelfawr` cookie is always `Secure` and HttpOnly. (Browsers accept
/// `Secure` cookies from `http://127.0.0.1` and `http://localhost`, which
/// they treat as potentially trustworthy, so the loopback stack needs no
/// exception.)
fn cookie(pair: &str) -> String {
    format!("{pair}; Path=/; HttpOnly; SameSite=Lax; Secure")
}

fn redirect(rd: &str, cookie: &str) -> Result<Response, ApiFailure> {
    let location = HeaderValue::from_str(rd)
        .map_err(|_| Failure::invalid_input("query", "rd", "invalid_return_url", "Invalid URL"))?;
    let cookie = HeaderValue::from_str(cookie)
        .map_err(|_| Failure::invalid_input("query", "rd", "value_error", "Invalid cookie"))?;
    Ok((
        StatusCode::FOUND,
        [(header::LOCATION, location), (header::SET_COOKIE, cookie)],
    )
        .into_response())
}

/// Only relative URLs and URLs at the public origin (or, when none is
/// configured, at the host the request came to: `X-Forwarded-Host`, else
/// `Host`) are followed.
fn check_redirect(state: &AppState, headers: &HeaderMap, rd: &str) -> Result<(), Failure> {
    if rd.starts_with('/') && !rd.starts_with("//") && !rd.contains('\\') {
        return Ok(());
    }
    let refuse = |why: String| Failure::invalid_input("query", "rd", "invalid_return_url", why);
    let url = reqwest::Url::parse(rd).map_err(|_| refuse(format!("{rd} is not a valid URL")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse(format!("{rd} is not an http(s) URL")));
    }
    let origin = url.origin().ascii_serialization();
    let allowed = match state.public_origin() {
        Some(public) => origin == public.trim_end_matches('/'),
        None => {
            // Behind nginx the host asked for arrives as X-Forwarded-Host.
            let host = headers
                .get("x-forwarded-host")
                .or_else(|| headers.get(header::HOST))
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(refuse(format!("URL is not at an allowed origin: {rd}")))
    }
}
