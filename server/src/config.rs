//! The server's configuration: read once from the environment at start-up,
//! validated, and passed in. Nothing else reads environment variables.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use muster_report::environment::utf8_variables;

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
    /// Directory holding the built app (`index.html`, `pages.html` and their
    /// assets, as `scripts/build-app` leaves them).
    pub assets_dir: PathBuf,
    /// Log filter directive, e.g. `info`.
    pub log_level: String,
    /// Log line format.
    pub log_profile: LogProfile,
    /// Where Gafaelfawr's API is, for the delegated routes.
    pub gafaelfawr: GafaelfawrSource,
    /// Longest wait for a connection to Gafaelfawr (or Repertoire).
    pub gafaelfawr_connect_timeout: Duration,
    /// Longest wait for a whole answer from Gafaelfawr (or Repertoire).
    pub gafaelfawr_timeout: Duration,
    /// Where to post alerts about Muster's own defects, if anywhere.
    pub slack_webhook: Option<SlackWebhook>,
    /// Most client connections open at once (`MUSTER_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// `MUSTER_VAULT_SECRET_FILE`: where the secret Vault delivers to Muster
    /// is mounted, whose presence (never value) the reports state.
    pub vault_secret_file: Option<PathBuf>,
    /// `MUSTER_BASE_URL`: the environment's public base URL (Phalanx's
    /// `global.baseUrl`), whose certificate the reports state. Never a host
    /// taken from a request.
    pub base_url: Option<String>,
    /// `MUSTER_CA_FILE`: certificate authorities (PEM) trusted besides the
    /// built-in and system ones when checking that certificate.
    pub ca_file: Option<PathBuf>,
}

/// `MUSTER_SLACK_WEBHOOK`: a Slack incoming-webhook URL. The URL is the
/// secret that lets anyone post to the channel, so it is never shown: its
/// `Debug` form and every error name only its scheme and host.
pub use muster_slack::SlackWebhook;

/// How Muster finds Gafaelfawr's API base URL (the URL that
/// `/user-info` and `/token-info` are appended to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GafaelfawrSource {
    /// `MUSTER_GAFAELFAWR_URL`, e.g.
    /// `http://gafaelfawr.gafaelfawr:8080/auth/api/v1`; wins over discovery.
    Url(String),
    /// `REPERTOIRE_BASE_URL`: Muster fetches `<base>/discovery` and uses
    /// `services.internal.gafaelfawr.versions.v1.url`, else
    /// `services.internal.gafaelfawr.url` + `/api/v1` (Repertoire's rule
    /// for Gafaelfawr registers `https://<host>/auth` with version `v1` at
    /// `https://<host>/auth/api/v1`, as the `rubin-repertoire` client reads it).
    Repertoire(String),
    /// Neither is set: the server starts, and the delegated routes report a
    /// failed check pointing at Muster's configuration.
    NotConfigured,
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

/// Every variable the configuration reads.
const VARIABLES: [&str; 14] = [
    "MUSTER_PATH_PREFIX",
    "MUSTER_BIND",
    "MUSTER_ASSETS_DIR",
    "MUSTER_LOG_LEVEL",
    "MUSTER_LOG_PROFILE",
    "MUSTER_GAFAELFAWR_URL",
    "REPERTOIRE_BASE_URL",
    "MUSTER_GAFAELFAWR_CONNECT_TIMEOUT",
    "MUSTER_GAFAELFAWR_TIMEOUT",
    "MUSTER_SLACK_WEBHOOK",
    "MUSTER_MAX_CONNECTIONS",
    "MUSTER_VAULT_SECRET_FILE",
    "MUSTER_BASE_URL",
    "MUSTER_CA_FILE",
];

