//! `GafaelfawrIngress` objects (`gafaelfawr.lsst.io/v1alpha1`) read from a
//! rendered manifest, typed and validated the way Gafaelfawr's operator
//! validates them before it creates the `Ingress`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The API version of the `GafaelfawrIngress` resources this module reads.
pub const API_VERSION: &str = "gafaelfawr.lsst.io/v1alpha1";
/// The kind of the resources this module reads.
pub const KIND: &str = "GafaelfawrIngress";

/// One `GafaelfawrIngress`: how Gafaelfawr protects some paths of a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GafaelfawrIngress {
    /// `metadata.name` of the resource.
    pub name: String,
    /// What Gafaelfawr checks and adds (`config`).
    pub config: IngressConfig,
    /// The `Ingress` the operator generates (`template`).
    pub template: IngressTemplate,
}

/// The `config` of a `GafaelfawrIngress`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressConfig {
    /// Required scopes, or anonymous access.
    pub scopes: Scopes,
    /// Service name the request is made on behalf of (quotas, `X-Auth-Request-Service`).
    pub service: Option<String>,
    /// Redirect a client without credentials to the login page instead of 401.
    pub login_redirect: bool,
    /// Challenge type of a 401 (`bearer` by default).
    pub auth_type: Option<AuthType>,
    /// How long ingress-nginx caches Gafaelfawr's answer (an nginx time such as `5m`).
    pub auth_cache_duration: Option<String>,
    /// Whether the `gafaelfawr` cookie is accepted as a credential (default true).
    pub allow_cookies: bool,
    /// Whether CORS preflight `OPTIONS` requests pass without credentials.
    pub allow_options: bool,
    /// Only tokens of these services may use the route.
    pub only_services: Vec<String>,
    /// Only this user may use the route.
    pub username: Option<String>,
    /// The user must match the host's user domain.
    pub user_domain: bool,
    /// Token delegation to the backend.
    pub delegate: Option<Delegate>,
}

/// `config.scopes`: exactly one of `all`, `any` or `anonymous: true`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scopes {
    /// The token must hold every one of these scopes.
    All(Vec<String>),
    /// The token must hold at least one of these scopes.
    Any(Vec<String>),
    /// No authentication; Gafaelfawr only strips credentials.
    Anonymous,
}

/// `config.authType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthType {
    /// `WWW-Authenticate: Bearer …` (the default).
    Bearer,
    /// `WWW-Authenticate: Basic …`.
    Basic,
}

impl AuthType {
    /// The value of the `auth_type` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Bearer => "bearer",
            AuthType::Basic => "basic",
        }
    }
}

impl GafaelfawrIngress {
    /// Every scope this ingress names: required ones and those of a
    /// delegated internal token.
    pub fn scopes_named(&self) -> Vec<&str> {
        let mut named: Vec<&str> = match &self.config.scopes {
            Scopes::All(scopes) | Scopes::Any(scopes) => {
                scopes.iter().map(String::as_str).collect()
            }
            Scopes::Anonymous => Vec::new(),
        };
        if let Some(Delegate {
            kind: DelegateKind::Internal { scopes, .. },
            ..
        }) = &self.config.delegate
        {
            named.extend(scopes.iter().map(String::as_str));
        }
        named
    }
}

/// `config.delegate`: which token Gafaelfawr mints for the backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegate {
    /// Notebook or internal token.
    pub kind: DelegateKind,
    /// Minimum remaining lifetime of the delegated token, in seconds.
    pub minimum_lifetime: Option<u64>,
    /// Also put the delegated token in `Authorization: Bearer`.
    pub use_authorization: bool,
}

/// The kind of delegated token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DelegateKind {
    /// `internal: {service, scopes}`: an internal token for `service`.
    Internal {
        /// The service the token is delegated to.
        service: String,
        /// Scopes of the delegated token (intersected with the caller's).
        scopes: Vec<String>,
    },
    /// `notebook: {}`: a notebook token.
    Notebook,
}

/// `template` of a `GafaelfawrIngress`: the generated `Ingress`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressTemplate {
    /// Name, annotations and labels of the generated `Ingress`.
    pub metadata: TemplateMetadata,
    /// Its rules.
    pub spec: IngressSpec,
}

