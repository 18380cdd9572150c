//! Bodies of the upstream-compatible representation: byte for byte what the
//! Python Muster service (FastAPI) returns, so its existing automated client
//! keeps working. Field order matters for byte compatibility and follows
//! upstream; bodies are rendered compactly (`{"ok":true}`) as FastAPI's
//! `JSONResponse` does.
//!
//! The answer to a check route is derived from the check outcomes (see
//! `evaluate`): each failing check may carry an [`UpstreamFailure`], and the
//! first one decides the upstream status and body.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json_read::{Fields, FromJson};
use crate::received::observed::{Group, UserInfo};
use crate::redact;
use crate::text::display_name;

/// Service metadata, answered by the internal health route `GET /` and
/// embedded in the index. Absent optional fields are omitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// Service name, `muster`.
    pub name: String,
    /// Version of the running server.
    pub version: String,
    /// One-line description of the service.
    pub description: String,
    /// Where the source lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
    /// Where the documentation lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
}

/// Body of `GET {prefix}/`: metadata plus the absolute URL of every route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Service metadata.
    pub metadata: Metadata,
    /// `{prefix}/anonymous`.
    pub anonymous_url: String,
    /// `{prefix}/auth/fail`.
    pub auth_required_url: String,
    /// `{prefix}/auth/redirect`.
    pub auth_redirect_url: String,
    /// `{prefix}/auth/quota`.
    pub auth_quota_url: String,
    /// `{prefix}/auth/cached`.
    pub auth_cached_url: String,
    /// `{prefix}/delegated/header`.
    pub delegated_url: String,
    /// `{prefix}/delegated/authorization`.
    pub authorization_url: String,
}

impl Index {
    /// Builds the index for a deployment whose prefix is reachable at
    /// `base` (scheme, host and prefix, without a trailing slash).
    pub fn new(metadata: Metadata, base: &str) -> Self {
        let url = |path: &str| format!("{base}/{path}");
        Self {
            metadata,
            anonymous_url: url("anonymous"),
            auth_required_url: url("auth/fail"),
            auth_redirect_url: url("auth/redirect"),
            auth_quota_url: url("auth/quota"),
            auth_cached_url: url("auth/cached"),
            delegated_url: url("delegated/header"),
            authorization_url: url("delegated/authorization"),
        }
    }
}

/// Body of `GET {prefix}/anonymous` on success: `{"ok":true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MusterResult {
    /// Always `true`; failures are HTTP 500 instead.
    pub ok: bool,
}

/// Body of `GET {prefix}/auth/{mode}` on success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthInfo {
    /// `X-Auth-Request-User`.
    pub username: String,
    /// `X-Auth-Request-Email`, left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Body of `GET {prefix}/delegated/{mode}` on success: Gafaelfawr's
/// user-info with null fields and an empty group list left out, and never
/// the quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedUserInfo {
    /// Username.
    pub username: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Numeric UID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<i64>,
    /// Numeric primary GID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<i64>,
    /// Group memberships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
}

impl From<&UserInfo> for DelegatedUserInfo {
    fn from(info: &UserInfo) -> Self {
        Self {
            username: info.username.clone(),
            email: info.email.clone(),
            name: info.name.clone(),
            uid: info.uid,
            gid: info.gid,
            groups: info.groups.clone(),
        }
    }
}

impl FromJson for Metadata {
    fn from_json(json: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(json)?;
        Ok(Metadata {
            name: fields.required("name")?,
            version: fields.required("version")?,
            description: fields.required("description")?,
            repository_url: fields.or_default("repository_url")?,
            documentation_url: fields.or_default("documentation_url")?,
        })
    }
}

crate::json_read::deserialize_from_json!(Metadata);

impl AuthInfo {
    /// `json` as an `AuthInfo` when it is exactly one as Muster writes it:
    /// no unknown field, and `email` left out rather than null. Otherwise
    /// the first difference.
    pub fn exactly(json: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(json)?;
        let info = AuthInfo {
            username: fields.required("username")?,
            email: fields.omitted_or("email", Option::is_none)?,
        };
        fields.finish_exact()?;
        Ok(info)
    }
}

impl DelegatedUserInfo {
    /// `json` as a `DelegatedUserInfo` when it is exactly one as Muster
    /// writes it: no unknown field (so no quota), no null field and no empty
    /// group list. Otherwise the first difference.
    pub fn exactly(json: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(json)?;
        let info = DelegatedUserInfo {
            username: fields.required("username")?,
            email: fields.omitted_or("email", Option::is_none)?,
            name: fields.omitted_or("name", Option::is_none)?,
            uid: fields.omitted_or("uid", Option::is_none)?,
            gid: fields.omitted_or("gid", Option::is_none)?,
            groups: fields
                .omitted_or("groups", Vec::is_empty)?
                .into_iter()
                .map(|ExactGroup(group)| group)
                .collect(),
        };
        fields.finish_exact()?;
        Ok(info)
    }
}

