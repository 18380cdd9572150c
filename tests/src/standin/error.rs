//! Failures and how Gafaelfawr reports them: the failure table of
//! `docs/gafaelfawr-contract.md` for the auth subrequest (where nginx
//! accepts only 401 and 403, so other statuses travel in `X-Error-Status`),
//! and plain statuses on the API.

use std::collections::BTreeSet;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::clock;
use super::quota::RateLimit;

/// The status nginx's `@autherror` location will answer with.
const X_ERROR_STATUS: HeaderName = HeaderName::from_static("x-error-status");
/// The body nginx's `@autherror` location will answer with.
const X_ERROR_BODY: HeaderName = HeaderName::from_static("x-error-body");

/// The HTTP authentication scheme a route challenges with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// `WWW-Authenticate: Bearer …` (the default).
    Bearer,
    /// `WWW-Authenticate: Basic realm="…"`.
    Basic,
}

/// What a `WWW-Authenticate` challenge is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The scheme.
    pub auth_type: AuthType,
    /// The realm: the host the user asked for.
    pub realm: String,
}

impl Challenge {
    /// `Bearer realm="…"` or `Basic realm="…"`.
    fn plain(&self) -> String {
        match self.auth_type {
            AuthType::Bearer => format!("Bearer realm=\"{}\"", self.realm),
            AuthType::Basic => format!("Basic realm=\"{}\"", self.realm),
        }
    }

    /// A Bearer challenge carrying an RFC 6750 error (Basic challenges
    /// carry none).
    fn with_error(
        &self,
        error: &str,
        description: &str,
        scopes: Option<&BTreeSet<String>>,
    ) -> String {
        if self.auth_type == AuthType::Basic {
            return self.plain();
        }
        let mut value = format!(
            "{}, error=\"{error}\", error_description=\"{description}\"",
            self.plain()
        );
        if let Some(scopes) = scopes {
            let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
            value.push_str(&format!(", scope=\"{}\"", scopes.join(" ")));
        }
        value
    }
}

/// One entry of a `{"detail": [...]}` error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    /// Where the problem is (`["body", "scopes"]`), when it is in the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc: Option<Vec<String>>,
    /// What went wrong, for a person.
    pub msg: String,
    /// A stable machine-readable code.
    #[serde(rename = "type")]
    pub kind: String,
}

impl ErrorDetail {
    /// A detail without a location.
    pub fn new(kind: &str, msg: impl Into<String>) -> Self {
        ErrorDetail {
            loc: None,
            msg: msg.into(),
            kind: kind.to_owned(),
        }
    }

    /// A detail about one input field (`loc` = `[place, field]`).
    pub fn at(place: &str, field: &str, kind: &str, msg: impl Into<String>) -> Self {
        ErrorDetail {
            loc: Some(vec![place.to_owned(), field.to_owned()]),
            msg: msg.into(),
            kind: kind.to_owned(),
        }
    }
}

/// Why a request failed, independent of the route reporting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No credentials, or a cookie that does not hold a valid token.
    NoAuthorization {
        /// The challenge to send.
        challenge: Challenge,
        /// `X-Requested-With: XMLHttpRequest` was sent (403 instead of 401).
        ajax: bool,
    },
    /// A malformed `Authorization` header.
    InvalidRequest {
        /// The challenge to send.
        challenge: Challenge,
        /// What is wrong with it.
        message: String,
    },
    /// A token that is malformed, unknown or expired.
    InvalidToken {
        /// The challenge to send.
        challenge: Challenge,
        /// What is wrong with it.
        message: String,
    },
    /// The token lacks a scope, or is not allowed here for another reason.
    InsufficientScope {
        /// The challenge to send.
        challenge: Challenge,
        /// Why access is refused.
        message: String,
        /// The required scopes, when a scope is what is missing.
        scopes: Option<BTreeSet<String>>,
    },
    /// The token expires sooner than `minimum_lifetime` allows.
    LifetimeTooShort {
        /// The challenge to send.
        challenge: Challenge,
    },
    /// An `OPTIONS` request Gafaelfawr does not let through (it never
    /// authenticates one, so there is no challenge).
    OptionsRefused {
        /// 404 for a request that is no CORS preflight, 403 for a
        /// preflight from a foreign origin.
        status: StatusCode,
        /// The body's error type.
        kind: &'static str,
        /// What is wrong.
        message: &'static str,
    },
    /// The user's API quota for the service is used up.
    RateLimited(RateLimit),
    /// The user directory could not be read.
    UserInfoFailed,
    /// A client error with an explicit status (422 validation, 403
    /// permission denied, 404…).
    Client {
        /// The status to answer with.
        status: StatusCode,
        /// The body's details.
        details: Vec<ErrorDetail>,
    },
}