/// `template.metadata`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateMetadata {
    /// Name of the generated `Ingress`.
    pub name: String,
    /// Extra annotations (ingress-nginx settings).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `template.spec`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressSpec {
    /// One rule per host.
    pub rules: Vec<IngressRule>,
    /// TLS settings, kept as written.
    #[serde(default)]
    pub tls: Vec<yaml_serde::Value>,
}

/// `template.spec.rules[]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressRule {
    /// Host the rule applies to (all hosts when absent).
    #[serde(default)]
    pub host: Option<String>,
    /// Its paths.
    pub http: HttpRule,
}

/// `template.spec.rules[].http`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRule {
    /// Paths and their backends.
    pub paths: Vec<IngressPath>,
}

/// One path of an ingress rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IngressPath {
    /// The URL path.
    pub path: String,
    /// How `path` matches.
    pub path_type: PathType,
    /// Where matching requests go.
    pub backend: Backend,
}

/// Kubernetes `pathType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum PathType {
    /// The path matches exactly.
    Exact,
    /// The path matches element-wise as a prefix (`/a` matches `/a`, `/a/b`, not `/ab`).
    Prefix,
    /// ingress-nginx treats it as `Prefix`.
    ImplementationSpecific,
}

/// `backend` of an ingress path.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    /// The Kubernetes service.
    pub service: ServiceBackend,
}

/// `backend.service`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceBackend {
    /// Service name.
    pub name: String,
    /// Service port.
    pub port: ServicePort,
}

/// `backend.service.port`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicePort {
    /// Port number.
    pub number: u16,
}

/// Parses every `GafaelfawrIngress` of a (multi-document) manifest, such as
/// the chart rendered by [`crate::ingress::render_chart`], ignoring the other
/// resources. Any invalid ingress is an error naming it.
pub fn parse_manifest(yaml: &str) -> Result<Vec<GafaelfawrIngress>, String> {
    let mut ingresses = Vec::new();
    for (index, document) in yaml_serde::Deserializer::from_str(yaml).enumerate() {
        let value = yaml_serde::Value::deserialize(document)
            .map_err(|error| format!("manifest document {index} is not YAML: {error}"))?;
        if value.is_null() || value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            continue;
        }
        let api_version = value.get("apiVersion").and_then(|v| v.as_str());
        if api_version != Some(API_VERSION) {
            return Err(format!(
                "manifest document {index} is a {KIND} with apiVersion {api_version:?}; expected {API_VERSION}"
            ));
        }
        ingresses.push(
            parse_ingress(value)
                .map_err(|error| format!("manifest document {index} ({KIND}): {error}"))?,
        );
    }
    Ok(ingresses)
}

/// Parses and validates one `GafaelfawrIngress` document.
pub fn parse_ingress(value: yaml_serde::Value) -> Result<GafaelfawrIngress, String> {
    let raw: RawIngress = yaml_serde::from_value(value).map_err(|error| error.to_string())?;
    let name = raw.metadata.name;
    let config = raw
        .config
        .validate()
        .map_err(|error| format!("{name}: invalid config: {error}"))?;
    validate_template(&raw.template)
        .map_err(|error| format!("{name}: invalid template: {error}"))?;
    Ok(GafaelfawrIngress {
        name,
        config,
        template: raw.template,
    })
}