impl Config {
    /// Reads the configuration from the process environment. Variables
    /// that are not UTF-8 are left out, unless they are Muster's own.
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars =
            utf8_variables(std::env::vars_os(), &VARIABLES).map_err(|variable| ConfigError {
                variable,
                problem: "is not valid UTF-8".to_owned(),
            })?;
        Self::from_vars(&vars)
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
            gafaelfawr: match (get("MUSTER_GAFAELFAWR_URL"), get("REPERTOIRE_BASE_URL")) {
                (Some(url), _) => GafaelfawrSource::Url(parse_url("MUSTER_GAFAELFAWR_URL", url)?),
                (None, Some(url)) => {
                    GafaelfawrSource::Repertoire(parse_url("REPERTOIRE_BASE_URL", url)?)
                }
                (None, None) => GafaelfawrSource::NotConfigured,
            },
            gafaelfawr_connect_timeout: parse_seconds(
                "MUSTER_GAFAELFAWR_CONNECT_TIMEOUT",
                get("MUSTER_GAFAELFAWR_CONNECT_TIMEOUT"),
                DEFAULT_CONNECT_TIMEOUT,
            )?,
            gafaelfawr_timeout: parse_seconds(
                "MUSTER_GAFAELFAWR_TIMEOUT",
                get("MUSTER_GAFAELFAWR_TIMEOUT"),
                DEFAULT_TIMEOUT,
            )?,
            slack_webhook: get("MUSTER_SLACK_WEBHOOK")
                .map(parse_slack_webhook)
                .transpose()?,
            max_connections: match get("MUSTER_MAX_CONNECTIONS") {
                Some(raw) => parse_max_connections(raw)?,
                None => DEFAULT_MAX_CONNECTIONS,
            },
            vault_secret_file: get("MUSTER_VAULT_SECRET_FILE")
                .map(|raw| absolute_path("MUSTER_VAULT_SECRET_FILE", raw, VAULT_SECRET_EXAMPLE))
                .transpose()?,
            base_url: get("MUSTER_BASE_URL")
                .map(|raw| parse_url("MUSTER_BASE_URL", raw))
                .transpose()?,
            ca_file: get("MUSTER_CA_FILE")
                .map(|raw| absolute_path("MUSTER_CA_FILE", raw, "/etc/muster/ca/ca.crt"))
                .transpose()?,
        })
    }
}

/// Default of `MUSTER_GAFAELFAWR_CONNECT_TIMEOUT`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default of `MUSTER_GAFAELFAWR_TIMEOUT`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound of both timeouts: a longer wait would outlast the ingress's
/// own proxy timeout and hold the request open for nothing.
const MAX_TIMEOUT: Duration = Duration::from_secs(60);

fn parse_url(variable: &'static str, raw: &str) -> Result<String, ConfigError> {
    http_base_url(raw).map_err(|problem| ConfigError {
        variable,
        problem: format!("{problem}; expected an http:// or https:// URL"),
    })
}

