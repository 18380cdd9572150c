//! The probes' judgements: pure functions from what a client saw to an
//! [`Outcome`]. Each receives one [`Exchange`] per request of its probe,
//! in order (the probe makes sure of the count), and is filed by the
//! family of routes it probes: [`anonymous`], [`auth`] (what the
//! authenticated routes answer without valid credentials), [`cache`] (the
//! auth cache of the cached route), [`home_page`] (the environment's home
//! page, outside Muster's prefix), [`quota`],
//! [`reports`] (Muster's own report of a route), [`upstream`] (the
//! answers existing clients read), [`vault`] (the secret Vault delivers
//! to Muster) and [`tls`] (the certificate the host presents).
//!
//! Answers every probe treats alike are judged here: no response at all,
//! a 404 that is not Muster's (the route is not deployed: skip), and
//! refusals of the user's own credentials (not logged in, an account
//! without the scope), which say nothing about the platform. A judge reads
//! them with `?` ([`answered`], [`accepted`]) and goes on with the answer
//! it has to judge.

pub mod anonymous;
pub mod auth;
pub mod cache;
pub mod home_page;
pub mod quota;
pub mod reports;
pub mod tls;
pub mod upstream;
pub mod vault;

use super::exchange::{Exchange, Received, ResponseSeen};
use super::{Client, ProbeContext};
use crate::error_body::ErrorBody;
use crate::model::{Component, SkipReason};
use crate::outcome::Outcome;
use crate::text::{display_name, shorten};

/// A judge's outcome. `Err` holds one reached early, through `?` (no
/// answer, a route not deployed, a refusal of the user's credentials);
/// `Ok` the judgement proper. Either is the probe's outcome.
pub type Judgement = Result<Outcome, Box<Outcome>>;

/// The response, or the outcome for an exchange that yields nothing to
/// judge: no response at all (fail), or a 404 not from Muster (skip).
/// Judges pass `exchanges.get(i)`: [`crate::probe::ProbeDef::result`]
/// gives them every exchange, and a missing one is a failure, not a panic.
pub(super) fn answered(exchange: Option<&Exchange>) -> Result<&ResponseSeen, Box<Outcome>> {
    let Some(exchange) = exchange else {
        return Err(Box::new(Outcome::fail(
            "A request of this probe was not made.",
        )));
    };
    let url = &exchange.request.url;
    let outcome = match &exchange.received {
        Received::Response(response) if response.status != 404 || is_musters(response) => {
            return Ok(response)
        }
        Received::Response(response) => Outcome::skip(format!(
            "Not deployed here: the ingress answered 404 for {url}, so this environment has no \
             ingress for this route."
        ))
        .evidence("status", "404")
        .evidence("body", shorten(&response.body)),
        Received::TransportError { message } => {
            Outcome::fail(format!("No answer from {url}: {message}."))
                .evidence("error", message.clone())
                .fix(
                    Component::IngressNginx,
                    "Check that the host resolves and that ingress-nginx serves it with a \
                     valid certificate (try the copy-as-curl line).",
                )
        }
    };
    Err(Box::new(outcome))
}

/// True when a 404 comes from Muster (its JSON `{"detail": …}`), i.e. the
/// route is routed to Muster but unknown to this Muster version.
pub(super) fn is_musters(response: &ResponseSeen) -> bool {
    response.json().as_ref().and_then(ErrorBody::of).is_some()
}

