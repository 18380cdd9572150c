//! The report model: what the SPA and the CLI render. A route report holds
//! one verdict per check, each with what it proves, what was seen and, when
//! it did not pass, which component to fix and how.
//!
//! These types carry no logic beyond aggregation; the verdicts come from the
//! check functions (`checks`) run by the catalogue (`catalogue`).

use serde::{Deserialize, Serialize};

/// Verdict of one check, or of a whole report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The check holds.
    Pass,
    /// Works, but something a deployer should know about is missing or odd.
    Warn,
    /// The platform does not behave as it must.
    Fail,
    /// Not evaluated (not deployed, or a prerequisite failed); never counts.
    Skip,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [Status::Pass, Status::Warn, Status::Fail, Status::Skip];

    /// The verdict of a set of checks: any fail → fail, else any warn →
    /// warn, else pass. Skips are ignored, so an empty or all-skipped set
    /// passes.
    pub fn aggregate(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses
            .into_iter()
            .fold(Status::Pass, |worst, status| match (worst, status) {
                (Status::Fail, _) | (_, Status::Fail) => Status::Fail,
                (Status::Warn, _) | (_, Status::Warn) => Status::Warn,
                _ => Status::Pass,
            })
    }

    /// The lower-case word used in JSON and on terminals.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// The part of a deployment a fix hint points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// A `GafaelfawrIngress` resource (Muster's chart) and the ingress
    /// Gafaelfawr's operator generated from it.
    GafaelfawrIngress,
    /// The ingress-nginx controller and its Phalanx settings.
    IngressNginx,
    /// The Gafaelfawr service itself.
    Gafaelfawr,
    /// The user directory behind Gafaelfawr (LDAP, Firestore, the identity
    /// provider's claims).
    UserDirectory,
    /// A Kubernetes `NetworkPolicy` between Muster and what it talks to.
    NetworkPolicy,
    /// Repertoire, Phalanx's service discovery.
    Repertoire,
    /// Muster's own configuration (`MUSTER_*` variables, chart values).
    MusterConfiguration,
    /// The account (or token) a client probed with, not the platform: e.g.
    /// it lacks the route's scope.
    UserAccount,
}

impl Component {
    /// Every component.
    pub const ALL: [Component; 8] = [
        Component::GafaelfawrIngress,
        Component::IngressNginx,
        Component::Gafaelfawr,
        Component::UserDirectory,
        Component::NetworkPolicy,
        Component::Repertoire,
        Component::MusterConfiguration,
        Component::UserAccount,
    ];

    /// The name a deployer knows this component by.
    pub fn name(self) -> &'static str {
        match self {
            Component::GafaelfawrIngress => "the GafaelfawrIngress",
            Component::IngressNginx => "ingress-nginx",
            Component::Gafaelfawr => "Gafaelfawr",
            Component::UserDirectory => "the LDAP server / user directory",
            Component::NetworkPolicy => "the NetworkPolicy",
            Component::Repertoire => "Repertoire (service discovery)",
            Component::MusterConfiguration => "Muster's configuration",
            Component::UserAccount => "your account (or the token used)",
        }
    }
}

/// What to change, and where, when a check does not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// The component most likely at fault.
    pub component: Component,
    /// What to look at or change, in a sentence or two.
    pub hint: String,
}

/// One fact behind a verdict, e.g. a header as the backend received it.
/// Secret values are always redacted (see `redact`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was looked at, e.g. `Authorization` or `user-info.username`.
    pub name: String,
    /// What it held, redacted; `(absent)` when it was not there.
    pub value: String,
}

impl Evidence {
    /// Evidence from a name and an already safe value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// The verdict of one check, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable identifier, e.g. `delegated.username_matches`.
    pub id: String,
    /// Plain-language title.
    pub title: String,
    /// What a pass proves about the deployment, and why it matters.
    pub proves: String,
    /// The verdict.
    pub status: Status,
    /// One sentence saying what was seen.
    pub observed: String,
    /// The facts behind the verdict (redacted).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Present when the check warns or fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Check {
    /// True when the check was skipped because the browser had no session:
    /// the page offers the login link (`probe::login_url`).
    pub fn skipped_without_session(&self) -> bool {
        self.status == Status::Skip && self.observed == crate::probe::NOT_LOGGED_IN
    }

    /// True when the check was skipped because the account (or token)
    /// lacks a scope its route requires: the problem is the account, not
    /// the platform.
    pub fn skipped_for_account(&self) -> bool {
        self.status == Status::Skip
            && self
                .fix
                .as_ref()
                .is_some_and(|fix| fix.component == Component::UserAccount)
    }
}

