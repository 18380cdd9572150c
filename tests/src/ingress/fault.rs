//! Misconfigurations of the ingress layer that the nginx configuration can
//! be rendered with, each one a mistake seen (or possible) in a real
//! deployment, so that tests can prove Muster reports it.

use std::fmt;
use std::str::FromStr;

/// One way the rendered nginx configuration departs from what ingress-nginx
/// and Gafaelfawr's operator would generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IngressFault {
    /// Anonymous ingresses get no auth subrequest: the client's cookie and
    /// `Authorization` reach the backend.
    AnonymousNotAuthProcessed,
    /// `Cookie` left out of `auth-response-headers`: the `gafaelfawr`
    /// cookie reaches the backend.
    NoCookieHeader,
    /// `Authorization` left out: the client's token reaches the backend and
    /// a delegated one does not.
    NoAuthorizationHeader,
    /// `X-Auth-Request-Email` left out: forged values pass, real ones are lost.
    NoEmailHeader,
    /// `X-Auth-Request-Token` left out: forged values pass, the delegated token is lost.
    NoTokenHeader,
    /// `X-Auth-Request-User` left out: forged values pass, the real user is lost.
    NoUserHeader,
    /// No `@autherror` location and no `error_page 403`: Gafaelfawr's 400
    /// and 429 reach the client as a bare 403.
    NoAutherror,
    /// `loginRedirect` ignored: the redirect route answers 401.
    NoAuthSignin,
    /// `delegate` dropped from every ingress: no delegated token.
    NoDelegation,
    /// `delegate.useAuthorization` dropped: the token is not put in `Authorization`.
    NoUseAuthorization,
    /// The cached route's `auth-cache-key` without `$http_authorization`:
    /// one bearer token's cached verdict answers every other token and no
    /// token at all.
    CacheKeyWithoutAuthorization,
    /// `auth-cache-key` without `$http_cookie`: one session's cached
    /// verdict answers requests without that session.
    CacheKeyWithoutCookie,
    /// `auth-cache-key` without `$request_method`: an `OPTIONS` request,
    /// which Gafaelfawr answers without authenticating, shares its entry
    /// with a `GET`.
    CacheKeyWithoutMethod,
}

impl IngressFault {
    /// Every fault, in declaration order.
    pub fn all() -> &'static [IngressFault] {
        use IngressFault::*;
        &[
            AnonymousNotAuthProcessed,
            NoCookieHeader,
            NoAuthorizationHeader,
            NoEmailHeader,
            NoTokenHeader,
            NoUserHeader,
            NoAutherror,
            NoAuthSignin,
            NoDelegation,
            NoUseAuthorization,
            CacheKeyWithoutAuthorization,
            CacheKeyWithoutCookie,
            CacheKeyWithoutMethod,
        ]
    }

    /// The kebab-case name used on command lines and in test names.
    pub fn name(self) -> &'static str {
        use IngressFault::*;
        match self {
            AnonymousNotAuthProcessed => "anonymous-not-auth-processed",
            NoCookieHeader => "no-cookie-header",
            NoAuthorizationHeader => "no-authorization-header",
            NoEmailHeader => "no-email-header",
            NoTokenHeader => "no-token-header",
            NoUserHeader => "no-user-header",
            NoAutherror => "no-autherror",
            NoAuthSignin => "no-auth-signin",
            NoDelegation => "no-delegation",
            NoUseAuthorization => "no-use-authorization",
            CacheKeyWithoutAuthorization => "cache-key-without-authorization",
            CacheKeyWithoutCookie => "cache-key-without-cookie",
            CacheKeyWithoutMethod => "cache-key-without-method",
        }
    }

    /// The `auth-response-headers` entry this fault leaves out, if any.
    pub fn omitted_header(self) -> Option<&'static str> {
        use IngressFault::*;
        match self {
            NoCookieHeader => Some("Cookie"),
            NoAuthorizationHeader => Some("Authorization"),
            NoEmailHeader => Some("X-Auth-Request-Email"),
            NoTokenHeader => Some("X-Auth-Request-Token"),
            NoUserHeader => Some("X-Auth-Request-User"),
            _ => None,
        }
    }

    /// The `auth-cache-key` Gafaelfawr's operator sets on an ingress with
    /// `authCacheDuration`, less the variable this fault leaves out.
    pub fn auth_cache_key(fault: Option<IngressFault>) -> String {
        let left_out = match fault {
            Some(IngressFault::CacheKeyWithoutAuthorization) => "$http_authorization",
            Some(IngressFault::CacheKeyWithoutCookie) => "$http_cookie",
            Some(IngressFault::CacheKeyWithoutMethod) => "$request_method",
            _ => "",
        };
        AUTH_CACHE_KEY
            .iter()
            .filter(|part| **part != left_out)
            .copied()
            .collect()
    }
}

/// The parts of the `auth-cache-key` annotation Gafaelfawr's operator
/// writes (`services/kubernetes.py`: `$request_method$http_cookie$http_authorization`).
const AUTH_CACHE_KEY: [&str; 3] = ["$request_method", "$http_cookie", "$http_authorization"];

impl fmt::Display for IngressFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IngressFault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::all()
            .iter()
            .copied()
            .find(|fault| fault.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::all().iter().map(|f| f.name()).collect();
                format!(
                    "unknown ingress fault {text:?}; known: {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for fault in IngressFault::all() {
            assert_eq!(fault.to_string().parse::<IngressFault>(), Ok(*fault));
        }
        assert_eq!(IngressFault::all().len(), 13);
    }

    #[test]
    fn each_cache_key_fault_leaves_out_one_variable() {
        assert_eq!(
            IngressFault::auth_cache_key(None),
            "$request_method$http_cookie$http_authorization"
        );
        assert_eq!(
            IngressFault::auth_cache_key(Some(IngressFault::CacheKeyWithoutCookie)),
            "$request_method$http_authorization"
        );
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let error = "no-such".parse::<IngressFault>().unwrap_err();
        assert!(error.contains("no-autherror"), "{error}");
    }
}
