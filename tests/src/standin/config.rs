//! The stand-in's configuration: its users, Gafaelfawr's known scopes, the
//! bootstrap token, the login user and the chosen fault. Read from YAML
//! (`tests/stack/users.yaml`) or built in code by a test.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::fault::StandinFault;
pub use super::token::GroupConfig;
use super::token::Token;

/// The demo configuration shipped with the stack.
const DEMO_YAML: &str = include_str!("../../stack/users.yaml");

/// Everything the stand-in needs to know before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandinConfig {
    /// The users the stand-in knows, as its user directory (LDAP) would.
    pub users: Vec<UserConfig>,
    /// Gafaelfawr's `knownScopes`: scope name → description.
    pub known_scopes: BTreeMap<String, String>,
    /// The bootstrap token (`gt-<22>.<22>`), accepted only by the admin
    /// route `POST /auth/api/v1/tokens`.
    pub bootstrap_token: String,
    /// The user `/login` logs in, in place of an identity provider.
    pub login_user: String,
    /// The public origin (`scheme://host[:port]`) `/login` may redirect to.
    /// When unset, an absolute `rd` must name the host the request came to.
    #[serde(default)]
    pub public_origin: Option<String>,
    /// Gafaelfawr's `quota.default`: the quota of every user the directory
    /// does not list, such as the `bot-` users of service tokens minted
    /// with the bootstrap token. Listed users carry their whole quota in
    /// [`UserConfig::quota`] (the default and group grants already applied).
    #[serde(default)]
    pub default_quota: Option<QuotaConfig>,
    /// The fault to start with, if any.
    #[serde(default)]
    pub fault: Option<StandinFault>,
    /// How long `user-info` and `token-info` wait under the `slow` fault.
    #[serde(
        rename = "slow_delay_ms",
        default = "default_slow_delay",
        with = "millis"
    )]
    pub slow_delay: Duration,
    /// Lifetime of session tokens made by `/login` and of tokens made by
    /// [`super::Standin::issue_token`].
    #[serde(
        rename = "token_lifetime_seconds",
        default = "default_token_lifetime",
        with = "seconds"
    )]
    pub token_lifetime: Duration,
}

/// One user of the directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The username.
    pub username: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Numeric user id.
    #[serde(default)]
    pub uid: Option<u64>,
    /// Numeric primary group id.
    #[serde(default)]
    pub gid: Option<u64>,
    /// Group memberships.
    #[serde(default)]
    pub groups: Vec<GroupConfig>,
    /// Scopes of the user's session tokens (from `/login`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The user's quotas, as user-info reports them.
    #[serde(default)]
    pub quota: Option<QuotaConfig>,
}

/// A user's quotas, in user-info's format: `{"api": {service:
/// per-minute}, "notebook"?: {"cpu", "memory", "spawn"}, "tap"?: {...}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// API requests per minute, by service name.
    #[serde(default)]
    pub api: BTreeMap<String, u64>,
    /// Notebook quota, passed through to user-info.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notebook: Option<NotebookQuota>,
    /// TAP quota, passed through to user-info as given (the contract
    /// leaves its contents open: `"tap"?: {...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The notebook part of a quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotebookQuota {
    /// CPU equivalents (may be fractional, e.g. 0.5).
    pub cpu: f64,
    /// Memory in GiB (may be fractional, e.g. 1.5).
    pub memory: f64,
    /// Whether the user may spawn a lab.
    #[serde(default = "default_spawn")]
    pub spawn: bool,
}

fn default_spawn() -> bool {
    true
}

fn default_slow_delay() -> Duration {
    Duration::from_secs(10)
}

fn default_token_lifetime() -> Duration {
    Duration::from_secs(30 * 24 * 60 * 60)
}

impl StandinConfig {
    /// Reads and validates a YAML configuration file.
    pub fn from_yaml_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        Self::from_yaml_str(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Parses and validates YAML configuration text.
    pub fn from_yaml_str(text: &str) -> Result<Self, String> {
        let config: StandinConfig = yaml_serde::from_str(text)
            .map_err(|error| format!("invalid stand-in configuration: {error}"))?;
        config.validate()?;
        Ok(config)
    }

    /// The demo configuration (`tests/stack/users.yaml`): user `someuser`
    /// logs in and has an API quota of 1 request per minute for
    /// `muster-quota`.
    pub fn demo() -> Self {
        match Self::from_yaml_str(DEMO_YAML) {
            Ok(config) => config,
            // The file is part of this crate and tested; a broken one is a bug.
            Err(error) => panic!("tests/stack/users.yaml: {error}"),
        }
    }

    /// The user called `username`, if the directory has one.
    pub fn user(&self, username: &str) -> Option<&UserConfig> {
        self.users.iter().find(|user| user.username == username)
    }

    /// Checks what serde cannot: token formats, references between fields
    /// and scopes that Gafaelfawr would not know.
    pub fn validate(&self) -> Result<(), String> {
        if Token::parse(&self.bootstrap_token).is_none() {
            return Err(format!(
                "bootstrap_token {:?} is not of the form gt-<22 chars>.<22 chars>",
                self.bootstrap_token
            ));
        }
        if self.user(&self.login_user).is_none() {
            return Err(format!(
                "login_user {:?} is not one of the users",
                self.login_user
            ));
        }
        for (index, user) in self.users.iter().enumerate() {
            if self.users[..index]
                .iter()
                .any(|other| other.username == user.username)
            {
                return Err(format!("user {:?} is listed twice", user.username));
            }
            if let Some(scope) = user
                .scopes
                .iter()
                .find(|scope| !self.known_scopes.contains_key(*scope))
            {
                return Err(format!(
                    "user {:?} has scope {scope:?}, which is not in known_scopes",
                    user.username
                ));
            }
        }
        if let Some(origin) = &self.public_origin {
            let url = reqwest::Url::parse(origin)
                .map_err(|error| format!("public_origin {origin:?}: {error}"))?;
            if url.origin().ascii_serialization() != origin.trim_end_matches('/') {
                return Err(format!(
                    "public_origin {origin:?} must be scheme://host[:port] only"
                ));
            }
        }
        Ok(())
    }
}

/// (De)serialises a [`Duration`] as whole milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

/// (De)serialises a [`Duration`] as whole seconds.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_secs)
    }
}