/// A group of [`DelegatedUserInfo`], read exactly: `id` left out rather than
/// null, nothing else.
struct ExactGroup(Group);

impl FromJson for ExactGroup {
    fn from_json(json: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(json)?;
        let group = Group {
            name: fields.required("name")?,
            id: fields.omitted_or("id", Option::is_none)?,
        };
        fields.finish_exact()?;
        Ok(ExactGroup(group))
    }
}

/// `{"detail":[…]}`: the envelope of every upstream error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody<T> {
    /// The errors.
    pub detail: Vec<T>,
}

/// One failed check in upstream's HTTP 500 body:
/// `{"loc":["header","<Name>"],"msg":"…","type":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Where in the request the problem is; absent for Gafaelfawr data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc: Option<Vec<String>>,
    /// Human-readable message (never a whole token).
    pub msg: String,
    /// Machine-readable error code.
    #[serde(rename = "type")]
    pub kind: String,
}

impl ErrorDetail {
    fn new(loc: Option<&str>, msg: String, kind: &str) -> Self {
        Self {
            loc: loc.map(|name| vec!["header".to_owned(), name.to_owned()]),
            msg: redact::tokens_in_text(&msg),
            kind: kind.to_owned(),
        }
    }

    /// `unexpected_header`: header `name` reached Muster but must not.
    pub fn unexpected_header(name: &str) -> Self {
        let name = display_name(name);
        Self::new(
            Some(&name),
            format!("Header {name} set but should not be present"),
            "unexpected_header",
        )
    }

    /// `unexpected_cookie`: the `gafaelfawr` cookie reached Muster.
    pub fn unexpected_cookie(cookie: &str) -> Self {
        Self::new(
            Some("Cookie"),
            format!("Cookie {cookie} set but should not be present"),
            "unexpected_cookie",
        )
    }

    /// `missing_header`: header `name` should have reached Muster.
    pub fn missing_header(name: &str) -> Self {
        let name = display_name(name);
        Self::new(
            Some(&name),
            format!("Header {name} not present but should be set"),
            "missing_header",
        )
    }

    /// `incorrect_header`: header `name` has a wrong value, given here
    /// already redacted.
    pub fn incorrect_header(name: &str, redacted_value: &str) -> Self {
        let name = display_name(name);
        let msg = format!("Header {name} has an incorrect value: {redacted_value}");
        Self::new(Some(&name), msg, "incorrect_header")
    }

    /// `gafaelfawr_data`: Gafaelfawr's answers disagree with the headers.
    pub fn gafaelfawr_data(msg: String) -> Self {
        Self::new(None, msg, "gafaelfawr_data")
    }

    /// `gafaelfawr_error`: Muster could not get an answer from Gafaelfawr
    /// (upstream answers a bare 500 here; this keeps the error format).
    pub fn gafaelfawr_error(msg: String) -> Self {
        Self::new(None, msg, "gafaelfawr_error")
    }

    /// `configuration_error`: Muster is not configured to do this check.
    pub fn configuration_error(msg: String) -> Self {
        Self::new(None, msg, "configuration_error")
    }
}

/// `ctx` of a FastAPI (pydantic) literal error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationContext {
    /// The accepted values, as pydantic words them.
    pub expected: String,
}

/// One FastAPI request-validation error, as in its HTTP 422 body:
/// `{"type":"missing","loc":["header","x-auth-request-user"],"msg":"Field required","input":null}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationError {
    /// pydantic's error type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `["header", "<lower-case name>"]` or `["path", "mode"]`.
    pub loc: Vec<String>,
    /// pydantic's message.
    pub msg: String,
    /// The rejected input; `null` when missing (or not safe to echo).
    pub input: Option<String>,
    /// Extra context (literal errors only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctx: Option<ValidationContext>,
}

impl ValidationError {
    /// A required header that did not arrive (FastAPI's `missing`).
    pub fn missing_header(name: &str) -> Self {
        Self {
            kind: "missing".to_owned(),
            loc: vec!["header".to_owned(), name.to_ascii_lowercase()],
            msg: "Field required".to_owned(),
            input: None,
            ctx: None,
        }
    }

    /// A header whose bytes are not UTF-8 (pydantic's `string_unicode`);
    /// the bytes are not echoed.
    pub fn not_unicode_header(name: &str) -> Self {
        Self {
            kind: "string_unicode".to_owned(),
            loc: vec!["header".to_owned(), name.to_ascii_lowercase()],
            msg: "Input should be a valid string, unable to parse raw data as a unicode string"
                .to_owned(),
            input: None,
            ctx: None,
        }
    }

