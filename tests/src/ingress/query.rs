//! The auth subrequest URL Gafaelfawr's operator puts in an ingress's
//! `auth-url` annotation, built from a `GafaelfawrIngress` config.

use super::model::{DelegateKind, IngressConfig, Scopes};

/// Path and query of the auth subrequest for `config`, relative to
/// Gafaelfawr's internal URL: `/ingress/anonymous` for an anonymous
/// ingress, otherwise `/ingress/auth?<query>` with the parameters in the
/// operator's order (`allow_cookies=false`, `allow_options=true`,
/// `auth_type`, `notebook=true` | `delegate_to` + repeated `delegate_scope`,
/// `minimum_lifetime`, `use_authorization=true`, repeated `only_service`,
/// repeated `scope`, `satisfy` unless all, `service`, `user_domain=true`,
/// `username`). Only what is configured is emitted: Gafaelfawr itself
/// applies defaults such as the 300-second minimum lifetime of a delegated
/// token. Values are form-encoded except `:` and `/`.
pub fn auth_query(config: &IngressConfig) -> String {
    let scopes = match &config.scopes {
        Scopes::Anonymous => return "/ingress/anonymous".to_owned(),
        Scopes::All(scopes) | Scopes::Any(scopes) => scopes,
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    if !config.allow_cookies {
        query.push(("allow_cookies", "false".into()));
    }
    if config.allow_options {
        query.push(("allow_options", "true".into()));
    }
    if let Some(auth_type) = config.auth_type {
        query.push(("auth_type", auth_type.as_str().into()));
    }
    if let Some(delegate) = &config.delegate {
        match &delegate.kind {
            DelegateKind::Notebook => query.push(("notebook", "true".into())),
            DelegateKind::Internal { service, scopes } => {
                query.push(("delegate_to", service.clone()));
                query.extend(scopes.iter().map(|s| ("delegate_scope", s.clone())));
            }
        }
        if let Some(lifetime) = delegate.minimum_lifetime {
            query.push(("minimum_lifetime", lifetime.to_string()));
        }
        if delegate.use_authorization {
            query.push(("use_authorization", "true".into()));
        }
    }
    query.extend(
        config
            .only_services
            .iter()
            .map(|s| ("only_service", s.clone())),
    );
    query.extend(scopes.iter().map(|s| ("scope", s.clone())));
    if matches!(config.scopes, Scopes::Any(_)) {
        query.push(("satisfy", "any".into()));
    }
    if let Some(service) = &config.service {
        query.push(("service", service.clone()));
    }
    if config.user_domain {
        query.push(("user_domain", "true".into()));
    }
    if let Some(username) = &config.username {
        query.push(("username", username.clone()));
    }
    let encoded: Vec<String> = query
        .iter()
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    if encoded.is_empty() {
        "/ingress/auth".to_owned()
    } else {
        format!("/ingress/auth?{}", encoded.join("&"))
    }
}

/// Python's `urlencode(..., safe=":/")`: unreserved characters, `:` and `/`
/// as they are, space as `+`, everything else percent-encoded.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'/' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::{AuthType, Delegate};
    use super::*;

    fn config(scopes: Scopes) -> IngressConfig {
        IngressConfig {
            scopes,
            service: None,
            login_redirect: false,
            auth_type: None,
            auth_cache_duration: None,
            allow_cookies: true,
            allow_options: false,
            only_services: vec![],
            username: None,
            user_domain: false,
            delegate: None,
        }
    }

    #[test]
    fn anonymous_uses_the_anonymous_route() {
        assert_eq!(auth_query(&config(Scopes::Anonymous)), "/ingress/anonymous");
    }

    #[test]
    fn every_parameter_in_the_operators_order() {
        let mut everything = config(Scopes::Any(vec!["read:image".into(), "exec:admin".into()]));
        everything.allow_cookies = false;
        everything.allow_options = true;
        everything.auth_type = Some(AuthType::Basic);
        everything.delegate = Some(Delegate {
            kind: DelegateKind::Internal {
                service: "svc".into(),
                scopes: vec!["read:tap".into(), "read:all".into()],
            },
            minimum_lifetime: Some(600),
            use_authorization: true,
        });
        everything.only_services = vec!["a".into(), "b".into()];
        everything.service = Some("svc".into());
        everything.user_domain = true;
        everything.username = Some("bot-x y&z".into());
        assert_eq!(
            auth_query(&everything),
            "/ingress/auth?allow_cookies=false&allow_options=true&auth_type=basic\
             &delegate_to=svc&delegate_scope=read:tap&delegate_scope=read:all\
             &minimum_lifetime=600&use_authorization=true&only_service=a&only_service=b\
             &scope=read:image&scope=exec:admin&satisfy=any&service=svc&user_domain=true\
             &username=bot-x+y%26z"
        );
    }

    #[test]
    fn notebook_delegation() {
        let mut notebook = config(Scopes::All(vec!["exec:notebook".into()]));
        notebook.delegate = Some(Delegate {
            kind: DelegateKind::Notebook,
            minimum_lifetime: None,
            use_authorization: false,
        });
        assert_eq!(
            auth_query(&notebook),
            "/ingress/auth?notebook=true&scope=exec:notebook"
        );
    }
}
