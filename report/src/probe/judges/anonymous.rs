//! Judges of the anonymous route: the user's credentials are stripped and
//! a forged identity is removed before a request reaches the service.

use super::reports::{expect_report, fold_report};
use super::{answered, Judgement};
use crate::model::{Component, Route, Status};
use crate::outcome::Outcome;
use crate::probe::exchange::Exchange;
use crate::probe::ProbeContext;
use crate::text::shorten;

/// `anonymous.credentials_stripped`: the server's report passes and the
/// upstream-compatible answer is exactly `{"ok": true}`.
pub fn credentials_stripped(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    let outcome = fold_report(&expect_report(response, Route::Anonymous)?);
    if outcome.status != Status::Pass {
        return Ok(outcome);
    }
    let plain = answered(exchanges.get(1))?;
    let body = shorten(&plain.body);
    let ok = plain.status == 200 && plain.json() == Some(serde_json::json!({"ok": true}));
    if !ok {
        return Ok(Outcome::fail(format!(
            "Muster's report passes, but its upstream-compatible answer was {} with {body}, \
             not 200 with {{\"ok\": true}}.",
            plain.describe()
        ))
        .evidence("upstream answer", format!("{} {body}", plain.describe()))
        .fix(
            Component::MusterConfiguration,
            "Existing clients (mobu, Phalanx's automated monitoring client) expect exactly \
             {\"ok\": true}: make sure this is a current Muster and that nothing between the \
             ingress and Muster rewrites answers.",
        ));
    }
    let mut outcome = outcome;
    outcome.observed = format!(
        "{} The upstream-compatible answer is {{\"ok\": true}}.",
        outcome.observed
    );
    Ok(outcome.evidence("upstream answer", format!("{} {body}", plain.describe())))
}

/// `anonymous.forged_identity_masked`: the report of a request carrying a
/// forged `X-Auth-Request-User` passes.
pub fn forged_identity_masked(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    Ok(fold_report(&expect_report(response, Route::Anonymous)?))
}