    /// A path parameter outside its `Literal[…]` (pydantic's
    /// `literal_error`): `Input should be 'a', 'b' or 'c'`.
    pub fn literal(parameter: &str, allowed: &[&str], input: &str) -> Self {
        let quoted: Vec<String> = allowed.iter().map(|value| format!("'{value}'")).collect();
        let expected = match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        Self {
            kind: "literal_error".to_owned(),
            loc: vec!["path".to_owned(), parameter.to_owned()],
            msg: format!("Input should be {expected}"),
            input: Some(redact::tokens_in_text(input)),
            ctx: Some(ValidationContext { expected }),
        }
    }
}

/// How a failing check shows in the upstream representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// FastAPI would have refused the request before running the handler:
    /// HTTP 422, every such error listed.
    Validation(ValidationError),
    /// The handler raised a Muster error: HTTP 500 with this detail.
    Check(ErrorDetail),
}

/// A status code and the exact JSON text of an upstream-compatible answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamResponse {
    /// HTTP status.
    pub status: u16,
    /// Compact JSON body.
    pub body: String,
    /// The check failure behind a 500, which the Python service also
    /// reports to Slack (Safir alerts on the exception it raises).
    pub failure: Option<ErrorDetail>,
}

impl UpstreamResponse {
    /// HTTP 200 with `body`.
    pub fn ok(body: &impl Serialize) -> Self {
        Self::json(200, body)
    }

    /// HTTP 422 listing `errors`.
    pub fn validation(errors: Vec<ValidationError>) -> Self {
        Self::json(422, &ErrorBody { detail: errors })
    }

    /// HTTP 500 with one check failure.
    pub fn failure(detail: ErrorDetail) -> Self {
        let body = ErrorBody {
            detail: vec![detail.clone()],
        };
        Self {
            failure: Some(detail),
            ..Self::json(500, &body)
        }
    }

