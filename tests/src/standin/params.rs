//! The query parameters of `GET /ingress/auth`, parsed and validated the
//! way Gafaelfawr's FastAPI route does (bad values → 422).

use std::collections::BTreeSet;

use super::error::{AuthType, ErrorDetail, Failure};

/// Lowest `minimum_lifetime` accepted, and the default when delegating.
pub const MINIMUM_LIFETIME: u64 = 300;

/// Whether all or any of the `scope` parameters must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Satisfy {
    /// Every listed scope (the default).
    All,
    /// At least one listed scope.
    Any,
}

/// A token to make for the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delegation {
    /// `notebook=true`: a notebook token with all the caller's scopes.
    Notebook,
    /// `delegate_to=<service>`: an internal token for the service with the
    /// `delegate_scope`s the caller holds.
    Internal {
        /// The service delegated to.
        service: String,
        /// The requested scopes.
        scopes: BTreeSet<String>,
    },
}

/// Everything an ingress asked of the auth subrequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParams {
    /// Required scopes.
    pub scopes: BTreeSet<String>,
    /// How `scopes` combine.
    pub satisfy: Satisfy,
    /// The challenge scheme.
    pub auth_type: AuthType,
    /// The token to delegate, if any.
    pub delegation: Option<Delegation>,
    /// Seconds of token validity required (defaults to 300 when delegating).
    pub minimum_lifetime: Option<u64>,
    /// Send the delegated token as `Authorization: Bearer`.
    pub use_authorization: bool,
    /// The service being protected (for quotas).
    pub service: Option<String>,
    /// Only internal tokens for these services are accepted (empty: any).
    pub only_services: BTreeSet<String>,
    /// Only this user is accepted.
    pub username: Option<String>,
    /// The host's first label must be the username.
    pub user_domain: bool,
    /// Whether the `gafaelfawr` cookie counts as a credential.
    pub allow_cookies: bool,
    /// Whether OPTIONS requests pass without authentication.
    pub allow_options: bool,
}

impl AuthParams {
    /// Parses the query's `(name, value)` pairs; unknown names are ignored
    /// and a repeated single-valued parameter keeps its last value.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Failure> {
        let mut errors = Vec::new();
        let mut scopes = BTreeSet::new();
        let mut delegate_scopes = BTreeSet::new();
        let mut only_services = BTreeSet::new();
        let mut satisfy = Satisfy::All;
        let mut auth_type = AuthType::Bearer;
        let mut notebook = false;
        let mut delegate_to = None;
        let mut minimum_lifetime = None;
        let mut use_authorization = false;
        let mut service = None;
        let mut username = None;
        let mut user_domain = false;
        let mut allow_cookies = true;
        let mut allow_options = false;

        for (name, value) in pairs {
            match name.as_str() {
                "scope" => {
                    scopes.insert(value.clone());
                }
                "delegate_scope" => {
                    delegate_scopes.insert(value.clone());
                }
                "only_service" => {
                    only_services.insert(value.clone());
                }
                "satisfy" => match value.as_str() {
                    "all" => satisfy = Satisfy::All,
                    "any" => satisfy = Satisfy::Any,
                    _ => errors.push(invalid(name, "enum", "Input should be 'all' or 'any'")),
                },
                "auth_type" => match value.as_str() {
                    "bearer" => auth_type = AuthType::Bearer,
                    "basic" => auth_type = AuthType::Basic,
                    _ => errors.push(invalid(name, "enum", "Input should be 'basic' or 'bearer'")),
                },
                "notebook" => set_flag(&mut notebook, name, value, &mut errors),
                "use_authorization" => set_flag(&mut use_authorization, name, value, &mut errors),
                "user_domain" => set_flag(&mut user_domain, name, value, &mut errors),
                "allow_cookies" => set_flag(&mut allow_cookies, name, value, &mut errors),
                "allow_options" => set_flag(&mut allow_options, name, value, &mut errors),
                "delegate_to" => delegate_to = Some(value.clone()),
                "service" => service = Some(value.clone()),
                "username" => username = Some(value.clone()),
                "minimum_lifetime" => match value.parse::<u64>() {
                    Ok(seconds) if seconds >= MINIMUM_LIFETIME => minimum_lifetime = Some(seconds),
                    Ok(_) => errors.push(invalid(
                        name,
                        "greater_than_equal",
                        format!("Input should be greater than or equal to {MINIMUM_LIFETIME}"),
                    )),
                    Err(_) => errors.push(invalid(
                        name,
                        "int_parsing",
                        "Input should be a valid integer",
                    )),
                },
                _ => {}
            }
        }

        let delegation = match (notebook, delegate_to) {
            (true, Some(_)) => {
                errors.push(invalid(
                    "delegate_to",
                    "value_error",
                    "delegate_to cannot be set for notebook tokens",
                ));
                None
            }
            (true, None) => Some(Delegation::Notebook),
            (false, Some(service)) => Some(Delegation::Internal {
                service,
                scopes: delegate_scopes.clone(),
            }),
            (false, None) => None,
        };
        if !matches!(delegation, Some(Delegation::Internal { .. })) && !delegate_scopes.is_empty() {
            errors.push(invalid(
                "delegate_scope",
                "value_error",
                "delegate_scope only allowed with delegate_to",
            ));
        }
        if let (
            Some(service),
            Some(Delegation::Internal {
                service: target, ..
            }),
        ) = (&service, &delegation)
        {
            if service != target {
                errors.push(invalid(
                    "service",
                    "value_error",
                    "service must match delegate_to",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Failure::Client {
                status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                details: errors,
            });
        }
        Ok(AuthParams {
            scopes,
            satisfy,
            auth_type,
            delegation,
            minimum_lifetime,
            use_authorization,
            service,
            only_services,
            username,
            user_domain,
            allow_cookies,
            allow_options,
        })
    }

    /// The lifetime the caller's token must still have, if any.
    pub fn required_lifetime(&self) -> Option<u64> {
        self.minimum_lifetime
            .or_else(|| self.delegation.as_ref().map(|_| MINIMUM_LIFETIME))
    }

    /// Whether a token holding `held` satisfies the required scopes.
    pub fn authorizes(&self, held: &BTreeSet<String>) -> bool {
        match self.satisfy {
            Satisfy::All => self.scopes.is_subset(held),
            Satisfy::Any => self.scopes.iter().any(|scope| held.contains(scope)),
        }
    }
}

fn invalid(name: &str, kind: &str, msg: impl Into<String>) -> ErrorDetail {
    ErrorDetail::at("query", name, kind, msg)
}

/// Sets `target` from a boolean parameter, or records why it cannot.
fn set_flag(target: &mut bool, name: &str, value: &str, errors: &mut Vec<ErrorDetail>) {
    match parse_bool(value) {
        Some(parsed) => *target = parsed,
        None => errors.push(invalid(
            name,
            "bool_parsing",
            "Input should be a valid boolean",
        )),
    }
}

/// Booleans as FastAPI accepts them.
fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}
