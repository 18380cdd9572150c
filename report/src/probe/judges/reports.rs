//! Judges of Muster's own report of a route (`?report=true`), fetched with
//! the user's credentials: the server's checks folded into one outcome.

use super::{accepted, answered, ingress_failure, is_musters, with_response_evidence, Judgement};
use crate::model::{Component, Route, RouteReport, Status};
use crate::outcome::Outcome;
use crate::probe::exchange::{Exchange, ResponseSeen};
use crate::probe::ProbeContext;
use crate::text::shorten;

/// `auth.fail_route`.
pub fn auth_fail(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    route_report(Route::AuthFail, exchanges, context)
}

/// `auth.redirect_route`.
pub fn auth_redirect(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    route_report(Route::AuthRedirect, exchanges, context)
}

/// `auth.cached_route`.
pub fn auth_cached(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    route_report(Route::AuthCached, exchanges, context)
}

/// `delegated.header_route`.
pub fn delegated_header(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    route_report(Route::DelegatedHeader, exchanges, context)
}

/// `delegated.authorization_route`.
pub fn delegated_authorization(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    route_report(Route::DelegatedAuthorization, exchanges, context)
}

/// The full report of `route` fetched with the user's credentials, folded
/// into one outcome.
fn route_report(route: Route, exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    accepted(response, context)?;
    Ok(fold_report(&expect_report(response, route)?))
}

/// The server's report in a 200 answer, or why there is none.
pub(super) fn expect_report(
    response: &ResponseSeen,
    route: Route,
) -> Result<RouteReport, Box<Outcome>> {
    if response.status != 200 {
        let outcome = Outcome::fail(format!(
            "{} answered {} instead of Muster's report.",
            route.path(),
            response.describe()
        ));
        let (component, hint) = not_a_report(response);
        let outcome = outcome.fix(component, hint);
        let outcome = with_response_evidence(outcome, response, &["www-authenticate"]);
        return Err(Box::new(outcome.evidence("body", shorten(&response.body))));
    }
    let outcome = match response.route_report() {
        Some(report) if report.route == route => return Ok(report),
        Some(report) => Outcome::fail(format!(
            "The answer is Muster's report for {}, not {}.",
            report.route.path(),
            route.path()
        ))
        .fix(
            Component::GafaelfawrIngress,
            "Check the paths of Muster's GafaelfawrIngresses.",
        ),
        None => Outcome::fail(format!(
            "200, but the body is not a Muster report{}.",
            if response.body_truncated {
                " (it was cut)"
            } else {
                ""
            }
        ))
        .evidence("body", shorten(&response.body))
        .fix(
            Component::MusterConfiguration,
            "Check that this path reaches a current Muster (which answers ?report=true with \
             its report) and not another service.",
        ),
    };
    Err(Box::new(outcome))
}

/// Where to look when a route answered something other than Muster's
/// report: ingress-nginx's own failures, a refusal at the ingress, or a
/// Muster that does not know the route.
fn not_a_report(response: &ResponseSeen) -> (Component, &'static str) {
    if let Some(found) = ingress_failure(response) {
        return found;
    }
    match response.status {
        401 | 403 => (
            Component::GafaelfawrIngress,
            "Gafaelfawr refused this request at the ingress. The anonymous route's \
             GafaelfawrIngress must be scopes: {anonymous: true}; an authenticated route's must \
             only require scopes.all: [config.scope].",
        ),
        404 if is_musters(response) => (
            Component::MusterConfiguration,
            "Muster answered 404: this Muster version does not know the route. Deploy a current \
             Muster image.",
        ),
        _ => (
            Component::IngressNginx,
            "Something other than Muster answered this path: compare the copy-as-curl line's \
             answer with the ingress rules for the path.",
        ),
    }
}

/// One outcome for a server report: its status; for a problem, the first
/// such server check's observation, evidence and fix.
pub(super) fn fold_report(report: &RouteReport) -> Outcome {
    let total = report.checks.len();
    let count = |status: Status| report.checks.iter().filter(|c| c.status == status).count();
    let passed = count(Status::Pass);
    let tally = if passed == total {
        "all pass".to_owned()
    } else {
        format!(
            "{passed} pass, {} warn, {} fail, {} skipped",
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Skip)
        )
    };
    let summary = format!("{total} run, {tally} (Muster {})", report.muster_version);
    let worst = report.checks.iter().find(|c| c.status == report.status);
    let (Some(check), Status::Warn | Status::Fail) = (worst, report.status) else {
        return Outcome::pass(format!(
            "All of Muster's server-side checks of {} passed.",
            report.route.path()
        ))
        .evidence("server checks", summary);
    };
    let others: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == report.status && c.id != check.id)
        .map(|c| c.id.as_str())
        .collect();
    // Said as a verdict on the server check, so that its title (a claim,
    // e.g. "The user has a UID") is not read as what was seen.
    let verb = if report.status == Status::Fail {
        "failed"
    } else {
        "warned"
    };
    let more = match others.len() {
        0 => String::new(),
        n => format!(
            " ({n} more server check{} {verb}: {})",
            if n == 1 { "" } else { "s" },
            others.join(", ")
        ),
    };
    let observed = format!(
        "Muster's check \"{}\" {verb}: {}{more}",
        check.title, check.observed
    );
    let mut outcome = if report.status == Status::Fail {
        Outcome::fail(observed)
    } else {
        Outcome::warn(observed)
    };
    outcome.evidence = check.evidence.clone();
    outcome.fix = check.fix.clone();
    outcome
        .evidence("server check", check.id.clone())
        .evidence("server checks", summary)
}
