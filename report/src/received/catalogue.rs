//! The catalogue of checks: for each, its id, title, what it proves, the
//! routes it applies to, where to look when it does not pass, and the pure
//! function that judges it. Adding a check means adding one entry here (and
//! its function in `checks`); the server, the SPA and the CLI pick it up.
//!
//! Order matters: checks run and are listed in catalogue order, and the
//! upstream-compatible answer is decided by the first failing check that
//! has an upstream mapping, so the order follows the Python service's.

use crate::description::Description;
use crate::model::{Check, Component, Route, Status};
use crate::outcome::Outcome;
use crate::received::checks::{anonymous, auth, delegated};
use crate::received::observed::{names, BackendObservation};
use crate::received::upstream::UpstreamFailure;

/// One server-side check: its description, the routes it applies to, and
/// its judging function over the facts observed on a request.
pub struct CheckDefinition {
    /// What the check is and where to look when it does not pass.
    pub description: Description,
    /// The routes whose report includes this check.
    pub routes: &'static [Route],
    /// The judgement.
    pub run: fn(&BackendObservation) -> Outcome,
}

impl CheckDefinition {
    /// Runs the check on `observed`: the report's check, plus the upstream
    /// mapping when it fails and has one.
    pub fn judge(&self, observed: &BackendObservation) -> (Check, Option<UpstreamFailure>) {
        let mut outcome = (self.run)(observed);
        let upstream = if outcome.status == Status::Fail {
            outcome.upstream.take()
        } else {
            None
        };
        (self.description.check(outcome), upstream)
    }
}

const ANONYMOUS: &[Route] = &[Route::Anonymous];
const AUTH: &[Route] = &[
    Route::AuthFail,
    Route::AuthRedirect,
    Route::AuthQuota,
    Route::AuthCached,
];
const DELEGATED: &[Route] = &[Route::DelegatedHeader, Route::DelegatedAuthorization];
const HEADER_MODE: &[Route] = &[Route::DelegatedHeader];
const AUTHORIZATION_MODE: &[Route] = &[Route::DelegatedAuthorization];

const USER_HEADER_TITLE: &str = "The authenticated username reaches Muster";
const USER_HEADER_PROVES: &str = "Gafaelfawr authenticated the request and ingress-nginx passed \
                                  the username on in X-Auth-Request-User.";
const USER_HEADER_HINT: &str = "Make this route's ingress a GafaelfawrIngress that requires a scope, and \
     keep X-Auth-Request-User in ingress-nginx's auth-response-headers. A request that bypasses the \
     ingress (port-forward, a second Ingress on the same path) carries no identity.";
const STRIPPING_HINT: &str =
    "ingress-nginx must copy Authorization and Cookie from Gafaelfawr's auth \
     response (auth-response-headers), which replaces the client's; a plain Ingress or an edited \
     annotation passes the client's headers through. A non-Gafaelfawr Authorization value is \
     passed on by Gafaelfawr by design: do not send one to this route.";

