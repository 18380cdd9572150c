//! The report model: what the SPA and the CLI render. A route report holds
//! one verdict per check, each with what it proves, what was seen and, when
//! it did not pass, which component to fix and how.
//!
//! These types carry no logic beyond aggregation; the verdicts come from the
//! check functions (`checks`) run by the catalogue (`catalogue`).

use serde::Serialize;
use serde_json::Value;

use crate::json_read::{word_of, Fields, FromJson};

/// Verdict of one check, or of a whole report; written as its
/// [`as_str`](Status::as_str) word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// The verdict of checks shown together, a whole run or one heading's
    /// rows: [`Status::aggregate`], except that checks that were all
    /// skipped (or none at all) checked nothing and are [`Status::Skip`].
    pub fn of_group(statuses: impl IntoIterator<Item = Status>) -> Status {
        let mut judged = statuses
            .into_iter()
            .filter(|status| *status != Status::Skip)
            .peekable();
        match judged.peek() {
            None => Status::Skip,
            Some(_) => Status::aggregate(judged),
        }
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

/// The part of a deployment a fix hint points at; written as its
/// [`as_str`](Component::as_str) word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// Argo CD, which deploys every application of the installation.
    ArgoCd,
    /// cert-manager, its `Certificate` and `Issuer`, and the TLS secret the
    /// ingress serves.
    CertManager,
    /// Vault and vault-secrets-operator, which turn a `VaultSecret` into the
    /// Kubernetes `Secret` a pod reads.
    VaultSecrets,
    /// The environment's home page (Squareone) at the root of the host.
    HomePage,
}

impl Component {
    /// Every component.
    pub const ALL: [Component; 12] = [
        Component::GafaelfawrIngress,
        Component::IngressNginx,
        Component::Gafaelfawr,
        Component::UserDirectory,
        Component::NetworkPolicy,
        Component::Repertoire,
        Component::MusterConfiguration,
        Component::UserAccount,
        Component::ArgoCd,
        Component::CertManager,
        Component::VaultSecrets,
        Component::HomePage,
    ];

    /// The snake_case word used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::GafaelfawrIngress => "gafaelfawr_ingress",
            Component::IngressNginx => "ingress_nginx",
            Component::Gafaelfawr => "gafaelfawr",
            Component::UserDirectory => "user_directory",
            Component::NetworkPolicy => "network_policy",
            Component::Repertoire => "repertoire",
            Component::MusterConfiguration => "muster_configuration",
            Component::UserAccount => "user_account",
            Component::ArgoCd => "argo_cd",
            Component::CertManager => "cert_manager",
            Component::VaultSecrets => "vault_secrets",
            Component::HomePage => "home_page",
        }
    }

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
            Component::ArgoCd => "Argo CD",
            Component::CertManager => "cert-manager",
            Component::VaultSecrets => "Vault (vault-secrets-operator)",
            Component::HomePage => "the home page (Squareone)",
        }
    }
}

/// What to change, and where, when a check does not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// The component most likely at fault.
    pub component: Component,
    /// What to look at or change, in a sentence or two.
    pub hint: String,
}

/// One fact behind a verdict, e.g. a header as the backend received it.
/// Secret values are always redacted (see `redact`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The facts behind the verdict (redacted); may be left out.
    pub evidence: Vec<Evidence>,
    /// Present when the check warns or fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Why the check was skipped, when a reader acts on the reason. Not
    /// written: JSON bodies and share links carry only the sentence in
    /// `observed`, by which reading recognises it ([`SkipReason::of`]).
    #[serde(skip)]
    pub skip_reason: Option<SkipReason>,
}

/// Why a check was skipped, for the reasons a reader acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The browser has no session: the page offers the login link.
    NotLoggedIn,
}

impl SkipReason {
    /// The `observed` sentence of a check skipped for this reason.
    pub const fn sentence(self) -> &'static str {
        match self {
            SkipReason::NotLoggedIn => {
                "You are not logged in, so this was not checked: log in and run the checks again."
            }
        }
    }

    /// The reason of a check read back from JSON or a share link, which
    /// carry only its status and sentence (links made before the reason
    /// existed included).
    pub fn of(status: Status, observed: &str) -> Option<SkipReason> {
        let reason = SkipReason::NotLoggedIn;
        (status == Status::Skip && observed == reason.sentence()).then_some(reason)
    }
}

impl Check {
    /// True when the check was skipped because the browser had no session:
    /// the page offers the login link (`probe::login_url`).
    pub fn skipped_without_session(&self) -> bool {
        self.skip_reason == Some(SkipReason::NotLoggedIn)
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

/// A route Muster serves and checks on the server side; written as its
/// [`path`](Route::path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `{prefix}/anonymous`: behind an anonymous ingress.
    Anonymous,
    /// `{prefix}/auth/fail`: authentication required, 401 without it.
    AuthFail,
    /// `{prefix}/auth/redirect`: authentication with a login redirect.
    AuthRedirect,
    /// `{prefix}/auth/quota`: authentication with a 1/min API quota.
    AuthQuota,
    /// `{prefix}/auth/cached`: authentication with a cached auth result.
    AuthCached,
    /// `{prefix}/delegated/header`: a delegated internal token in
    /// `X-Auth-Request-Token`.
    DelegatedHeader,
    /// `{prefix}/delegated/authorization`: the delegated token also in
    /// `Authorization`.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// serde for a unit enum written as one word: `$word` names each variant,
/// `$all` lists them.
macro_rules! word_serde {
    ($type:ty, $all:expr, $word:expr) => {
        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($word(*self))
            }
        }

        impl FromJson for $type {
            fn from_json(value: &Value) -> Result<Self, String> {
                word_of(value, &$all, $word)
            }
        }

        crate::json_read::deserialize_from_json!($type);
    };
}

