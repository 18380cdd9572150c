//! The facts the server-side checks judge: the headers a request carried
//! when it reached Muster (after nginx and Gafaelfawr had their say) and
//! what Gafaelfawr's user-info and token-info answered to the delegated
//! token. Gathering them is I/O and lives in the server; judging them is
//! pure and lives in `checks`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Route;
use crate::redact;

/// Header names the checks look at, lower-case as HTTP/2 and `http` spell
/// them.
pub mod names {
    /// `Authorization`.
    pub const AUTHORIZATION: &str = "authorization";
    /// `Cookie`.
    pub const COOKIE: &str = "cookie";
    /// `X-Auth-Request-User`: the authenticated username.
    pub const USER: &str = "x-auth-request-user";
    /// `X-Auth-Request-Email`: the user's email, when known.
    pub const EMAIL: &str = "x-auth-request-email";
    /// `X-Auth-Request-Token`: the delegated token.
    pub const TOKEN: &str = "x-auth-request-token";
    /// `X-Auth-Request-Service`: the service of an internal token.
    pub const SERVICE: &str = "x-auth-request-service";
    /// Prefix of every identity header Gafaelfawr sets.
    pub const IDENTITY_PREFIX: &str = "x-auth-request-";
    /// Name of Gafaelfawr's session cookie.
    pub const SESSION_COOKIE: &str = "gafaelfawr";
}

/// A header value as received: text, or bytes that are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderText {
    /// A value that is valid UTF-8.
    Text(String),
    /// A value that is not UTF-8; only its length is kept.
    NotUtf8 {
        /// Length in bytes.
        length: usize,
    },
}

impl HeaderText {
    /// Decodes raw header bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => HeaderText::Text(text.to_owned()),
            Err(_) => HeaderText::NotUtf8 {
                length: bytes.len(),
            },
        }
    }

    /// The text, if the value is UTF-8.
    pub fn text(&self) -> Option<&str> {
        match self {
            HeaderText::Text(text) => Some(text),
            HeaderText::NotUtf8 { .. } => None,
        }
    }

    /// True for an empty (or all-blank) value, which counts as absent.
    pub fn is_empty(&self) -> bool {
        match self {
            HeaderText::Text(text) => text.trim().is_empty(),
            HeaderText::NotUtf8 { length } => *length == 0,
        }
    }
}

/// One header of the request that reached Muster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSeen {
    /// Lower-case name.
    pub name: String,
    /// The value.
    pub value: HeaderText,
}

/// The request as Muster received it: every header, in order, repeated
/// headers kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestSeen {
    /// Every header, names lower-case.
    pub headers: Vec<HeaderSeen>,
}

impl RequestSeen {
    /// A request from `(name, value)` pairs; names are lower-cased.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        Self {
            headers: pairs
                .into_iter()
                .map(|(name, value)| HeaderSeen {
                    name: name.to_ascii_lowercase(),
                    value: HeaderText::from_bytes(value),
                })
                .collect(),
        }
    }

    /// Every value of header `name` (lower-case), in order.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &HeaderText> {
        let name = name.to_owned();
        self.headers
            .iter()
            .filter(move |header| header.name == name)
            .map(|header| &header.value)
    }

    /// Every non-empty value of header `name`.
    pub fn present(&self, name: &str) -> Vec<&HeaderText> {
        self.all(name).filter(|value| !value.is_empty()).collect()
    }

    /// The first non-empty value of `name`, which is what upstream reads.
    pub fn first(&self, name: &str) -> Option<&HeaderText> {
        self.all(name).find(|value| !value.is_empty())
    }

    /// The first non-empty value of `name` as text, if it is UTF-8.
    pub fn first_text(&self, name: &str) -> Option<&str> {
        self.first(name).and_then(HeaderText::text)
    }

    /// Values of every cookie named `cookie` across all `Cookie` headers
    /// (`name=value` pairs split on `;`, blanks trimmed).
    pub fn cookie_values(&self, cookie: &str) -> Vec<String> {
        self.all(names::COOKIE)
            .filter_map(HeaderText::text)
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.split_once('='))
            .filter(|(name, _)| name.trim() == cookie)
            .map(|(_, value)| value.trim().trim_matches('"').to_owned())
            .collect()
    }

    /// The headers whose name starts with `prefix`, in order.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a HeaderSeen> {
        self.headers
            .iter()
            .filter(move |header| header.name.starts_with(prefix))
    }
}