/// Every server-side check, in the order they run.
pub const SERVER_CHECKS: &[CheckDefinition] = &[
    CheckDefinition {
        description: Description {
            id: "anonymous.no_authorization",
            title: "No Authorization header reaches the anonymous route",
            proves: "The anonymous ingress strips the caller's token from Authorization, so a service \
                     that needs no authentication never receives a user's credentials.",
            component: Component::GafaelfawrIngress,
            hint: STRIPPING_HINT,
        },
        routes: ANONYMOUS,
        run: anonymous::no_authorization,
    },
    CheckDefinition {
        description: Description {
            id: "anonymous.no_gafaelfawr_cookie",
            title: "The session cookie does not reach the anonymous route",
            proves: "Gafaelfawr removes its gafaelfawr session cookie before a request reaches an \
                     anonymous service, so that service cannot act as the user.",
            component: Component::GafaelfawrIngress,
            hint: STRIPPING_HINT,
        },
        routes: ANONYMOUS,
        run: anonymous::no_gafaelfawr_cookie,
    },
    CheckDefinition {
        description: Description {
            id: "anonymous.no_identity_headers",
            title: "Forged identity headers are removed",
            proves: "X-Auth-Request-* headers sent by a client never reach a backend, so services can \
                     trust X-Auth-Request-User when Gafaelfawr sets it.",
            component: Component::GafaelfawrIngress,
            hint: "The ingress must be a GafaelfawrIngress with scopes: {anonymous: true} whose \
                   auth-response-headers list X-Auth-Request-User, -Email, -Service and -Token: \
                   ingress-nginx then removes the client's copies, since Gafaelfawr's anonymous \
                   answer has none.",
        },
        routes: ANONYMOUS,
        run: anonymous::no_identity_headers,
    },
    CheckDefinition {
        description: Description {
            id: "auth.user_header",
            title: USER_HEADER_TITLE,
            proves: USER_HEADER_PROVES,
            component: Component::GafaelfawrIngress,
            hint: USER_HEADER_HINT,
        },
        routes: AUTH,
        run: auth::user,
    },
    CheckDefinition {
        description: Description {
            id: "auth.no_authorization",
            title: "The user's token does not reach the backend",
            proves: "Gafaelfawr strips the caller's token from Authorization, so a service only gets \
                     the credentials its ingress delegates to it.",
            component: Component::GafaelfawrIngress,
            hint: STRIPPING_HINT,
        },
        routes: AUTH,
        run: auth::no_authorization,
    },
    CheckDefinition {
        description: Description {
            id: "auth.no_gafaelfawr_cookie",
            title: "The session cookie does not reach the backend",
            proves: "Gafaelfawr removes its session cookie from the Cookie header it passes on, so a \
                     service cannot replay the user's browser session.",
            component: Component::GafaelfawrIngress,
            hint: STRIPPING_HINT,
        },
        routes: AUTH,
        run: auth::no_gafaelfawr_cookie,
    },
    CheckDefinition {
        description: Description {
            id: "auth.no_delegated_token",
            title: "No delegated token where none is asked for",
            proves: "A route without delegation receives no X-Auth-Request-Token, so services get \
                     tokens only when their GafaelfawrIngress asks for one.",
            component: Component::GafaelfawrIngress,
            hint: "Remove `delegate` from this route's GafaelfawrIngress, and keep X-Auth-Request-Token \
                   in auth-response-headers so a client-sent one is dropped.",
        },
        routes: AUTH,
        run: auth::no_delegated_token,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.user_header",
            title: USER_HEADER_TITLE,
            proves: USER_HEADER_PROVES,
            component: Component::GafaelfawrIngress,
            hint: USER_HEADER_HINT,
        },
        routes: DELEGATED,
        run: delegated::user,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.token_header",
            title: "A delegated token reaches Muster",
            proves: "The GafaelfawrIngress's delegate setting made Gafaelfawr mint a token for Muster \
                     and pass it in X-Auth-Request-Token, the way services act on a user's behalf.",
            component: Component::GafaelfawrIngress,
            hint: "Set `delegate: {internal: {service: muster, scopes: []}}` on this route's \
                   GafaelfawrIngress and keep X-Auth-Request-Token in auth-response-headers.",
        },
        routes: DELEGATED,
        run: delegated::token_header,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.user_info",
            title: "Gafaelfawr's user-info answers to the delegated token",
            proves: "Muster reaches Gafaelfawr's API from inside the cluster and Gafaelfawr accepts the \
                     token it minted: services that look up their users this way will work.",
            component: Component::Gafaelfawr,
            hint: "Check Gafaelfawr's logs for the user-info request.",
        },
        routes: DELEGATED,
        run: delegated::user_info,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.username_matches",
            title: "User-info agrees on the username",
            proves: "The delegated token belongs to the user the ingress authenticated.",
            component: Component::Gafaelfawr,
            hint: "Gafaelfawr's ingress answer and its API disagree: make sure Muster calls the same \
                   Gafaelfawr that serves the ingress (the chart's config.gafaelfawrUrl, or \
                   Repertoire).",
        },
        routes: DELEGATED,
        run: delegated::username_matches,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.email_matches",
            title: "User-info agrees on the email",
            proves: "The email a service sees in X-Auth-Request-Email is the one Gafaelfawr's user \
                     directory holds.",
            component: Component::Gafaelfawr,
            hint: "Gafaelfawr's ingress answer and its user-info disagree: check that Muster calls the \
                   same Gafaelfawr as the ingress, and Gafaelfawr's user-information cache and \
                   directory (LDAP mail attribute, identity provider's email claim).",
        },
        routes: DELEGATED,
        run: delegated::email_matches,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.no_authorization",
            title: "The delegated token is not put in Authorization",
            proves: "Without useAuthorization, Gafaelfawr passes the delegated token only in \
                     X-Auth-Request-Token and strips the caller's token from Authorization.",
            component: Component::GafaelfawrIngress,
            hint: "Remove delegate.useAuthorization from this route's GafaelfawrIngress (muster-delegate) \
                   and keep Authorization in auth-response-headers.",
        },
        routes: HEADER_MODE,
        run: delegated::no_authorization,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.authorization_bearer",
            title: "Authorization carries exactly the delegated token",
            proves: "With delegate.useAuthorization, Gafaelfawr puts `Bearer <delegated token>` in \
                     Authorization, for services that read tokens only from there.",
            component: Component::GafaelfawrIngress,
            hint: "Set delegate.useAuthorization: true on this route's GafaelfawrIngress \
                   (muster-authorization) and keep Authorization in auth-response-headers.",
        },
        routes: AUTHORIZATION_MODE,
        run: delegated::authorization_bearer,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.uid_gid",
            title: "The user has a UID and a primary GID",
            proves: "Gafaelfawr's user directory assigns numeric identities, which notebooks (Nublado) \
                     and POSIX file systems need.",
            component: Component::UserDirectory,
            hint: "Give users uidNumber and gidNumber in LDAP (Gafaelfawr's config.ldap uid/gid \
                   attributes), or enable Firestore UID/GID assignment (config.firestore), or map the \
                   identity provider's uid/gid claims.",
        },
        routes: DELEGATED,
        run: delegated::uid_gid,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.groups",
            title: "The user belongs to groups with GIDs",
            proves: "Group memberships come back from the user directory: Gafaelfawr maps them to \
                     scopes, and services use them for access control and file permissions.",
            component: Component::UserDirectory,
            hint: "Check Gafaelfawr's group source (LDAP group base DN, or the identity provider's \
                   isMemberOf claim) and config.groupMapping; groups need GIDs (gidNumber).",
        },
        routes: DELEGATED,
        run: delegated::groups,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.token_info",
            title: "The delegated token is an internal token for Muster with no scopes",
            proves: "Gafaelfawr delegated exactly what the GafaelfawrIngress asks for (internal, \
                     service muster, scopes []): a token limited to this service, not the user's own.",
            component: Component::GafaelfawrIngress,
            hint: "Set `delegate: {internal: {service: muster, scopes: []}}` and `service: muster` on \
                   this route's GafaelfawrIngress.",
        },
        routes: DELEGATED,
        run: delegated::token_info,
    },
    CheckDefinition {
        description: Description {
            id: "delegated.no_gafaelfawr_cookie",
            title: "The session cookie does not reach the backend",
            proves: "Gafaelfawr removes its session cookie from the Cookie header it passes on, so a \
                     service cannot replay the user's browser session.",
            component: Component::GafaelfawrIngress,
            hint: STRIPPING_HINT,
        },
        routes: DELEGATED,
        run: delegated::no_gafaelfawr_cookie,
    },
];