/// A route Muster serves and checks on the server side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Route {
    /// `{prefix}/anonymous`: behind an anonymous ingress.
    #[serde(rename = "anonymous")]
    Anonymous,
    /// `{prefix}/auth/fail`: authentication required, 401 without it.
    #[serde(rename = "auth/fail")]
    AuthFail,
    /// `{prefix}/auth/redirect`: authentication with a login redirect.
    #[serde(rename = "auth/redirect")]
    AuthRedirect,
    /// `{prefix}/auth/quota`: authentication with a 1/min API quota.
    #[serde(rename = "auth/quota")]
    AuthQuota,
    /// `{prefix}/auth/cached`: authentication with a cached auth result.
    #[serde(rename = "auth/cached")]
    AuthCached,
    /// `{prefix}/delegated/header`: a delegated internal token in
    /// `X-Auth-Request-Token`.
    #[serde(rename = "delegated/header")]
    DelegatedHeader,
    /// `{prefix}/delegated/authorization`: the delegated token also in
    /// `Authorization`.
    #[serde(rename = "delegated/authorization")]
    DelegatedAuthorization,
}

/// The families of routes, which share their checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// The anonymous route.
    Anonymous,
    /// The four `auth/{mode}` routes.
    Auth,
    /// The two `delegated/{mode}` routes.
    Delegated,
}

impl Route {
    /// Every route, in the order the overview lists them.
    pub const ALL: [Route; 7] = [
        Route::Anonymous,
        Route::AuthFail,
        Route::AuthRedirect,
        Route::AuthQuota,
        Route::AuthCached,
        Route::DelegatedHeader,
        Route::DelegatedAuthorization,
    ];

    /// The path below the prefix, e.g. `auth/fail`.
    pub fn path(self) -> &'static str {
        match self {
            Route::Anonymous => "anonymous",
            Route::AuthFail => "auth/fail",
            Route::AuthRedirect => "auth/redirect",
            Route::AuthQuota => "auth/quota",
            Route::AuthCached => "auth/cached",
            Route::DelegatedHeader => "delegated/header",
            Route::DelegatedAuthorization => "delegated/authorization",
        }
    }

    /// The family this route belongs to.
    pub fn kind(self) -> RouteKind {
        match self {
            Route::Anonymous => RouteKind::Anonymous,
            Route::AuthFail | Route::AuthRedirect | Route::AuthQuota | Route::AuthCached => {
                RouteKind::Auth
            }
            Route::DelegatedHeader | Route::DelegatedAuthorization => RouteKind::Delegated,
        }
    }

    /// The route for `auth/{mode}`, if `mode` is one upstream accepts.
    pub fn auth(mode: &str) -> Option<Route> {
        match mode {
            "fail" => Some(Route::AuthFail),
            "redirect" => Some(Route::AuthRedirect),
            "quota" => Some(Route::AuthQuota),
            "cached" => Some(Route::AuthCached),
            _ => None,
        }
    }

    /// The route for `delegated/{mode}`, if `mode` is one upstream accepts.
    pub fn delegated(mode: &str) -> Option<Route> {
        match mode {
            "header" => Some(Route::DelegatedHeader),
            "authorization" => Some(Route::DelegatedAuthorization),
            _ => None,
        }
    }
}

/// Everything the server checked for one request to one route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteReport {
    /// The route that was checked.
    pub route: Route,
    /// The aggregate verdict of `checks` (see [`Status::aggregate`]).
    pub status: Status,
    /// Every check that applies to the route, in catalogue order.
    pub checks: Vec<Check>,
    /// Version of the Muster server that wrote the report.
    pub muster_version: String,
}

impl RouteReport {
    /// A report whose status is the aggregate of `checks`.
    pub fn new(route: Route, checks: Vec<Check>, muster_version: impl Into<String>) -> Self {
        Self {
            route,
            status: Status::aggregate(checks.iter().map(|check| check.status)),
            checks,
            muster_version: muster_version.into(),
        }
    }

    /// The check with `id`, if the report has it.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|check| check.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_fail_fails_the_aggregate() {
        let statuses = [Status::Pass, Status::Warn, Status::Fail, Status::Skip];
        assert_eq!(Status::aggregate(statuses), Status::Fail);
    }

    #[test]
    fn warn_without_fail_warns() {
        assert_eq!(
            Status::aggregate([Status::Pass, Status::Warn]),
            Status::Warn
        );
    }

    #[test]
    fn skips_are_ignored_by_the_aggregate() {
        assert_eq!(
            Status::aggregate([Status::Skip, Status::Pass]),
            Status::Pass
        );
        assert_eq!(Status::aggregate([Status::Skip]), Status::Pass);
        assert_eq!(Status::aggregate([]), Status::Pass);
    }

    #[test]
    fn statuses_and_routes_serialise_as_words() {
        assert_eq!(serde_json::to_string(&Status::Warn).unwrap(), r#""warn""#);
        assert_eq!(
            serde_json::to_string(&Route::DelegatedAuthorization).unwrap(),
            r#""delegated/authorization""#
        );
        let component = serde_json::to_string(&Component::MusterConfiguration).unwrap();
        assert_eq!(component, r#""muster_configuration""#);
    }

    #[test]
    fn route_paths_round_trip_through_modes() {
        for route in Route::ALL {
            let parsed = match route.path().split_once('/') {
                Some(("auth", mode)) => Route::auth(mode),
                Some(("delegated", mode)) => Route::delegated(mode),
                _ => Some(Route::Anonymous),
            };
            assert_eq!(parsed, Some(route));
        }
        assert_eq!(Route::auth("vinyl"), None);
    }
}