    fn json(status: u16, body: &impl Serialize) -> Self {
        // These types serialise infallibly (strings, numbers, no maps with
        // non-string keys); the fallback keeps the function total.
        let body = serde_json::to_string(body)
            .unwrap_or_else(|_| r#"{"detail":"Internal Server Error"}"#.to_owned());
        Self {
            status,
            body,
            failure: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What "exactly one" meant before the hand readers, kept as their
    /// oracle: read by serde's derive, written back, and compared.
    fn serde_exactly<T: serde::de::DeserializeOwned + Serialize>(json: &Value) -> Option<T> {
        let read: T = serde_json::from_value(json.clone()).ok()?;
        (serde_json::to_value(&read).ok()? == *json).then_some(read)
    }

    /// Bodies near the shapes Muster writes, each differing in one way.
    const BODIES: &[&str] = &[
        r#"{"username":"u"}"#,
        r#"{"username":"u","email":"u@x"}"#,
        r#"{"username":"u","email":null}"#,
        r#"{"username":null}"#,
        r#"{"username":7}"#,
        r#"{"email":"u@x"}"#,
        r#"{"username":"u","extra":1}"#,
        r#"{"username":"u","name":"U"}"#,
        r#"{"username":"u","uid":1000,"gid":1000}"#,
        r#"{"username":"u","uid":1000.0}"#,
        r#"{"username":"u","uid":-1}"#,
        r#"{"username":"u","uid":9223372036854775808}"#,
        r#"{"username":"u","uid":"1000"}"#,
        r#"{"username":"u","uid":null}"#,
        r#"{"username":"u","groups":[]}"#,
        r#"{"username":"u","groups":null}"#,
        r#"{"username":"u","groups":[{"name":"g"}]}"#,
        r#"{"username":"u","groups":[{"name":"g","id":1}]}"#,
        r#"{"username":"u","groups":[{"name":"g","id":null}]}"#,
        r#"{"username":"u","groups":[{"name":"g","x":1}]}"#,
        r#"{"username":"u","groups":[{"id":1}]}"#,
        r#"{"username":"u","groups":["g"]}"#,
        r#"{"username":"u","quota":{"api":{"x":1}}}"#,
        r#"["u"]"#,
        r#""u""#,
        r#"null"#,
    ];

    #[test]
    fn exact_readers_agree_with_serde_read_and_written_back() {
        for body in BODIES {
            let json: Value = serde_json::from_str(body).unwrap();
            assert_eq!(
                AuthInfo::exactly(&json).ok(),
                serde_exactly::<AuthInfo>(&json),
                "{body}"
            );
            assert_eq!(
                DelegatedUserInfo::exactly(&json).ok(),
                serde_exactly::<DelegatedUserInfo>(&json),
                "{body}"
            );
        }
    }

    #[test]
    fn exact_readers_name_the_difference() {
        let read = |body: &str| {
            DelegatedUserInfo::exactly(&serde_json::from_str(body).unwrap()).unwrap_err()
        };
        assert_eq!(
            read(r#"{"username":"u","quota":{}}"#),
            "unknown field `quota`"
        );
        assert_eq!(
            read(r#"{"username":"u","email":null}"#),
            "`email` is null instead of left out"
        );
        assert_eq!(
            read(r#"{"username":"u","groups":[]}"#),
            "`groups` is empty instead of left out"
        );
        assert_eq!(
            read(r#"{"username":"u","groups":[{"name":"g","x":1}]}"#),
            "`groups`: [0]: unknown field `x`"
        );
        assert_eq!(read(r#"{"name":"U"}"#), "missing field `username`");
    }

    #[test]
    fn metadata_reads_back_as_written() {
        let mut with_links = metadata();
        with_links.repository_url = Some("https://github.com/lsst-sqre/muster".into());
        for written in [metadata(), with_links] {
            let json = serde_json::to_string(&written).unwrap();
            assert_eq!(serde_json::from_str::<Metadata>(&json).unwrap(), written);
        }
    }

    fn metadata() -> Metadata {
        Metadata {
            name: "muster".into(),
            version: "1.2.3".into(),
            description: "d".into(),
            repository_url: None,
            documentation_url: Some("https://docs".into()),
        }
    }

    #[test]
    fn metadata_omits_absent_urls() {
        let body = serde_json::to_string(&metadata()).unwrap();
        assert_eq!(
            body,
            r#"{"name":"muster","version":"1.2.3","description":"d","documentation_url":"https://docs"}"#
        );
    }

    #[test]
    fn validation_errors_match_fastapi() {
        let body = UpstreamResponse::validation(vec![ValidationError::missing_header(
            "X-Auth-Request-User",
        )]);
        assert_eq!(body.status, 422);
        assert_eq!(
            body.body,
            r#"{"detail":[{"type":"missing","loc":["header","x-auth-request-user"],"msg":"Field required","input":null}]}"#
        );
        let literal = ValidationError::literal("mode", &["header", "authorization"], "bogus");
        assert_eq!(
            serde_json::to_string(&literal).unwrap(),
            r#"{"type":"literal_error","loc":["path","mode"],"msg":"Input should be 'header' or 'authorization'","input":"bogus","ctx":{"expected":"'header' or 'authorization'"}}"#
        );
        let three = ValidationError::literal("mode", &["a", "b", "c"], "d");
        assert_eq!(three.msg, "Input should be 'a', 'b' or 'c'");
    }

    #[test]
    fn check_failures_match_upstream_messages() {
        let body = UpstreamResponse::failure(ErrorDetail::unexpected_header("authorization"));
        assert_eq!(body.status, 500);
        assert_eq!(
            body.body,
            r#"{"detail":[{"loc":["header","Authorization"],"msg":"Header Authorization set but should not be present","type":"unexpected_header"}]}"#
        );
        let data = serde_json::to_string(&ErrorDetail::gafaelfawr_data("m".into())).unwrap();
        assert_eq!(data, r#"{"msg":"m","type":"gafaelfawr_data"}"#);
        let cookie = serde_json::to_string(&ErrorDetail::unexpected_cookie("gafaelfawr")).unwrap();
        assert_eq!(
            cookie,
            r#"{"loc":["header","Cookie"],"msg":"Cookie gafaelfawr set but should not be present","type":"unexpected_cookie"}"#
        );
    }

    #[test]
    fn messages_never_carry_a_whole_token() {
        let token = "gt-AbCdEfGhIjKlMnOpQrStUv.0123456789abcdefghijkl";
        let detail = ErrorDetail::incorrect_header("authorization", &format!("Bearer {token}"));
        assert!(!detail.msg.contains(token), "{}", detail.msg);
    }

    #[test]
    fn delegated_user_info_leaves_out_nulls_and_empty_groups() {
        let info: UserInfo =
            serde_json::from_str(r#"{"username":"u","groups":[],"uid":7}"#).unwrap();
        let body = serde_json::to_string(&DelegatedUserInfo::from(&info)).unwrap();
        assert_eq!(body, r#"{"username":"u","uid":7}"#);
    }

    #[test]
    fn index_builds_absolute_route_urls() {
        let index = Index::new(metadata(), "https://example.com/muster");
        assert_eq!(
            index.auth_required_url,
            "https://example.com/muster/auth/fail"
        );
        assert_eq!(
            index.delegated_url,
            "https://example.com/muster/delegated/header"
        );
        assert_eq!(
            index.authorization_url,
            "https://example.com/muster/delegated/authorization"
        );
    }
}
