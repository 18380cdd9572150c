//! The admin route that mints tokens, `POST /auth/api/v1/tokens`, with
//! Gafaelfawr's validation of the request body.

use std::collections::BTreeSet;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::api::api_credential;
use super::clock;
use super::config::GroupConfig;
use super::credentials::Source;
use super::error::{ApiFailure, ErrorDetail, Failure};
use super::params::MINIMUM_LIFETIME;
use super::state::{AppState, NewToken};
use super::token::{Identity, TokenType};

/// The scope that allows minting tokens for anyone.
const ADMIN_SCOPE: &str = "admin:token";

/// A validated mint request.
struct MintRequest {
    username: String,
    token_type: TokenType,
    token_name: Option<String>,
    scopes: BTreeSet<String>,
    expires: Option<i64>,
    identity: Identity,
}

/// `POST /auth/api/v1/tokens`: mints a user or service token for anyone,
/// for the bootstrap token or a token with `admin:token`.
pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiFailure> {
    require_admin(&state, &headers)?;
    let Json(body) = body.map_err(|rejection| Failure::Client {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        details: vec![ErrorDetail {
            loc: Some(vec!["body".to_owned()]),
            msg: rejection.body_text(),
            kind: "json_invalid".to_owned(),
        }],
    })?;
    let request = parse(&body)?;
    check(&state, &request)?;
    let data = state.issue(NewToken {
        username: request.username,
        token_type: request.token_type,
        token_name: request.token_name,
        scopes: request.scopes,
        created: clock::now(),
        expires: request
            .expires
            .and_then(|expires| u64::try_from(expires).ok()),
        identity: request.identity,
    });
    let location = format!(
        "/auth/api/v1/users/{}/tokens/{}",
        data.username, data.token.key
    );
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json!({"token": data.token.to_string()})),
    )
        .into_response())
}

/// Accepts `Authorization: Bearer <bootstrap token>` or a valid token
/// with `admin:token`.
fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), Failure> {
    // Minting takes the token from Authorization only, never the cookie.
    let (challenge, credential) = api_credential(state, headers, false)?;
    // Only as Bearer, the way muster-check sends it (Gafaelfawr also takes
    // Basic: docs/gafaelfawr-contract.md). Given any other way it is just
    // an unknown token (401 below).
    if credential.source == Source::Bearer && credential.text == state.config().bootstrap_token {
        return Ok(());
    }
    let data = state
        .lookup(&credential.text)
        .ok_or_else(|| Failure::InvalidToken {
            challenge: challenge.clone(),
            message: "Token is not valid".to_owned(),
        })?;
    if data.scopes.contains(ADMIN_SCOPE) {
        Ok(())
    } else {
        Err(Failure::InsufficientScope {
            challenge,
            message: format!("Token does not have required scope {ADMIN_SCOPE}"),
            scopes: Some(BTreeSet::from([ADMIN_SCOPE.to_owned()])),
        })
    }
}