fn validate_template(template: &IngressTemplate) -> Result<(), String> {
    if template.spec.rules.is_empty() {
        return Err("spec.rules is empty".to_owned());
    }
    for rule in &template.spec.rules {
        if rule.http.paths.is_empty() {
            return Err("a rule has no paths".to_owned());
        }
        for path in &rule.http.paths {
            let p = &path.path;
            let unsafe_char = p
                .chars()
                .find(|c| c.is_whitespace() || c.is_control() || "\"'{};$\\#?".contains(*c));
            if !p.starts_with('/') || unsafe_char.is_some() {
                return Err(format!(
                    "path {p:?} must start with '/' and contain no whitespace, quotes, braces, ';', '$', '\\', '#' or '?'"
                ));
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct RawIngress {
    metadata: RawMetadata,
    config: RawConfig,
    template: IngressTemplate,
}

#[derive(Deserialize)]
struct RawMetadata {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawConfig {
    scopes: RawScopes,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    login_redirect: bool,
    #[serde(default)]
    auth_type: Option<AuthType>,
    #[serde(default)]
    auth_cache_duration: Option<String>,
    #[serde(default)]
    allow_cookies: Option<bool>,
    #[serde(default)]
    allow_options: bool,
    #[serde(default)]
    only_services: Option<Vec<String>>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    user_domain: bool,
    #[serde(default)]
    delegate: Option<RawDelegate>,
    /// Accepted and ignored: the operator fills it from its own config.
    #[serde(default)]
    #[allow(dead_code)]
    base_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScopes {
    #[serde(default)]
    all: Option<Vec<String>>,
    #[serde(default)]
    any: Option<Vec<String>>,
    #[serde(default)]
    anonymous: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDelegate {
    #[serde(default)]
    internal: Option<RawInternal>,
    #[serde(default)]
    notebook: Option<yaml_serde::Mapping>,
    #[serde(default)]
    minimum_lifetime: Option<u64>,
    #[serde(default)]
    use_authorization: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInternal {
    service: String,
    #[serde(default)]
    scopes: Vec<String>,
}

impl RawScopes {
    fn validate(self) -> Result<Scopes, String> {
        match (self.all, self.any, self.anonymous) {
            (Some(all), None, None) => Ok(Scopes::All(all)),
            (None, Some(any), None) => Ok(Scopes::Any(any)),
            (None, None, Some(true)) => Ok(Scopes::Anonymous),
            (None, None, Some(false)) => Err("scopes.anonymous may only be true".to_owned()),
            _ => Err("scopes needs exactly one of all, any or anonymous".to_owned()),
        }
    }
}

impl RawDelegate {
    fn validate(self) -> Result<Delegate, String> {
        let kind = match (self.internal, self.notebook) {
            (Some(internal), None) => DelegateKind::Internal {
                service: internal.service,
                scopes: internal.scopes,
            },
            (None, Some(_)) => DelegateKind::Notebook,
            _ => return Err("delegate needs exactly one of internal or notebook".to_owned()),
        };
        Ok(Delegate {
            kind,
            minimum_lifetime: self.minimum_lifetime,
            use_authorization: self.use_authorization,
        })
    }
}

impl RawConfig {
    fn validate(self) -> Result<IngressConfig, String> {
        let scopes = self.scopes.validate()?;
        if scopes == Scopes::Anonymous {
            let mut set = Vec::new();
            let options = [
                ("service", self.service.is_some()),
                ("loginRedirect", self.login_redirect),
                ("authType", self.auth_type.is_some()),
                ("authCacheDuration", self.auth_cache_duration.is_some()),
                ("allowCookies", self.allow_cookies.is_some()),
                ("allowOptions", self.allow_options),
                ("onlyServices", self.only_services.is_some()),
                ("username", self.username.is_some()),
                ("userDomain", self.user_domain),
                ("delegate", self.delegate.is_some()),
            ];
            for (name, present) in options {
                if present {
                    set.push(name);
                }
            }
            if !set.is_empty() {
                return Err(format!(
                    "{} has no effect for anonymous ingresses; remove it",
                    set.join(", ")
                ));
            }
        }
        let allow_cookies = self.allow_cookies.unwrap_or(true);
        if self.login_redirect && self.auth_type == Some(AuthType::Basic) {
            return Err("authType basic cannot be combined with loginRedirect".to_owned());
        }
        if self.login_redirect && !allow_cookies {
            return Err("allowCookies false cannot be combined with loginRedirect".to_owned());
        }
        if let Some(duration) = &self.auth_cache_duration {
            if !is_nginx_time(duration) {
                return Err(format!(
                    "authCacheDuration {duration:?} is not a duration such as 30s, 5m or 1h"
                ));
            }
        }
        let delegate = self.delegate.map(RawDelegate::validate).transpose()?;
        if let (
            Some(service),
            Some(Delegate {
                kind: DelegateKind::Internal { service: to, .. },
                ..
            }),
        ) = (&self.service, &delegate)
        {
            if service != to {
                return Err(format!(
                    "service {service:?} differs from delegate.internal.service {to:?}; they must agree"
                ));
            }
        }
        Ok(IngressConfig {
            scopes,
            service: self.service,
            login_redirect: self.login_redirect,
            auth_type: self.auth_type,
            auth_cache_duration: self.auth_cache_duration,
            allow_cookies,
            allow_options: self.allow_options,
            only_services: self.only_services.unwrap_or_default(),
            username: self.username,
            user_domain: self.user_domain,
            delegate,
        })
    }
}

/// True for an nginx time such as `300`, `30s`, `5m` or `1h30m`.
fn is_nginx_time(text: &str) -> bool {
    let mut digits = 0;
    let mut parts = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
        } else if "smhdwMy".contains(c) && digits > 0 {
            digits = 0;
            parts += 1;
        } else {
            return false;
        }
    }
    digits > 0 || parts > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingress(config: &str) -> Result<GafaelfawrIngress, String> {
        let yaml = format!(
            "apiVersion: gafaelfawr.lsst.io/v1alpha1\nkind: GafaelfawrIngress\nmetadata:\n  name: test\nconfig:\n{config}\ntemplate:\n  metadata:\n    name: test\n  spec:\n    rules:\n      - host: example.com\n        http:\n          paths:\n            - path: /test\n              pathType: Prefix\n              backend:\n                service:\n                  name: muster\n                  port:\n                    number: 8080\n"
        );
        parse_manifest(&yaml).map(|mut all| all.remove(0))
    }

    #[test]
    fn parses_delegation_config() {
        let parsed = ingress(
            "  scopes:\n    any: [read:image, exec:admin]\n  service: muster\n  delegate:\n    internal:\n      service: muster\n      scopes: [read:tap]\n    minimumLifetime: 600\n    useAuthorization: true",
        )
        .unwrap();
        assert_eq!(
            parsed.config.scopes,
            Scopes::Any(vec!["read:image".into(), "exec:admin".into()])
        );
        assert_eq!(
            parsed.config.delegate,
            Some(Delegate {
                kind: DelegateKind::Internal {
                    service: "muster".into(),
                    scopes: vec!["read:tap".into()]
                },
                minimum_lifetime: Some(600),
                use_authorization: true,
            })
        );
        assert!(parsed.config.allow_cookies);
        let path = &parsed.template.spec.rules[0].http.paths[0];
        assert_eq!(path.path_type, PathType::Prefix);
        assert_eq!(path.backend.service.port.number, 8080);
    }

    #[test]
    fn rejects_anonymous_with_other_options() {
        let error = ingress("  scopes:\n    anonymous: true\n  service: muster").unwrap_err();
        assert!(
            error.contains("service has no effect for anonymous"),
            "{error}"
        );
    }

    #[test]
    fn rejects_basic_auth_with_login_redirect() {
        let error = ingress("  scopes:\n    all: [x]\n  authType: basic\n  loginRedirect: true")
            .unwrap_err();
        assert!(
            error.contains("authType basic cannot be combined"),
            "{error}"
        );
    }

    #[test]
    fn rejects_disallowed_cookies_with_login_redirect() {
        let error =
            ingress("  scopes:\n    all: [x]\n  allowCookies: false\n  loginRedirect: true")
                .unwrap_err();
        assert!(error.contains("allowCookies false"), "{error}");
    }

    #[test]
    fn rejects_service_differing_from_delegation() {
        let error = ingress(
            "  scopes:\n    all: [x]\n  service: a\n  delegate:\n    internal:\n      service: b\n      scopes: []",
        )
        .unwrap_err();
        assert!(error.contains("must agree"), "{error}");
    }

    #[test]
    fn rejects_two_scope_kinds_and_unknown_fields() {
        let error = ingress("  scopes:\n    all: [x]\n    any: [y]").unwrap_err();
        assert!(
            error.contains("exactly one of all, any or anonymous"),
            "{error}"
        );
        let error = ingress("  scopes:\n    all: [x]\n  loginRedirct: true").unwrap_err();
        assert!(error.contains("loginRedirct"), "{error}");
    }

    #[test]
    fn rejects_bad_cache_duration() {
        assert!(ingress("  scopes:\n    all: [x]\n  authCacheDuration: 5 minutes").is_err());
        assert!(ingress("  scopes:\n    all: [x]\n  authCacheDuration: 1h30m").is_ok());
    }

    #[test]
    fn skips_other_resources_and_rejects_other_api_versions() {
        let yaml = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n---\n";
        assert_eq!(parse_manifest(yaml).unwrap(), vec![]);
        let error = parse_manifest("apiVersion: gafaelfawr.lsst.io/v1\nkind: GafaelfawrIngress\n")
            .unwrap_err();
        assert!(
            error.contains("expected gafaelfawr.lsst.io/v1alpha1"),
            "{error}"
        );
    }
}