word_serde!(Status, Status::ALL, Status::as_str);
word_serde!(Component, Component::ALL, Component::as_str);
word_serde!(Route, Route::ALL, Route::path);

impl FromJson for Fix {
    fn from_json(value: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(value)?;
        Ok(Fix {
            component: fields.required("component")?,
            hint: fields.required("hint")?,
        })
    }
}

impl FromJson for Evidence {
    fn from_json(value: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(value)?;
        Ok(Evidence {
            name: fields.required("name")?,
            value: fields.required("value")?,
        })
    }
}

impl FromJson for Check {
    fn from_json(value: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(value)?;
        let status = fields.required("status")?;
        let observed: String = fields.required("observed")?;
        Ok(Check {
            id: fields.required("id")?,
            title: fields.required("title")?,
            proves: fields.required("proves")?,
            skip_reason: SkipReason::of(status, &observed),
            status,
            observed,
            evidence: fields.or_default("evidence")?,
            fix: fields.or_default("fix")?,
        })
    }
}

impl FromJson for RouteReport {
    fn from_json(value: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(value)?;
        Ok(RouteReport {
            route: fields.required("route")?,
            status: fields.required("status")?,
            checks: fields.required("checks")?,
            muster_version: fields.required("muster_version")?,
        })
    }
}

crate::json_read::deserialize_from_json!(Fix);
crate::json_read::deserialize_from_json!(Evidence);
crate::json_read::deserialize_from_json!(Check);
crate::json_read::deserialize_from_json!(RouteReport);

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
    fn every_word_is_the_one_clients_know_and_reads_back() {
        // The words the JSON has always used (serde's snake_case and the
        // route paths): the page, the CLI and scripts read them.
        let components: Vec<String> = Component::ALL
            .into_iter()
            .map(|component| serde_json::to_string(&component).unwrap())
            .collect();
        assert_eq!(
            components.join(","),
            r#""gafaelfawr_ingress","ingress_nginx","gafaelfawr","user_directory","network_policy","repertoire","muster_configuration","user_account","argo_cd","cert_manager","vault_secrets","home_page""#
        );
        for status in Status::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
        }
        for component in Component::ALL {
            let json = serde_json::to_string(&component).unwrap();
            assert_eq!(serde_json::from_str::<Component>(&json).unwrap(), component);
        }
        for route in Route::ALL {
            let json = serde_json::to_string(&route).unwrap();
            assert_eq!(json, format!("\"{}\"", route.path()));
            assert_eq!(serde_json::from_str::<Route>(&json).unwrap(), route);
        }
        let error = serde_json::from_str::<Status>(r#""passed""#).unwrap_err();
        assert!(
            error.to_string().contains(r#"unknown value "passed""#),
            "{error}"
        );
    }

    fn report() -> RouteReport {
        let failing = Check {
            id: "auth.login_redirect".into(),
            title: "t".into(),
            proves: "p".into(),
            status: Status::Fail,
            observed: "o <b>".into(),
            evidence: vec![Evidence::new("Location", "(absent)")],
            fix: Some(Fix {
                component: Component::GafaelfawrIngress,
                hint: "h".into(),
            }),
            skip_reason: None,
        };
        let passing = Check {
            id: "auth.user".into(),
            status: Status::Pass,
            evidence: Vec::new(),
            fix: None,
            ..failing.clone()
        };
        RouteReport::new(Route::AuthRedirect, vec![failing, passing], "1.2.3")
    }

    #[test]
    fn route_reports_read_back_as_written() {
        let report = report();
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<RouteReport>(&json).unwrap(), report);
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(RouteReport::from_json(&value).unwrap(), report);
    }

    #[test]
    fn checks_are_read_leniently_like_before() {
        // Unknown fields ignored, evidence left out, a null fix: what
        // serde's derive accepted, so older and newer servers still read.
        let json = serde_json::json!({
            "id": "i", "title": "t", "proves": "p", "status": "skip",
            "observed": "o", "fix": null, "added_later": [1, 2]
        });
        let check = Check::from_json(&json).unwrap();
        assert_eq!(
            (check.status, check.evidence.len(), check.fix),
            (Status::Skip, 0, None)
        );
    }

    #[test]
    fn a_skip_read_back_by_its_sentence_keeps_its_reason() {
        // JSON bodies and share links (old ones included) carry only the
        // sentence: reading it back must still offer the login link.
        let json = serde_json::json!({
            "id": "i", "title": "t", "proves": "p", "status": "skip",
            "observed": SkipReason::NotLoggedIn.sentence()
        });
        let check = Check::from_json(&json).unwrap();
        assert!(check.skipped_without_session());
        assert_eq!(
            serde_json::to_value(&check).unwrap()["observed"],
            json["observed"]
        );
        let mut other = json.clone();
        other["status"] = "fail".into();
        assert!(!Check::from_json(&other).unwrap().skipped_without_session());
    }

    #[test]
    fn a_bad_report_is_refused_naming_the_field() {
        let mut json = serde_json::to_value(report()).unwrap();
        json["checks"][1].as_object_mut().unwrap().remove("status");
        let error = RouteReport::from_json(&json).unwrap_err();
        assert_eq!(error, "`checks`: [1]: missing field `status`");
        json["checks"] = serde_json::json!("none");
        let error = RouteReport::from_json(&json).unwrap_err();
        assert_eq!(error, "`checks`: expected an array, found a string");
        let error = serde_json::from_str::<RouteReport>("[1]").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("expected an object, found an array"),
            "{error}"
        );
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
