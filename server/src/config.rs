//! The server's configuration: read once from the environment at start-up,
//! validated, and passed in. Nothing else reads environment variables.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogProfile {
    /// One JSON object per line, for log collectors.
    Production,
    /// Human-readable lines.
    Development,
}

/// Everything the server needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Path prefix of the public routes, e.g. `/muster` (no trailing slash).
    pub path_prefix: String,
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory holding trunk's build output (`index.html` and assets).
    pub assets_dir: PathBuf,
    /// Log filter directive, e.g. `info`.
    pub log_level: String,
    /// Log line format.
    pub log_profile: LogProfile,
}

/// A configuration problem, naming the variable at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable that holds the bad value.
    pub variable: &'static str,
    /// What is wrong with it and what is expected.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

const DEFAULT_ASSETS_DIR: &str = "/app/dist";

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads the configuration from a map of variables (the environment, or
    /// a test's own map).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        Ok(Self {
            path_prefix: parse_prefix(get("MUSTER_PATH_PREFIX").unwrap_or("/muster"))?,
            bind: parse_bind(get("MUSTER_BIND").unwrap_or("0.0.0.0:8080"))?,
            assets_dir: PathBuf::from(get("MUSTER_ASSETS_DIR").unwrap_or(DEFAULT_ASSETS_DIR)),
            log_level: parse_log_level(get("MUSTER_LOG_LEVEL").unwrap_or("info"))?,
            log_profile: parse_log_profile(get("MUSTER_LOG_PROFILE").unwrap_or("production"))?,
        })
    }
}

fn parse_prefix(raw: &str) -> Result<String, ConfigError> {
    let error = |problem: &str| ConfigError {
        variable: "MUSTER_PATH_PREFIX",
        problem: format!("{problem} (got {raw:?}; expected a path such as /muster)"),
    };
    if !raw.starts_with('/') {
        return Err(error("must start with /"));
    }
    let trimmed = raw.trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(error("must not be the root path"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.');
    if !trimmed.chars().all(allowed) || trimmed.contains("//") || trimmed.contains("/.") {
        return Err(error("may hold only letters, digits, '-', '_', '.' and single slashes"));
    }
    Ok(trimmed.to_owned())
}

fn parse_bind(raw: &str) -> Result<SocketAddr, ConfigError> {
    raw.parse().map_err(|_| ConfigError {
        variable: "MUSTER_BIND",
        problem: format!("{raw:?} is not an address and port such as 0.0.0.0:8080"),
    })
}

fn parse_log_level(raw: &str) -> Result<String, ConfigError> {
    let level = raw.to_ascii_lowercase();
    match level.as_str() {
        "trace" | "debug" | "info" | "warning" | "warn" | "error" | "critical" => {
            Ok(match level.as_str() {
                "warning" => "warn".to_owned(),
                "critical" => "error".to_owned(),
                _ => level,
            })
        }
        _ => Err(ConfigError {
            variable: "MUSTER_LOG_LEVEL",
            problem: format!("{raw:?} is not one of DEBUG, INFO, WARNING, ERROR"),
        }),
    }
}

fn parse_log_profile(raw: &str) -> Result<LogProfile, ConfigError> {
    match raw.to_ascii_lowercase().as_str() {
        "production" => Ok(LogProfile::Production),
        "development" => Ok(LogProfile::Development),
        _ => Err(ConfigError {
            variable: "MUSTER_LOG_PROFILE",
            problem: format!("{raw:?} is not production or development"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_match_the_deployment() {
        let config = Config::from_vars(&vars(&[])).unwrap();
        assert_eq!(config.path_prefix, "/muster");
        assert_eq!(config.bind.to_string(), "0.0.0.0:8080");
        assert_eq!(config.log_profile, LogProfile::Production);
    }

    #[test]
    fn trailing_slash_of_prefix_is_dropped() {
        let config = Config::from_vars(&vars(&[("MUSTER_PATH_PREFIX", "/check/me/")])).unwrap();
        assert_eq!(config.path_prefix, "/check/me");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("MUSTER_PATH_PREFIX", "muster"),
            ("MUSTER_PATH_PREFIX", "/"),
            ("MUSTER_PATH_PREFIX", "/a b"),
            ("MUSTER_BIND", "localhost"),
            ("MUSTER_LOG_LEVEL", "loud"),
            ("MUSTER_LOG_PROFILE", "json"),
        ] {
            let error = Config::from_vars(&vars(&[(name, value)])).unwrap_err();
            assert_eq!(error.variable, name, "{value}");
            assert!(error.to_string().starts_with(name), "{error}");
        }
    }
}