/// Field-by-field validation, every problem reported at once (422).
fn parse(body: &Value) -> Result<MintRequest, Failure> {
    let mut errors = Vec::new();
    let empty = Map::new();
    let fields = match body.as_object() {
        Some(fields) => fields,
        None => {
            errors.push(ErrorDetail {
                loc: Some(vec!["body".to_owned()]),
                msg: "Input should be a valid dictionary".to_owned(),
                kind: "model_attributes_type".to_owned(),
            });
            &empty
        }
    };
    let field = |name: &str| fields.get(name).filter(|value| !value.is_null());
    let mut error = |name: &str, kind: &str, msg: &str| {
        errors.push(ErrorDetail::at("body", name, kind, msg));
    };

    let username = match field("username").map(Value::as_str) {
        None => {
            error("username", "missing", "Field required");
            None
        }
        Some(Some(name)) if valid_username(name) => Some(name.to_owned()),
        Some(_) => {
            error(
                "username",
                "string_pattern_mismatch",
                "Username must be 1-64 lowercase letters, digits and single dashes, with a letter",
            );
            None
        }
    };
    let token_type = match field("token_type").map(Value::as_str) {
        None => {
            error("token_type", "missing", "Field required");
            None
        }
        Some(Some("user")) => Some(TokenType::User),
        Some(Some("service")) => Some(TokenType::Service),
        Some(_) => {
            error("token_type", "enum", "Input should be 'service' or 'user'");
            None
        }
    };
    let token_name = match field("token_name").map(Value::as_str) {
        None => None,
        Some(Some(name)) if (1..=64).contains(&name.chars().count()) => Some(name.to_owned()),
        Some(_) => {
            error(
                "token_name",
                "string_type",
                "Token name must be 1-64 characters",
            );
            None
        }
    };
    match (token_type, &token_name) {
        (Some(TokenType::User), None) => error(
            "token_name",
            "value_error",
            "token_name must be provided for user tokens",
        ),
        (Some(TokenType::Service), Some(_)) => error(
            "token_name",
            "value_error",
            "token_name not allowed for service tokens",
        ),
        _ => {}
    }
    let scopes = match field("scopes") {
        None => Some(BTreeSet::new()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Some(_) => {
            error("scopes", "list_type", "Input should be a list of strings");
            None
        }
    };
    let expires = match field("expires") {
        None => None,
        Some(value) => match clock::parse_expires(value) {
            Some(epoch) => Some(epoch),
            None => {
                error(
                    "expires",
                    "datetime_parsing",
                    "Input should be epoch seconds or an ISO 8601 date-time",
                );
                None
            }
        },
    };
    let mut text = |name: &str| match field(name).map(Value::as_str) {
        None => None,
        Some(Some(value)) => Some(value.to_owned()),
        Some(None) => {
            error(name, "string_type", "Input should be a valid string");
            None
        }
    };
    let name = text("name");
    let email = text("email");
    let mut id = |name: &str| match field(name).map(Value::as_u64) {
        None => None,
        Some(Some(value)) if value >= 1 => Some(value),
        Some(_) => {
            error(name, "int_type", "Input should be a positive integer");
            None
        }
    };
    let uid = id("uid");
    let gid = id("gid");
    let groups = match field("groups") {
        None => None,
        Some(value) => match serde_json::from_value::<Vec<GroupConfig>>(value.clone()) {
            Ok(groups) => Some(groups),
            Err(_) => {
                error(
                    "groups",
                    "list_type",
                    "Input should be a list of {\"name\", \"id\"}",
                );
                None
            }
        },
    };

    match (username, token_type, scopes) {
        (Some(username), Some(token_type), Some(scopes)) if errors.is_empty() => Ok(MintRequest {
            username,
            token_type,
            token_name,
            scopes,
            expires,
            identity: Identity {
                name,
                email,
                uid,
                gid,
                groups,
            },
        }),
        _ => Err(Failure::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            details: errors,
        }),
    }
}

/// Gafaelfawr's rules beyond the shape of the body.
fn check(state: &AppState, request: &MintRequest) -> Result<(), Failure> {
    if request.token_type == TokenType::Service && !request.username.starts_with("bot-") {
        return Err(Failure::Client {
            status: StatusCode::FORBIDDEN,
            details: vec![ErrorDetail::at(
                "body",
                "username",
                "permission_denied",
                "Service tokens must be for a username starting with bot-",
            )],
        });
    }
    let known = &state.config().known_scopes;
    let unknown: Vec<&str> = request
        .scopes
        .iter()
        .filter(|scope| !known.contains_key(*scope))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(Failure::invalid_input(
            "body",
            "scopes",
            "invalid_scopes",
            format!("Unknown scopes requested: {}", unknown.join(", ")),
        ));
    }
    let earliest = i64::try_from(clock::now() + MINIMUM_LIFETIME).unwrap_or(i64::MAX);
    if request.expires.is_some_and(|expires| expires < earliest) {
        return Err(Failure::invalid_input(
            "body",
            "expires",
            "invalid_expires",
            "Token must be valid for at least five minutes",
        ));
    }
    if let Some(name) = &request.token_name {
        if state.with_tokens(|store| store.has_token_name(&request.username, name)) {
            return Err(Failure::invalid_input(
                "body",
                "token_name",
                "duplicate_token_name",
                format!("Token name {name} already used"),
            ));
        }
    }
    Ok(())
}

/// Lowercase DNS-like: 1–64 of `[a-z0-9-]`, no leading, trailing or doubled
/// dash, and at least one letter (so it cannot be mistaken for a uid).
fn valid_username(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
        && name.bytes().any(|b| b.is_ascii_lowercase())
}
