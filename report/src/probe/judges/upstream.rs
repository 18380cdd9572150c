//! Judges of the upstream-compatible answers existing clients read.

use super::{accepted, answered, unless_ingress_failed, Judgement};
use crate::error_body::ErrorBody;
use crate::model::{Component, Route, Status};
use crate::outcome::Outcome;
use crate::probe::exchange::Exchange;
use crate::probe::ProbeContext;
use crate::received::catalogue::check_behind_upstream_error;
use crate::received::upstream::{AuthInfo, DelegatedUserInfo};
use crate::text::shorten;
use serde_json::Value;

/// Where to look when the routes answer well-formed bodies that name
/// different users.
const OTHER_USER_HINT: &str = "Gafaelfawr named another user than the token's: check that Muster \
     calls the same Gafaelfawr as the ingress (config.gafaelfawrUrl), and Gafaelfawr's user \
     directory.";

/// `upstream.client_answers`: the upstream-compatible answers of the auth
/// and delegated routes (requests in the order auth/fail, auth/redirect,
/// delegated/header, delegated/authorization), as mobu's Muster business
/// checks them: all 200; both auth bodies `{"username"[, "email"]}` and
/// equal; both delegated bodies the same user-info for the same user; and
/// exactly [`ProbeContext::expected_user`] when the client knows it.
pub fn client_answers(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    const ROUTES: [Route; 4] = [
        Route::AuthFail,
        Route::AuthRedirect,
        Route::DelegatedHeader,
        Route::DelegatedAuthorization,
    ];
    let mut bodies = Vec::new();
    for (exchange, route) in exchanges.iter().zip(ROUTES) {
        let response = answered(Some(exchange))?;
        accepted(response, context)?;
        let body = shorten(&response.body);
        match (response.status, response.json()) {
            (200, Some(json)) => bodies.push((json, body)),
            (_, json) => {
                let outcome = Outcome::fail(format!(
                    "{} answered {} with {body}, not 200 with its upstream body.",
                    route.path(),
                    response.describe()
                ))
                .evidence(route.path(), format!("{} {body}", response.describe()));
                let outcome = match json.and_then(|json| failed_server_check(route, &json)) {
                    Some((id, component)) => outcome.fix(
                        component,
                        format!(
                            "Muster's check {id} failed on {}: its row above says what to fix.",
                            route.path()
                        ),
                    ),
                    None => unless_ingress_failed(outcome, response),
                };
                return Ok(outcome);
            }
        }
    }
    // Bodies are shown as they came (shortened), not re-serialised.
    let shown = |(_, text): &(serde_json::Value, String)| text.clone();
    let mut outcome = Outcome::pass("");
    for (route, body) in ROUTES.iter().zip(&bodies) {
        outcome = outcome.evidence(route.path(), shown(body));
    }
    let fail = |outcome: Outcome, observed: String| Outcome {
        status: Status::Fail,
        observed,
        ..outcome
    };
    // Well-formed answers that disagree on the user: Gafaelfawr's doing.
    let other_user = |outcome: Outcome, observed: String| {
        fail(outcome, observed).fix(Component::Gafaelfawr, OTHER_USER_HINT)
    };
    let auth = match AuthInfo::exactly(&bodies[0].0) {
        Ok(auth) => auth,
        Err(difference) => {
            let observed = format!(
                "auth/fail answered {}, not exactly {{\"username\"}} (plus \"email\" when the \
                 user has one): {difference}.",
                shown(&bodies[0])
            );
            return Ok(fail(outcome, observed));
        }
    };
    if bodies[1].0 != bodies[0].0 {
        let observed = format!(
            "auth/redirect answered {}, but auth/fail {}: the same user must get the same answer.",
            shown(&bodies[1]),
            shown(&bodies[0])
        );
        return Ok(other_user(outcome, observed));
    }
    let delegated = match DelegatedUserInfo::exactly(&bodies[2].0) {
        Ok(delegated) => delegated,
        Err(difference) => {
            let observed = format!(
                "delegated/header answered {}, not Gafaelfawr's user-info without quota: \
                 {difference}.",
                shown(&bodies[2])
            );
            return Ok(fail(outcome, observed));
        }
    };
    if bodies[3].0 != bodies[2].0 {
        let observed = format!(
            "delegated/authorization answered {}, but delegated/header {}: both must give the \
             same user-info.",
            shown(&bodies[3]),
            shown(&bodies[2])
        );
        return Ok(other_user(outcome, observed));
    }
    if (&delegated.username, &delegated.email) != (&auth.username, &auth.email) {
        let observed = format!(
            "The delegated routes name {} but the auth routes {}.",
            shown(&bodies[2]),
            shown(&bodies[0])
        );
        return Ok(other_user(outcome, observed));
    }
    if let Some(expected) = &context.expected_user {
        if (&auth.username, &auth.email) != (&expected.username, &expected.email) {
            let observed = format!(
                "The auth routes answered {}, not the token's user {} ({}).",
                shown(&bodies[0]),
                expected.username,
                expected.email.as_deref().unwrap_or("no email")
            );
            return Ok(other_user(outcome, observed));
        }
        // Named, not shown: the page's wasm then links no serialiser for
        // the minted user.
        let differing = [
            ("name", delegated.name != expected.name),
            ("uid", delegated.uid != expected.uid),
            ("gid", delegated.gid != expected.gid),
            ("groups", delegated.groups != expected.groups),
        ]
        .into_iter()
        .find_map(|(field, differs)| differs.then_some(field));
        if let Some(field) = differing {
            let observed = format!(
                "The delegated routes answered {}: its {field} is not that of the token's user \
                 as minted.",
                shown(&bodies[2])
            );
            return Ok(other_user(outcome, observed));
        }
    }
    outcome.observed = format!(
        "auth/fail and auth/redirect answered {{\"username\": \"{}\"…}}, and both delegated \
         routes the same user-info{}.",
        auth.username,
        if context.expected_user.is_some() {
            ", exactly the token's user as minted"
        } else {
            ""
        }
    );
    Ok(outcome)
}

/// The server-side check behind Muster's own error answer `body` to
/// `route` (an upstream body names the error, not the check), with that
/// check's component.
fn failed_server_check(route: Route, body: &Value) -> Option<(&'static str, Component)> {
    let error = ErrorBody::of(body)?;
    let msg = error.message().unwrap_or_default();
    check_behind_upstream_error(route, error.error_type()?, error.header(), msg)
}