/// Nothing when `response` accepted the user's own credentials; otherwise
/// the outcome of their refusal, which says something about the account,
/// not the platform.
pub(super) fn accepted(
    response: &ResponseSeen,
    context: &ProbeContext,
) -> Result<(), Box<Outcome>> {
    let challenge = response.header("www-authenticate").unwrap_or("");
    let browser = context.client == Client::Browser;
    let outcome = if response.status == 401 || response.is_redirect() {
        let too_short = challenge_param(challenge, "error_description")
            .is_some_and(|text| text.contains("lifetime too short"));
        if browser {
            Outcome::skip_because(SkipReason::NotLoggedIn)
        } else if too_short {
            Outcome::fail(
                "The token was refused for delegation: it expires in under 5 minutes, the \
                 shortest lifetime Gafaelfawr delegates from (minimum_lifetime).",
            )
            .fix(
                Component::UserAccount,
                "Use a token with more than 5 minutes left (--token), or let muster-check mint \
                 one (--bootstrap-token).",
            )
        } else {
            Outcome::fail(format!(
                "The token was refused ({}): it is not valid for this Gafaelfawr.",
                response.describe()
            ))
            .fix(
                Component::UserAccount,
                "Use a token issued by this deployment's Gafaelfawr that has not expired \
                 (--token), or let muster-check mint one (--bootstrap-token).",
            )
        }
    } else if response.status == 403
        && challenge_param(challenge, "error").as_deref() == Some("insufficient_scope")
    {
        match challenge_param(challenge, "scope") {
            Some(scope) if browser => Outcome::skip(format!(
                "Your account lacks scope {scope}, which this route requires, so it could not \
                 be checked. This is about your account, not the platform."
            ))
            .fix(
                Component::UserAccount,
                format!(
                    "Ask a Gafaelfawr administrator to grant {scope} to a group you belong to \
                     (config.groupMapping), then log out and in again; or run muster-check."
                ),
            ),
            Some(scope) => Outcome::fail(format!(
                "The token lacks scope {scope}, which this route requires."
            ))
            .fix(
                Component::UserAccount,
                format!(
                    "Run muster-check with --scope {scope} (the chart's config.scope), or \
                     give it a --token that has that scope."
                ),
            ),
            None => Outcome::fail(
                "Gafaelfawr refused the request (403 insufficient_scope without a scope): a \
                 username, service or quota restriction applies to this route.",
            )
            .fix(
                Component::GafaelfawrIngress,
                "Remove username, onlyServices and userDomain from this route's \
                 GafaelfawrIngress, and make sure the quota for its service is not 0.",
            ),
        }
    } else {
        return Ok(());
    };
    Err(Box::new(with_response_evidence(
        outcome,
        response,
        &["www-authenticate", "location"],
    )))
}

/// The value of auth-param `name` in a `WWW-Authenticate` challenge
/// (`Bearer realm="x", error="invalid_token", scope="a b"`), unquoted.
pub fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    // Skip the scheme, then read `key=value` pairs separated by commas;
    // values may be quoted strings containing commas and escaped quotes.
    let params = challenge.trim().split_once(' ').map(|(_, rest)| rest)?;
    let mut chars = params.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
            value = value.trim().to_owned();
        }
        if key.trim().eq_ignore_ascii_case(name) {
            return Some(value);
        }
    }
}

/// What to fix when Muster cannot have answered an authenticated request.
const MUSTER_UNREACHABLE: &str = "ingress-nginx could not get an answer from Muster: check the \
     Muster pod, its Service (port 8080) and its NetworkPolicy, which admits only pods labelled \
     gafaelfawr.lsst.io/ingress: \"true\" (ingress-nginx's).";

/// The component and fix for an answer ingress-nginx made itself instead
/// of passing on Muster's: its own 500 (not JSON) when Gafaelfawr's auth
/// subrequest failed, or 502-504 when it could not reach Muster. `None`
/// for any other answer.
pub(super) fn ingress_failure(response: &ResponseSeen) -> Option<(Component, &'static str)> {
    match response.status {
        500 if response.json().is_none() => Some((
            Component::Gafaelfawr,
            "ingress-nginx answers 500 when Gafaelfawr's auth subrequest fails. Check \
             Gafaelfawr's logs: user_info_failed means its user directory (LDAP, Firestore or \
             the identity provider) is failing; otherwise Gafaelfawr itself is erroring or \
             unreachable from ingress-nginx.",
        )),
        502..=504 => Some((Component::IngressNginx, MUSTER_UNREACHABLE)),
        _ => None,
    }
}

/// `outcome` with [`ingress_failure`]'s fix when `response` is such an
/// answer; unchanged (the probe's own hint applies) otherwise.
pub(super) fn unless_ingress_failed(outcome: Outcome, response: &ResponseSeen) -> Outcome {
    match ingress_failure(response) {
        Some((component, hint)) => outcome.fix(component, hint),
        None => outcome,
    }
}

/// The usual spelling of a response header name (`X-RateLimit-Limit`).
pub(super) fn header_name(name: &str) -> String {
    match name.strip_prefix("x-ratelimit-") {
        Some(rest) => format!("X-RateLimit-{}", display_name(rest)),
        None => display_name(name),
    }
}

/// Adds the status and the listed headers (or `(absent)`, or `(hidden by
/// the browser)` for an opaque redirect, whose headers a page cannot read)
/// as evidence.
pub(super) fn with_response_evidence(
    outcome: Outcome,
    response: &ResponseSeen,
    headers: &[&str],
) -> Outcome {
    let mut outcome = outcome.evidence("status", response.describe());
    let missing = if response.opaque_redirect {
        "(hidden by the browser)"
    } else {
        "(absent)"
    };
    for name in headers {
        let value = response.header(name).unwrap_or(missing).to_owned();
        outcome = outcome.evidence(header_name(name), value);
    }
    outcome
}

#[cfg(test)]
mod tests;