/// Every server-side check's id and component, built at compile time from
/// `SERVER_CHECKS`: referring to `SERVER_CHECKS` itself would link every
/// judging function into the page that only reads a route's report.
static COMPONENTS: [(&str, Component); SERVER_CHECKS.len()] = {
    let mut components = [("", Component::MusterConfiguration); SERVER_CHECKS.len()];
    let mut at = 0;
    while at < SERVER_CHECKS.len() {
        let description = &SERVER_CHECKS[at].description;
        components[at] = (description.id, description.component);
        at += 1;
    }
    components
};

/// The component of the server-side check with `id`, if there is one.
pub fn server_component(id: &str) -> Option<Component> {
    COMPONENTS
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, component)| *component)
}

/// The server-side check that answers a request to `route` with upstream
/// error `kind` (`missing` is FastAPI's, for a header the route requires)
/// about `header` and message `msg`, and the component it points at.
/// Upstream's bodies name no check, so a client that reads only them
/// (mobu's, `upstream.client_answers`) learns here which check failed and
/// what to fix. `None` for errors no check gives.
pub fn check_behind_upstream_error(
    route: Route,
    kind: &str,
    header: Option<&str>,
    msg: &str,
) -> Option<(&'static str, Component)> {
    let header = header.unwrap_or_default();
    let error = UPSTREAM_ERRORS.iter().find(|error| {
        error.kinds.contains(&kind)
            && (error.header.is_empty() || header.eq_ignore_ascii_case(error.header))
            && msg.contains(error.message)
    })?;
    let id = match route {
        Route::DelegatedHeader | Route::DelegatedAuthorization => error.on_delegated,
        _ => error.on_auth,
    };
    if id.is_empty() {
        return None;
    }
    let component = error.component.or_else(|| server_component(id))?;
    Some((id, component))
}

