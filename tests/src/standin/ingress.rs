//! The auth subrequest nginx makes for every protected request
//! (`GET /ingress/auth`) and for anonymous ones (`GET /ingress/anonymous`).

use std::collections::BTreeSet;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::api::api_challenge;
use super::clock;
use super::credentials::{self, Source};
use super::error::{Challenge, ErrorDetail, Failure, IngressFailure};
use super::fault::StandinFault;
use super::params::{AuthParams, Delegation};
use super::quota::RateLimit;
use super::state::{AppState, UserInfo};
use super::token::{DelegationKey, Token, TokenData, TokenType};

const X_AUTH_REQUEST_USER: HeaderName = HeaderName::from_static("x-auth-request-user");
const X_AUTH_REQUEST_EMAIL: HeaderName = HeaderName::from_static("x-auth-request-email");
const X_AUTH_REQUEST_SERVICE: HeaderName = HeaderName::from_static("x-auth-request-service");
const X_AUTH_REQUEST_TOKEN: HeaderName = HeaderName::from_static("x-auth-request-token");

/// `GET /ingress/auth`: decides whether nginx lets a request through and
/// which headers the backend sees.
pub async fn auth(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, IngressFailure> {
    state.hold().pass().await;
    let Query(pairs) = query.map_err(|rejection| {
        Failure::invalid_input("query", "", "value_error", rejection.body_text())
    })?;
    let params = AuthParams::parse(&pairs)?;
    let original_url = required_header(&headers, "X-Original-URL")?;
    let original_method = required_header(&headers, "X-Original-Method")?;
    // The contract asks only that X-Original-URL be present. The realm is
    // its host; a value without one (relative, or not a URL) is no error:
    // the realm is then that of the API routes.
    let original_host = reqwest::Url::parse(original_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned));
    let challenge = Challenge {
        auth_type: params.auth_type,
        realm: original_host
            .clone()
            .unwrap_or_else(|| api_challenge(&state, &headers).realm),
    };

    if original_method.eq_ignore_ascii_case("OPTIONS") {
        return options(&headers, &params, original_host.as_deref());
    }

    let data = authenticate(&state, &headers, &params, &challenge)?;
    authorize(&params, &data, original_host.as_deref(), &challenge)?;
    let user = state.user_info(&data)?;
    let rate_limit = count_request(&state, &params, &user, &challenge)?;

    let mut out = HeaderMap::new();
    insert(&mut out, X_AUTH_REQUEST_USER, &data.username);
    if let Some(email) = &user.email {
        insert(&mut out, X_AUTH_REQUEST_EMAIL, email);
    }
    if let (TokenType::Internal, Some(service)) = (data.token_type, &data.service) {
        insert(&mut out, X_AUTH_REQUEST_SERVICE, service);
    }
    let delegated = params.delegation.as_ref().map(|delegation| {
        let lifetime = params.required_lifetime().unwrap_or_default();
        delegate(&state, &data, delegation, lifetime)
    });
    if let Some(token) = &delegated {
        insert(&mut out, X_AUTH_REQUEST_TOKEN, &token.to_string());
    }
    match &delegated {
        Some(token) if params.use_authorization => {
            insert(&mut out, header::AUTHORIZATION, &format!("Bearer {token}"));
        }
        _ => reflect_authorization(&headers, &mut out),
    }
    reflect_cookies(&headers, &mut out);
    if let Some(limit) = rate_limit {
        limit.add_headers(&mut out);
    }
    Ok(ok(out))
}

/// `GET /ingress/anonymous`: lets everything through, stripping only
/// Gafaelfawr's credentials from what the backend sees.
pub async fn anonymous(headers: HeaderMap) -> Response {
    let mut out = HeaderMap::new();
    reflect_authorization(&headers, &mut out);
    reflect_cookies(&headers, &mut out);
    ok(out)
}

fn ok(headers: HeaderMap) -> Response {
    (StatusCode::OK, headers, Json(json!({"status": "ok"}))).into_response()
}

fn required_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Failure> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| Failure::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            details: vec![ErrorDetail::at("header", name, "missing", "Field required")],
        })
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn reflect_authorization(incoming: &HeaderMap, out: &mut HeaderMap) {
    for value in credentials::reflected_authorization(incoming) {
        out.append(header::AUTHORIZATION, value);
    }
}

fn reflect_cookies(incoming: &HeaderMap, out: &mut HeaderMap) {
    for value in credentials::reflected_cookies(incoming) {
        out.append(header::COOKIE, value);
    }
}

/// An `OPTIONS` request, which Gafaelfawr never authenticates: a CORS
/// preflight (`Origin` and `Access-Control-Request-Method`) passes when its
/// origin is the deployment's host (here: the host the user asked for);
/// any other `OPTIONS` passes only with `allow_options` and neither header,
/// and is otherwise refused with 404 `options_not_supported`.
fn options(
    headers: &HeaderMap,
    params: &AuthParams,
    original_host: Option<&str>,
) -> Result<Response, IngressFailure> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let preflight_method = headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let refused = |status, kind, message| {
        IngressFailure(Failure::OptionsRefused {
            status,
            kind,
            message,
        })
    };
    match (origin, preflight_method) {
        (Some(origin), true) => {
            let host = reqwest::Url::parse(origin)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned));
            if host.is_some() && host.as_deref() == original_host {
                Ok(ok(HeaderMap::new()))
            } else {
                Err(refused(
                    StatusCode::FORBIDDEN,
                    "cors_preflight_rejected",
                    "Cross-origin request not allowed",
                ))
            }
        }
        (None, false) if params.allow_options => Ok(ok(HeaderMap::new())),
        (None, false) => Err(refused(
            StatusCode::NOT_FOUND,
            "options_not_supported",
            "Non-CORS OPTIONS requests not supported",
        )),
        _ if params.allow_options => Err(refused(
            StatusCode::NOT_FOUND,
            "options_not_supported",
            "Malformed CORS request",
        )),
        _ => Err(refused(
            StatusCode::NOT_FOUND,
            "options_not_supported",
            "Non-CORS OPTIONS requests not supported",
        )),
    }
}