/// A header value as received made safe to show ([`redact::header_value`]);
/// a value that is not UTF-8 is described by its length.
pub fn redacted_value(name: &str, value: &HeaderText) -> String {
    match value {
        HeaderText::Text(text) => redact::header_value(name, text),
        HeaderText::NotUtf8 { length } => format!("({length} bytes, not UTF-8)"),
    }
}

/// A group in Gafaelfawr's user-info.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Numeric GID, when the directory assigns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// Gafaelfawr's `GET /auth/api/v1/user-info` answer (fields Muster uses;
/// `quota` and any other field are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserInfo {
    /// Username.
    pub username: String,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Numeric UID.
    #[serde(default)]
    pub uid: Option<i64>,
    /// Numeric primary GID.
    #[serde(default)]
    pub gid: Option<i64>,
    /// Group memberships (Gafaelfawr always sends the list, maybe empty).
    #[serde(default)]
    pub groups: Vec<Group>,
}

/// Gafaelfawr's `GET /auth/api/v1/token-info` answer (fields Muster uses).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenInfo {
    /// The token's owner.
    pub username: String,
    /// `session`, `user`, `notebook`, `internal`, `service` or `oidc`.
    pub token_type: String,
    /// For internal tokens, the service it was delegated to.
    #[serde(default)]
    pub service: Option<String>,
    /// The token's scopes, sorted.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Why Muster could not get an answer from Gafaelfawr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchCause {
    /// Muster knows no Gafaelfawr URL (neither `MUSTER_GAFAELFAWR_URL` nor
    /// `REPERTOIRE_BASE_URL` is set).
    NotConfigured,
    /// Repertoire did not yield Gafaelfawr's URL; the text says why.
    Discovery(String),
    /// Nothing listens at the URL's host and port.
    ConnectionRefused,
    /// No connection within the connect timeout.
    ConnectTimeout {
        /// The timeout, in milliseconds.
        millis: u64,
    },
    /// No complete answer within the total timeout.
    Timeout {
        /// The timeout, in milliseconds.
        millis: u64,
    },
    /// The connection failed otherwise (DNS, TLS, reset…); the text says how.
    Connect(String),
    /// Gafaelfawr answered with a status other than 200.
    HttpStatus {
        /// The status code.
        status: u16,
        /// The `type` of a Gafaelfawr error body, if the body had one.
        error_type: Option<String>,
        /// The start of the body, redacted.
        body: String,
    },
    /// A 200 whose body is not the expected JSON; the text says why.
    InvalidJson(String),
}

/// A failed call to Gafaelfawr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The URL called (no credentials in it), or empty when none is known.
    pub url: String,
    /// What went wrong.
    pub cause: FetchCause,
}

impl fmt::Display for FetchCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchCause::NotConfigured => f.write_str("no Gafaelfawr URL is configured"),
            FetchCause::Discovery(why) => write!(f, "service discovery failed: {why}"),
            FetchCause::ConnectionRefused => f.write_str("connection refused"),
            FetchCause::ConnectTimeout { millis } => {
                write!(
                    f,
                    "no connection within {} s (connect timeout)",
                    seconds(*millis)
                )
            }
            FetchCause::Timeout { millis } => {
                write!(f, "no answer within {} s (timeout)", seconds(*millis))
            }
            FetchCause::Connect(why) => write!(f, "connection failed: {why}"),
            FetchCause::HttpStatus {
                status, error_type, ..
            } => match error_type {
                Some(kind) => write!(f, "HTTP {status} ({kind})"),
                None => write!(f, "HTTP {status}"),
            },
            FetchCause::InvalidJson(why) => {
                write!(f, "the answer is not valid JSON for this endpoint: {why}")
            }
        }
    }
}