/// One upstream error a check of the authenticated and delegated routes
/// gives, and the check that gives it.
struct UpstreamError {
    /// The `type`s it has (FastAPI's `missing` and Muster's
    /// `missing_header` are the same absence).
    kinds: &'static [&'static str],
    /// The header it is about (`loc`); empty: any.
    header: &'static str,
    /// Text its `msg` contains; empty: any.
    message: &'static str,
    /// The check that gives it on the auth routes; empty: none there.
    on_auth: &'static str,
    /// The check that gives it on the delegated routes; empty: none there.
    on_delegated: &'static str,
    /// The component, where the check's own depends on the cause the
    /// message names (as `checks::delegated::fix_for` decides it).
    component: Option<Component>,
}

/// The first match wins: entries with a message come before the same
/// error without one.
const UPSTREAM_ERRORS: &[UpstreamError] = &[
    UpstreamError {
        kinds: &["missing", "missing_header"],
        header: names::USER,
        message: "",
        on_auth: "auth.user_header",
        on_delegated: "delegated.user_header",
        component: None,
    },
    UpstreamError {
        kinds: &["missing", "missing_header", "incorrect_header"],
        header: names::TOKEN,
        message: "",
        on_auth: "",
        on_delegated: "delegated.token_header",
        component: None,
    },
    UpstreamError {
        kinds: &["missing_header", "incorrect_header"],
        header: names::AUTHORIZATION,
        message: "",
        on_auth: "",
        on_delegated: "delegated.authorization_bearer",
        component: None,
    },
    UpstreamError {
        kinds: &["unexpected_header"],
        header: names::AUTHORIZATION,
        message: "",
        on_auth: "auth.no_authorization",
        on_delegated: "delegated.no_authorization",
        component: None,
    },
    UpstreamError {
        kinds: &["unexpected_header"],
        header: names::TOKEN,
        message: "",
        on_auth: "auth.no_delegated_token",
        on_delegated: "",
        component: None,
    },
    UpstreamError {
        kinds: &["gafaelfawr_data"],
        header: "",
        message: "Gafaelfawr username",
        on_auth: "",
        on_delegated: "delegated.username_matches",
        component: None,
    },
    UpstreamError {
        kinds: &["gafaelfawr_data"],
        header: "",
        message: "",
        on_auth: "",
        on_delegated: "delegated.email_matches",
        component: None,
    },
    UpstreamError {
        kinds: &["gafaelfawr_error"],
        header: "",
        message: "(user_info_failed)",
        on_auth: "",
        on_delegated: "delegated.user_info",
        component: Some(Component::UserDirectory),
    },
    // Other causes point at Gafaelfawr; the route's own report tells them
    // apart.
    UpstreamError {
        kinds: &["gafaelfawr_error"],
        header: "",
        message: "",
        on_auth: "",
        on_delegated: "delegated.user_info",
        component: None,
    },
    UpstreamError {
        kinds: &["configuration_error"],
        header: "",
        message: "",
        on_auth: "",
        on_delegated: "delegated.user_info",
        component: Some(Component::MusterConfiguration),
    },
];

