//! Bodies of the upstream-compatible representation: byte for byte what the
//! Python Muster service returns, so its existing automated client keeps
//! working. Field order matters for byte compatibility and follows upstream.

use serde::{Deserialize, Serialize};

/// Service metadata, answered by the internal health route `GET /` and
/// embedded in the index. Absent optional fields are omitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn index_builds_absolute_route_urls() {
        let index = Index::new(metadata(), "https://example.com/muster");
        assert_eq!(index.auth_required_url, "https://example.com/muster/auth/fail");
        assert_eq!(index.delegated_url, "https://example.com/muster/delegated/header");
        assert_eq!(
            index.authorization_url,
            "https://example.com/muster/delegated/authorization"
        );
    }
}