/// `1500` → `1.5`, `2000` → `2`.
fn seconds(millis: u64) -> String {
    (millis as f64 / 1000.0).to_string()
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.url.is_empty() {
            write!(f, "{}", self.cause)
        } else {
            write!(f, "{} from {}", self.cause, self.url)
        }
    }
}

/// The outcome of one call to Gafaelfawr; `None` in [`Gafaelfawr`] means
/// the call was not made.
pub type Fetched<T> = Result<T, FetchError>;

/// What Gafaelfawr answered to the delegated token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gafaelfawr {
    /// `GET user-info`, if called.
    pub user_info: Option<Fetched<UserInfo>>,
    /// `GET token-info`, if called.
    pub token_info: Option<Fetched<TokenInfo>>,
}

/// Everything the server-side checks of one request judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendObservation {
    /// The route the request reached.
    pub route: Route,
    /// The request as it reached Muster.
    pub request: RequestSeen,
    /// Gafaelfawr's answers (delegated routes only).
    pub gafaelfawr: Gafaelfawr,
}

impl BackendObservation {
    /// The delegated token, when the request carries one shaped like a
    /// Gafaelfawr token: the only case in which Muster calls Gafaelfawr.
    pub fn usable_delegated_token(&self) -> Option<&str> {
        self.request
            .first_text(names::TOKEN)
            .map(str::trim)
            .filter(|token| redact::is_token_shaped(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&str, &str)]) -> RequestSeen {
        RequestSeen::from_pairs(pairs.iter().map(|(n, v)| (*n, v.as_bytes())))
    }

    #[test]
    fn empty_values_count_as_absent() {
        let seen = request(&[("Authorization", ""), ("Authorization", "Bearer x")]);
        assert_eq!(seen.first_text(names::AUTHORIZATION), Some("Bearer x"));
        assert_eq!(seen.present(names::AUTHORIZATION).len(), 1);
        assert_eq!(
            request(&[("Authorization", " ")]).first(names::AUTHORIZATION),
            None
        );
    }

    #[test]
    fn cookies_are_found_by_exact_name_across_headers() {
        let seen = request(&[
            ("cookie", "gafaelfawr_x=1; theme=dark"),
            ("cookie", "gafaelfawr=abc"),
        ]);
        assert_eq!(seen.cookie_values("gafaelfawr"), vec!["abc".to_owned()]);
        assert!(seen.cookie_values("other").is_empty());
    }

    #[test]
    fn non_utf8_values_are_described_not_shown() {
        let seen = RequestSeen::from_pairs([("x-auth-request-user", &[0xff, 0xfe][..])]);
        let value = seen.first(names::USER).unwrap();
        assert_eq!(value.text(), None);
        assert_eq!(redacted_value(names::USER, value), "(2 bytes, not UTF-8)");
    }

    #[test]
    fn secrets_and_long_values_are_redacted_for_evidence() {
        let token = "gt-AbCdEfGhIjKlMnOpQrStUv.0123456789abcdefghijkl";
        let value = HeaderText::Text(format!("Bearer {token}"));
        assert_eq!(
            redacted_value(names::AUTHORIZATION, &value),
            "Bearer gt-AbCd…(48 chars)"
        );
        let long = HeaderText::Text("a".repeat(5000));
        let shown = redacted_value(names::USER, &long);
        assert!(
            shown.ends_with("…(5000 chars)") && shown.len() < 300,
            "{shown}"
        );
    }

    #[test]
    fn user_info_ignores_quota_and_defaults_groups() {
        let info: UserInfo =
            serde_json::from_str(r#"{"username":"u","quota":{"api":{"x":1}}}"#).unwrap();
        assert_eq!(info.username, "u");
        assert!(info.groups.is_empty());
    }
}