/// The caller's valid token, or the failure the contract gives for its
/// absence or invalidity.
fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    params: &AuthParams,
    challenge: &Challenge,
) -> Result<TokenData, Failure> {
    let ajax = headers
        .get("x-requested-with")
        .is_some_and(|value| value.as_bytes() == b"XMLHttpRequest");
    let no_authorization = || Failure::NoAuthorization {
        challenge: challenge.clone(),
        ajax,
    };
    let credential = credentials::find(headers, params.allow_cookies)
        .map_err(|message| Failure::InvalidRequest {
            challenge: challenge.clone(),
            message,
        })?
        .ok_or_else(no_authorization)?;
    match (state.lookup(&credential.text), credential.source) {
        (Some(data), _) => Ok(data),
        (None, Source::Cookie) => Err(no_authorization()),
        (None, Source::Bearer | Source::Basic) => Err(Failure::InvalidToken {
            challenge: challenge.clone(),
            message: "Token is not valid".to_owned(),
        }),
    }
}

/// Applies the ingress's restrictions: service, username, user domain
/// (against `host`, the host of `X-Original-URL`: none never matches),
/// token lifetime, then scopes. Gafaelfawr checks the lifetime and scopes
/// first; only a request failing two at once sees the difference
/// (`docs/gafaelfawr-contract.md`).
fn authorize(
    params: &AuthParams,
    data: &TokenData,
    host: Option<&str>,
    challenge: &Challenge,
) -> Result<(), Failure> {
    let refuse = |message: &str| Failure::InsufficientScope {
        challenge: challenge.clone(),
        message: message.to_owned(),
        scopes: None,
    };
    if !params.only_services.is_empty()
        && !data
            .service
            .as_ref()
            .is_some_and(|service| params.only_services.contains(service))
    {
        return Err(refuse("Token not authorized for this service"));
    }
    if params
        .username
        .as_ref()
        .is_some_and(|username| *username != data.username)
    {
        return Err(refuse("Access not allowed for this user"));
    }
    if params.user_domain
        && host.and_then(|host| host.split('.').next()) != Some(data.username.as_str())
    {
        return Err(refuse("Access not allowed for this user"));
    }
    if let Some(required) = params.required_lifetime() {
        if data
            .remaining(clock::now())
            .is_some_and(|left| left < required)
        {
            return Err(Failure::LifetimeTooShort {
                challenge: challenge.clone(),
            });
        }
    }
    if !params.authorizes(&data.scopes) {
        return Err(Failure::InsufficientScope {
            challenge: challenge.clone(),
            message: "Token missing required scope".to_owned(),
            scopes: Some(params.scopes.clone()),
        });
    }
    Ok(())
}

/// Counts the request against the user's API quota for `service`, if the
/// user has one.
fn count_request(
    state: &AppState,
    params: &AuthParams,
    user: &UserInfo,
    challenge: &Challenge,
) -> Result<Option<RateLimit>, Failure> {
    let Some(service) = &params.service else {
        return Ok(None);
    };
    let Some(limit) = user
        .quota
        .as_ref()
        .and_then(|quota| quota.api.get(service).copied())
    else {
        return Ok(None);
    };
    if limit == 0 {
        return Err(Failure::InsufficientScope {
            challenge: challenge.clone(),
            message: format!("API access to {service} not allowed"),
            scopes: None,
        });
    }
    state
        .with_quotas(|quotas| quotas.hit(&user.username, service, limit, clock::now()))
        .map(Some)
        .map_err(Failure::RateLimited)
}

/// The token delegated to the backend, reused when an identical one is
/// still valid long enough.
fn delegate(state: &AppState, parent: &TokenData, delegation: &Delegation, lifetime: u64) -> Token {
    let (token_type, mut service, mut scopes) = match delegation {
        Delegation::Notebook => (TokenType::Notebook, None, parent.scopes.clone()),
        Delegation::Internal { service, scopes } => (
            TokenType::Internal,
            Some(service.clone()),
            scopes.intersection(&parent.scopes).cloned().collect(),
        ),
    };
    match state.fault() {
        Some(StandinFault::DelegatedScopes) => {
            scopes.extend(state.config().known_scopes.keys().cloned());
        }
        Some(StandinFault::DelegatedOtherService) => {
            service = service.map(|service| format!("{service}-other"));
        }
        _ => {}
    }
    let key = DelegationKey {
        parent: parent.token.key.clone(),
        service: service.clone(),
        scopes: scopes.clone(),
    };
    let now = clock::now();
    state.with_tokens(|store| {
        store.delegate(key, lifetime, now, || TokenData {
            token: Token::generate(),
            username: parent.username.clone(),
            token_type,
            token_name: None,
            service,
            scopes: scopes.into_iter().collect::<BTreeSet<_>>(),
            created: now,
            expires: parent.expires,
            parent: Some(parent.token.key.clone()),
            identity: parent.identity.clone(),
        })
    })
}