/// `raw` as the base URL of an API Muster calls: http or https, with a
/// host, and no credentials, query or fragment (they would reach logs and
/// reports). The error shows only the URL's scheme, host and path, never
/// the whole value, which may hold a password or token.
pub fn http_base_url(raw: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(raw).map_err(|error| format!("not a URL ({error})"))?;
    let shown = format!(
        "{}://{}{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or(""),
        parsed.path()
    );
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("{shown} is not an http or https URL with a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("{shown} must not carry credentials"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("{shown} must not have a query or fragment"));
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// A webhook URL must be https (http only on loopback, for tests). Unlike
/// [`http_base_url`], the error never shows the path: it holds the secret.
fn parse_slack_webhook(raw: &str) -> Result<SlackWebhook, ConfigError> {
    let error = |problem: String| ConfigError {
        variable: "MUSTER_SLACK_WEBHOOK",
        problem: format!(
            "{problem}; expected a Slack incoming-webhook URL such as \
             https://hooks.slack.com/services/…"
        ),
    };
    SlackWebhook::parse(raw).map_err(error)
}

const VAULT_SECRET_EXAMPLE: &str = "the mounted key, such as /etc/muster/vault/vault-check";

/// A mounted file must be named absolutely: a relative path would depend
/// on the directory Muster happens to start in.
fn absolute_path(
    variable: &'static str,
    raw: &str,
    expected: &str,
) -> Result<PathBuf, ConfigError> {
    let path = PathBuf::from(raw);
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(ConfigError {
            variable,
            problem: format!("{raw:?} is not an absolute path; expected {expected}"),
        })
    }
}

/// Default of `MUSTER_MAX_CONNECTIONS`: with every connection holding a
/// head just under the 256 KiB limit, about 64 MiB of buffers, half the
/// chart's memory limit.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Upper bound of `MUSTER_MAX_CONNECTIONS`: far above what the chart's
/// memory limit can hold with heads of up to 256 KiB each.
const MAX_CONNECTIONS: usize = 100_000;

fn parse_max_connections(raw: &str) -> Result<usize, ConfigError> {
    raw.parse()
        .ok()
        .filter(|count| (1..=MAX_CONNECTIONS).contains(count))
        .ok_or_else(|| ConfigError {
            variable: "MUSTER_MAX_CONNECTIONS",
            problem: format!(
                "{raw:?} is not a whole number of connections between 1 and {MAX_CONNECTIONS}, such as 256"
            ),
        })
}

fn parse_seconds(
    variable: &'static str,
    raw: Option<&str>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    let error = || ConfigError {
        variable,
        problem: format!(
            "{raw:?} is not a number of seconds between 0.01 and 60, such as 2 or 0.5"
        ),
    };
    let seconds: f64 = raw.parse().map_err(|_| error())?;
    if !seconds.is_finite() || seconds < 0.01 || seconds > MAX_TIMEOUT.as_secs_f64() {
        return Err(error());
    }
    Ok(Duration::from_secs_f64(seconds))
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
        return Err(error(
            "may hold only letters, digits, '-', '_', '.' and single slashes",
        ));
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
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_deployment() {
        let config = Config::from_vars(&vars(&[])).unwrap();
        assert_eq!(config.path_prefix, "/muster");
        assert_eq!(config.bind.to_string(), "0.0.0.0:8080");
        assert_eq!(config.log_profile, LogProfile::Production);
        assert_eq!(config.gafaelfawr, GafaelfawrSource::NotConfigured);
        assert_eq!(config.gafaelfawr_connect_timeout, Duration::from_secs(2));
        assert_eq!(config.gafaelfawr_timeout, Duration::from_secs(5));
        assert_eq!(config.max_connections, 256);
        assert_eq!(config.vault_secret_file, None);
        assert_eq!(config.base_url, None);
    }

    #[test]
    fn the_vault_secret_file_is_an_absolute_path() {
        let file = "/etc/muster/vault/vault-check";
        let config = Config::from_vars(&vars(&[("MUSTER_VAULT_SECRET_FILE", file)])).unwrap();
        assert_eq!(config.vault_secret_file, Some(PathBuf::from(file)));
        let error =
            Config::from_vars(&vars(&[("MUSTER_VAULT_SECRET_FILE", "vault-check")])).unwrap_err();
        assert_eq!(error.variable, "MUSTER_VAULT_SECRET_FILE");
    }

    #[test]
    fn the_base_url_is_an_http_url_and_the_ca_file_absolute() {
        let config = Config::from_vars(&vars(&[
            ("MUSTER_BASE_URL", "https://data.example.org/"),
            ("MUSTER_CA_FILE", "/etc/muster/ca/ca.crt"),
        ]))
        .unwrap();
        assert_eq!(config.base_url.as_deref(), Some("https://data.example.org"));
        assert_eq!(config.ca_file, Some(PathBuf::from("/etc/muster/ca/ca.crt")));
        let error =
            Config::from_vars(&vars(&[("MUSTER_BASE_URL", "data.example.org")])).unwrap_err();
        assert_eq!(error.variable, "MUSTER_BASE_URL");
        let error = Config::from_vars(&vars(&[("MUSTER_CA_FILE", "ca.crt")])).unwrap_err();
        assert_eq!(error.variable, "MUSTER_CA_FILE");
    }

    #[test]
    fn explicit_gafaelfawr_url_wins_over_discovery() {
        let config = Config::from_vars(&vars(&[
            (
                "MUSTER_GAFAELFAWR_URL",
                "http://gafaelfawr.gafaelfawr:8080/auth/api/v1/",
            ),
            ("REPERTOIRE_BASE_URL", "https://example.com/repertoire"),
        ]))
        .unwrap();
        let expected = "http://gafaelfawr.gafaelfawr:8080/auth/api/v1".to_owned();
        assert_eq!(config.gafaelfawr, GafaelfawrSource::Url(expected));
        let discovered = Config::from_vars(&vars(&[(
            "REPERTOIRE_BASE_URL",
            "https://example.com/repertoire",
        )]))
        .unwrap();
        let expected = "https://example.com/repertoire".to_owned();
        assert_eq!(
            discovered.gafaelfawr,
            GafaelfawrSource::Repertoire(expected)
        );
    }

    #[test]
    fn timeouts_accept_fractions_of_seconds() {
        let config = Config::from_vars(&vars(&[
            ("MUSTER_GAFAELFAWR_CONNECT_TIMEOUT", "0.25"),
            ("MUSTER_GAFAELFAWR_TIMEOUT", "1.5"),
        ]))
        .unwrap();
        assert_eq!(
            config.gafaelfawr_connect_timeout,
            Duration::from_millis(250)
        );
        assert_eq!(config.gafaelfawr_timeout, Duration::from_millis(1500));
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
            ("MUSTER_GAFAELFAWR_URL", "gafaelfawr:8080"),
            ("MUSTER_GAFAELFAWR_URL", "ftp://gafaelfawr/auth/api/v1"),
            (
                "MUSTER_GAFAELFAWR_URL",
                "http://user:pw@gafaelfawr/auth/api/v1",
            ),
            ("REPERTOIRE_BASE_URL", "not a url"),
            ("MUSTER_GAFAELFAWR_CONNECT_TIMEOUT", "soon"),
            ("MUSTER_GAFAELFAWR_TIMEOUT", "0"),
            ("MUSTER_GAFAELFAWR_TIMEOUT", "3600"),
            ("MUSTER_GAFAELFAWR_TIMEOUT", "NaN"),
            ("MUSTER_MAX_CONNECTIONS", "0"),
            ("MUSTER_MAX_CONNECTIONS", "many"),
            ("MUSTER_MAX_CONNECTIONS", "-1"),
            ("MUSTER_MAX_CONNECTIONS", "1000000"),
        ] {
            let error = Config::from_vars(&vars(&[(name, value)])).unwrap_err();
            assert_eq!(error.variable, name, "{value}");
            assert!(error.to_string().starts_with(name), "{error}");
        }
    }

    #[test]
    fn url_errors_never_repeat_credentials_or_queries() {
        for raw in [
            "http://muster:Canary0001@gafaelfawr/auth/api/v1",
            "https://gafaelfawr/auth/api/v1?token=Canary0001",
            "https://gafaelfawr/auth/api/v1#Canary0001",
            "Canary0001",
        ] {
            let error = Config::from_vars(&vars(&[("MUSTER_GAFAELFAWR_URL", raw)])).unwrap_err();
            let shown = error.to_string();
            assert!(!shown.contains("Canary"), "{shown}");
        }
        let error = http_base_url("http://muster:pw@gafaelfawr/auth/api/v1").unwrap_err();
        assert_eq!(
            error,
            "http://gafaelfawr/auth/api/v1 must not carry credentials"
        );
    }

    #[test]
    fn slack_webhook_is_optional_and_never_shown() {
        assert_eq!(Config::from_vars(&vars(&[])).unwrap().slack_webhook, None);
        let url = "https://hooks.slack.com/services/T0/B0/Canary0001";
        let config = Config::from_vars(&vars(&[("MUSTER_SLACK_WEBHOOK", url)])).unwrap();
        assert_eq!(
            config.slack_webhook.as_ref().map(SlackWebhook::url),
            Some(url)
        );
        assert!(!format!("{config:?}").contains("Canary"));
        for raw in [
            "http://hooks.slack.com/services/T0/B0/Canary0001",
            "ftp://hooks.slack.com/services/T0/B0/Canary0001",
            "hooks.slack.com/services/T0/B0/Canary0001",
        ] {
            let error = Config::from_vars(&vars(&[("MUSTER_SLACK_WEBHOOK", raw)])).unwrap_err();
            assert_eq!(error.variable, "MUSTER_SLACK_WEBHOOK");
            assert!(!error.to_string().contains("Canary"), "{error}");
        }
    }
}
