//! Judge of the certificate the host serving Muster presents: the client's
//! own judgement of it (the CLI reads it), else the row Muster's server
//! made of its public base URL's (see [`crate::tls_certificate`]; the page
//! cannot read certificates). Either way the evidence adds how this very
//! answer came: over HTTPS with `Strict-Transport-Security` or not.

use super::reports::expect_report;
use super::{answered, Judgement};
use crate::json_read::FromJson;
use crate::model::{Check, Component, Route};
use crate::outcome::Outcome;
use crate::probe::exchange::{Exchange, Received};
use crate::probe::ProbeContext;
use crate::tls_certificate::{CertificateState, CHECK_FIELD, PROBE_ID};

/// `tls.certificate`: trusted, valid for the host, not about to expire.
pub fn certificate(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    let served = served_over(exchanges.first());
    let outcome = match &context.certificate {
        Some(own) => own.clone(),
        None => {
            let response = answered(exchanges.first())?;
            expect_report(response, Route::Anonymous)?;
            match response
                .json()
                .and_then(|json| Check::from_json(json.get(CHECK_FIELD)?).ok())
            {
                Some(row) => Outcome {
                    status: row.status,
                    observed: row.observed,
                    evidence: row.evidence,
                    fix: row.fix,
                    upstream: None,
                    skip_reason: None,
                },
                // A Muster from before the report said.
                None => Outcome::warn("Muster does not report it.").fix(
                    Component::MusterConfiguration,
                    "Deploy a current Muster (MUSTER_BASE_URL).",
                ),
            }
        }
    };
    Ok(outcome.evidence("served over", served))
}

/// How the probe's own answer came: the scheme, and the HSTS header a TLS
/// host should send so that browsers never try plain HTTP again.
fn served_over(exchange: Option<&Exchange>) -> String {
    match exchange.map(|exchange| (&exchange.request.url, &exchange.received)) {
        Some((url, Received::Response(response))) if url.starts_with("https:") => {
            match response.header("strict-transport-security") {
                Some(hsts) => format!("HTTPS, HSTS: {hsts}"),
                None => "HTTPS without Strict-Transport-Security".to_owned(),
            }
        }
        Some((_, Received::Response(_))) => "plain HTTP".to_owned(),
        _ => "(no answer)".to_owned(),
    }
}

/// The row `state` makes under the certificate probe's description, as
/// the server writes it for the page.
pub fn certificate_row(state: &CertificateState) -> Option<Check> {
    let probe = crate::probe::probe(PROBE_ID)?;
    Some(
        probe
            .description
            .check(crate::tls_certificate::judge(state)),
    )
}