impl Failure {
    /// A 422 for one bad input field.
    pub fn invalid_input(place: &str, field: &str, kind: &str, msg: impl Into<String>) -> Self {
        Failure::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            details: vec![ErrorDetail::at(place, field, kind, msg)],
        }
    }

    /// The response parts shared by both routes: status, headers, body.
    fn parts(&self) -> (StatusCode, HeaderMap, serde_json::Value) {
        let mut headers = HeaderMap::new();
        let detail = |kind: &str, msg: &str| json!({ "detail": [ErrorDetail::new(kind, msg)] });
        let (status, body) = match self {
            Failure::NoAuthorization { challenge, .. } => {
                set(&mut headers, header::WWW_AUTHENTICATE, &challenge.plain());
                (
                    StatusCode::UNAUTHORIZED,
                    json!({"detail": {"msg": "Authentication required", "type": "no_authorization"}}),
                )
            }
            Failure::InvalidRequest { challenge, message } => {
                let value = challenge.with_error("invalid_request", message, None);
                set(&mut headers, header::WWW_AUTHENTICATE, &value);
                (StatusCode::BAD_REQUEST, detail("invalid_request", message))
            }
            Failure::InvalidToken { challenge, message } => {
                let value = challenge.with_error("invalid_token", message, None);
                set(&mut headers, header::WWW_AUTHENTICATE, &value);
                (StatusCode::UNAUTHORIZED, detail("invalid_token", message))
            }
            Failure::InsufficientScope {
                challenge,
                message,
                scopes,
            } => {
                let value = challenge.with_error("insufficient_scope", message, scopes.as_ref());
                set(&mut headers, header::WWW_AUTHENTICATE, &value);
                (StatusCode::FORBIDDEN, detail("insufficient_scope", message))
            }
            Failure::LifetimeTooShort { challenge } => {
                let message = "Remaining token lifetime too short";
                let value = challenge.with_error("invalid_token", message, None);
                set(&mut headers, header::WWW_AUTHENTICATE, &value);
                (StatusCode::UNAUTHORIZED, detail("invalid_token", message))
            }
            Failure::OptionsRefused {
                status,
                kind,
                message,
            } => (*status, detail(kind, message)),
            Failure::RateLimited(limit) => {
                set(
                    &mut headers,
                    header::RETRY_AFTER,
                    &clock::http_date(limit.reset),
                );
                limit.add_headers(&mut headers);
                let message = format!(
                    "Rate limit ({}/minute) exceeded for {}",
                    limit.limit, limit.resource
                );
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    detail("rate_limited", &message),
                )
            }
            Failure::UserInfoFailed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                detail("user_info_failed", "Unable to get user information"),
            ),
            Failure::Client { status, details } => (*status, json!({ "detail": details })),
        };
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store"),
        );
        (status, headers, body)
    }
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// A failure answered to nginx's auth subrequest: statuses other than 401
/// and 403 become 403 with `X-Error-Status` and `X-Error-Body`.
#[derive(Debug)]
pub struct IngressFailure(pub Failure);

impl From<Failure> for IngressFailure {
    fn from(failure: Failure) -> Self {
        IngressFailure(failure)
    }
}

impl IntoResponse for IngressFailure {
    fn into_response(self) -> Response {
        let (status, mut headers, body) = self.0.parts();
        let reported = match &self.0 {
            Failure::NoAuthorization { ajax: true, .. } => Some(StatusCode::FORBIDDEN),
            Failure::NoAuthorization { .. } | Failure::LifetimeTooShort { .. } => None,
            Failure::InvalidRequest { .. }
            | Failure::InvalidToken { .. }
            | Failure::InsufficientScope { .. }
            | Failure::OptionsRefused { .. }
            | Failure::RateLimited(_) => {
                set(&mut headers, X_ERROR_STATUS, status.as_str());
                set(&mut headers, X_ERROR_BODY, &body.to_string());
                (status != StatusCode::UNAUTHORIZED).then_some(StatusCode::FORBIDDEN)
            }
            Failure::UserInfoFailed | Failure::Client { .. } => None,
        };
        (reported.unwrap_or(status), headers, axum::Json(body)).into_response()
    }
}

/// A failure answered on the `/auth/api/v1` routes and `/login`, with its
/// own status.
#[derive(Debug)]
pub struct ApiFailure(pub Failure);

impl From<Failure> for ApiFailure {
    fn from(failure: Failure) -> Self {
        ApiFailure(failure)
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let (status, headers, body) = self.0.parts();
        (status, headers, axum::Json(body)).into_response()
    }
}