/// The server-side checks that apply to `route`, in catalogue order.
pub fn server_checks_for(route: Route) -> impl Iterator<Item = &'static CheckDefinition> {
    SERVER_CHECKS
        .iter()
        .filter(move |check| check.routes.contains(&route))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_prefixed_by_their_family() {
        let mut seen = HashSet::new();
        for check in SERVER_CHECKS {
            assert!(
                seen.insert(check.description.id),
                "duplicate id {}",
                check.description.id
            );
            let family = check.description.id.split('.').next().unwrap();
            for route in check.routes {
                assert!(
                    route.path().starts_with(family),
                    "{} on {:?}",
                    check.description.id,
                    route
                );
            }
        }
    }

    #[test]
    fn every_route_has_checks() {
        for route in Route::ALL {
            assert!(server_checks_for(route).count() >= 3, "{route:?}");
        }
    }

    #[test]
    fn an_error_no_check_of_the_route_gives_leads_nowhere() {
        for (route, kind, header) in [
            (Route::AuthFail, "configuration_error", None),
            (
                Route::AuthFail,
                "missing_header",
                Some("X-Auth-Request-Token"),
            ),
            (
                Route::DelegatedHeader,
                "unexpected_header",
                Some("X-Auth-Request-Token"),
            ),
            (Route::DelegatedHeader, "rate_limited", None),
        ] {
            assert_eq!(
                check_behind_upstream_error(route, kind, header, "x"),
                None,
                "{route:?} {kind}"
            );
        }
    }

    /// Every upstream error the four routes mobu reads can give, from
    /// requests and Gafaelfawr answers that fail each of their checks,
    /// leads back to a check of the route that failed.
    #[test]
    fn every_upstream_error_leads_back_to_the_check_that_failed() {
        use crate::received::checks::testing::{observe, TOKEN};
        use crate::received::evaluate::evaluate;
        use crate::received::observed::{FetchCause, FetchError, UserInfo};
        let user = |name: &str, email: Option<&str>| UserInfo {
            username: name.into(),
            name: None,
            email: email.map(Into::into),
            uid: Some(1),
            gid: Some(1),
            groups: vec![],
        };
        let bearer = format!("Bearer {TOKEN}");
        let mut seen_kinds = HashSet::new();
        for route in [
            Route::AuthFail,
            Route::AuthRedirect,
            Route::DelegatedHeader,
            Route::DelegatedAuthorization,
        ] {
            let identity = [
                ("x-auth-request-user", "u"),
                ("x-auth-request-email", "u@x"),
            ];
            let delegated = [identity[0], identity[1], ("x-auth-request-token", TOKEN)];
            let authorization = if route == Route::DelegatedAuthorization {
                Some(("authorization", bearer.as_str()))
            } else {
                None
            };
            let base: Vec<(&str, &str)> = if route.path().starts_with("delegated") {
                delegated.iter().copied().chain(authorization).collect()
            } else {
                identity.to_vec()
            };
            let with = |extra: &[(&'static str, &'static str)], drop: &str| {
                let headers: Vec<(&str, &str)> = base
                    .iter()
                    .copied()
                    .filter(|(name, _)| *name != drop)
                    .chain(extra.iter().copied())
                    .collect();
                let mut observed = observe(route, &headers);
                observed.gafaelfawr.user_info = Some(Ok(user("u", Some("u@x"))));
                observed
            };
            let mut cases = vec![
                with(&[], "x-auth-request-user"),
                with(&[], "x-auth-request-token"),
                with(&[], "authorization"),
                with(&[("authorization", "Bearer gt-other.x")], "authorization"),
                with(&[("cookie", "gafaelfawr=x")], ""),
                with(
                    &[("x-auth-request-token", "not-a-token")],
                    "x-auth-request-token",
                ),
            ];
            if route == Route::AuthFail {
                cases.push(with(&[("x-auth-request-token", TOKEN)], ""));
            }
            for info in [
                Ok(user("v", Some("u@x"))),
                Ok(user("u", Some("v@x"))),
                Err(FetchError {
                    url: "http://g/user-info".into(),
                    cause: FetchCause::ConnectionRefused,
                }),
                Err(FetchError {
                    url: String::new(),
                    cause: FetchCause::NotConfigured,
                }),
                Err(FetchError {
                    url: "http://g/user-info".into(),
                    cause: FetchCause::HttpStatus {
                        status: 500,
                        error_type: Some("user_info_failed".into()),
                        body: String::new(),
                    },
                }),
            ] {
                let mut observed = with(&[], "");
                observed.gafaelfawr.user_info = Some(info);
                cases.push(observed);
            }
            for observed in cases {
                let evaluation = evaluate(&observed, "1");
                let body: serde_json::Value =
                    serde_json::from_str(&evaluation.upstream.body).unwrap();
                let Some(details) = body["detail"].as_array() else {
                    continue;
                };
                for detail in details {
                    let kind = detail["type"].as_str().unwrap();
                    seen_kinds.insert(kind.to_owned());
                    let header = detail["loc"][1].as_str();
                    let msg = detail["msg"].as_str().unwrap();
                    let (id, component) = check_behind_upstream_error(route, kind, header, msg)
                        .unwrap_or_else(|| panic!("{route:?}: {detail}"));
                    let check = evaluation.report.checks.iter().find(|check| check.id == id);
                    let failed = check.filter(|check| check.status == Status::Fail);
                    let pointed_at = failed.and_then(|check| Some(check.fix.as_ref()?.component));
                    assert_eq!(
                        pointed_at,
                        Some(component),
                        "{route:?}: {detail} led to {id}"
                    );
                }
            }
        }
        let kinds: Vec<&str> = {
            let mut kinds: Vec<&str> = seen_kinds.iter().map(String::as_str).collect();
            kinds.sort_unstable();
            kinds
        };
        assert_eq!(
            kinds,
            [
                "configuration_error",
                "gafaelfawr_data",
                "gafaelfawr_error",
                "incorrect_header",
                "missing",
                "missing_header",
                "unexpected_header"
            ]
        );
    }

    #[test]
    fn passing_checks_carry_no_fix_and_failing_ones_do() {
        let definition = &SERVER_CHECKS[0];
        let observed = crate::received::checks::testing::observe(Route::Anonymous, &[]);
        let (check, upstream) = definition.judge(&observed);
        assert_eq!(
            (check.status, check.fix, upstream),
            (Status::Pass, None, None)
        );
        let leaked =
            crate::received::checks::testing::observe(Route::Anonymous, &[("authorization", "x")]);
        let (check, upstream) = definition.judge(&leaked);
        assert_eq!(check.fix.unwrap().component, Component::GafaelfawrIngress);
        assert!(upstream.is_some());
    }
}
