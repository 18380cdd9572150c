//! Judges of what an authenticated route answers a request without valid
//! credentials: a challenge, a malformed header, an unknown token, a token
//! without the scope, a login redirect.

use super::{
    answered, challenge_param, ingress_failure, is_musters, with_response_evidence, Judgement,
};
use crate::model::Component;
use crate::outcome::Outcome;
use crate::probe::exchange::{Exchange, ResponseSeen};
use crate::probe::ProbeContext;
use crate::text::shorten;

/// `auth.challenge`: no credentials → 401 with `Bearer realm="…"`.
pub fn challenge(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    let challenge = response.header("www-authenticate");
    let outcome = match (response.status, challenge) {
        (401, Some(value)) if value.starts_with("Bearer realm=\"") => {
            Outcome::pass("401 with a Bearer challenge.")
        }
        (401, Some(value)) => Outcome::fail(format!(
            "401, but the challenge is {value}, not Bearer realm=\"…\"."
        ))
        .fix(
            Component::GafaelfawrIngress,
            "Remove authType: basic from the muster-auth GafaelfawrIngress: API clients expect \
             a Bearer challenge.",
        ),
        (401, None) => Outcome::fail("401 without a WWW-Authenticate challenge.").fix(
            Component::IngressNginx,
            "nginx passes Gafaelfawr's WWW-Authenticate on a 401 by itself; something between \
             the client and ingress-nginx (a proxy, a custom error page) removes it.",
        ),
        _ => unexpected_without_credentials(response),
    };
    Ok(with_response_evidence(
        outcome,
        response,
        &["www-authenticate"],
    ))
}

/// `auth.malformed_authorization`: `Token bogus` → 400 with Gafaelfawr's
/// `invalid_request` body.
pub fn malformed_authorization(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    let kind = response.error_type();
    let outcome = match (response.status, kind.as_deref()) {
        (400, Some("invalid_request")) => {
            Outcome::pass("400 with Gafaelfawr's invalid_request error body.")
        }
        (400, _) => Outcome::fail(format!(
            "400, but the body is not Gafaelfawr's invalid_request error: {}.",
            shorten(&response.body)
        )),
        (403, _) => Outcome::fail(
            "A bare 403 instead of 400: Gafaelfawr's error status does not reach the client.",
        ),
        _ => unexpected_without_credentials(response),
    };
    Ok(
        with_response_evidence(outcome, response, &["www-authenticate"])
            .evidence("body type", kind.unwrap_or_else(|| "(none)".to_owned())),
    )
}

/// `auth.invalid_token`: an unknown `gt-` token → 401 with
/// `error="invalid_token"`. Through ingress-nginx a 401's body is nginx's
/// own page, so the body's `type` is checked only when it is JSON.
pub fn invalid_token(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    let challenge = response.header("www-authenticate").unwrap_or("");
    let error = challenge_param(challenge, "error");
    let kind = response.error_type();
    let outcome = match (response.status, error.as_deref(), kind.as_deref()) {
        (401, Some("invalid_token"), None | Some("invalid_token")) => {
            Outcome::pass("401 with error=\"invalid_token\".")
        }
        (401, Some("invalid_token"), Some(other)) => Outcome::fail(format!(
            "401 with error=\"invalid_token\", but the body's type is {other}."
        )),
        (401, _, _) => Outcome::fail(
            "401 with a plain challenge: Gafaelfawr saw no credentials, so the Authorization \
             header did not reach it.",
        )
        .fix(
            Component::IngressNginx,
            "Check proxies and load balancers in front of ingress-nginx: one of them drops the \
             Authorization header.",
        ),
        (400, _, _) => {
            Outcome::fail("400: Gafaelfawr took a well-formed gt- token for a malformed header.")
        }
        (403, _, _) if challenge.is_empty() => Outcome::fail(
            "A bare 403 instead of 401: Gafaelfawr did not answer an unknown token with 401, \
             which ingress-nginx would pass on unchanged.",
        )
        .fix(
            Component::Gafaelfawr,
            "Gafaelfawr answers a token it never issued with 401 invalid_token. Check its \
             version and logs, and whether something in front of ingress-nginx turns 401 \
             into 403.",
        ),
        _ => unexpected_without_credentials(response),
    };
    Ok(with_response_evidence(
        outcome,
        response,
        &["www-authenticate"],
    ))
}

/// `auth.insufficient_scope`: a token without the scope → 403 with
/// `error="insufficient_scope"` and `scope="…"`.
pub fn insufficient_scope(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    let challenge = response.header("www-authenticate").unwrap_or("");
    let error = challenge_param(challenge, "error");
    let scope = challenge_param(challenge, "scope");
    let outcome = match (response.status, error.as_deref(), scope) {
        (403, Some("insufficient_scope"), Some(scope)) => Outcome::pass(format!(
            "403 insufficient_scope: the route requires scope {scope}."
        )),
        (403, Some("insufficient_scope"), None) => Outcome::fail(
            "403 insufficient_scope without scope=: a username, service or quota restriction \
             refused the token, not the route's scope.",
        )
        .fix(
            Component::GafaelfawrIngress,
            "Remove username, onlyServices and userDomain from the muster-auth \
             GafaelfawrIngress; it should only require scopes.all: [config.scope].",
        ),
        (403, _, _) => Outcome::fail("403 without an insufficient_scope challenge.").fix(
            Component::IngressNginx,
            "Phalanx's @autherror location must add WWW-Authenticate to the 403 it returns.",
        ),
        (200, _, _) => Outcome::fail(
            "200: a token without the route's scope was accepted, so the route requires no \
             scope.",
        ),
        (401, _, _) => Outcome::fail(
            "401: the token without the scope was not accepted as a valid token.",
        )
        .fix(
            Component::Gafaelfawr,
            "Gafaelfawr refused a token muster-check had just minted from it: check Gafaelfawr's \
             logs and its Redis, which holds the tokens.",
        ),
        _ => unexpected_without_credentials(response),
    };
    Ok(with_response_evidence(
        outcome,
        response,
        &["www-authenticate"],
    ))
}

/// `auth.login_redirect`: no credentials → a redirect to `/login?rd=`
/// (CLI), or an opaque redirect (browser, which cannot see where to).
pub fn login_redirect(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    let location = response.header("location").unwrap_or("");
    let outcome = if response.opaque_redirect {
        Outcome::pass(
            "A redirect (the browser does not show its target; muster-check verifies it goes \
             to /login).",
        )
    } else if response.status == 302 && location.contains("/login?rd=") {
        Outcome::pass("302 to Gafaelfawr's login page.")
    } else if response.is_redirect() {
        Outcome::fail(format!(
            "{}, not 302 to /login?rd=<this URL>.",
            response.describe()
        ))
        .fix(
            Component::IngressNginx,
            "Something sends this login redirect elsewhere than 302 /login?rd=: check Gafaelfawr's \
             base URL (global.baseUrl) and anything in front of ingress-nginx that rewrites \
             redirects. Do not hand-edit the Ingress that Gafaelfawr's operator generates.",
        )
    } else if response.status == 401 {
        Outcome::fail("401 instead of a redirect: loginRedirect is not in effect.")
    } else {
        unexpected_without_credentials(response)
    };
    Ok(with_response_evidence(outcome, response, &["location"]))
}

/// A response to a request without (valid) credentials that none of the
/// expected answers covers.
fn unexpected_without_credentials(response: &ResponseSeen) -> Outcome {
    if let Some((component, hint)) = ingress_failure(response) {
        return Outcome::fail(format!("Unexpected answer: {}.", response.describe()))
            .evidence("body", shorten(&response.body))
            .fix(component, hint);
    }
    match response.status {
        200 => {
            Outcome::fail("200: the route answered without authentication, so it is not protected.")
                .fix(Component::GafaelfawrIngress, OWN_INGRESS)
        }
        422 | 500 if is_musters(response) => Outcome::fail(format!(
            "Muster itself answered {}: the request reached Muster without passing \
             Gafaelfawr, so this route has no GafaelfawrIngress of its own (the anonymous \
             Prefix ingress serves it).",
            response.describe()
        ))
        .evidence("body", shorten(&response.body))
        .fix(Component::GafaelfawrIngress, OWN_INGRESS),
        _ if response.is_redirect() => Outcome::fail(format!(
            "{} instead of an error: the route redirects to login.",
            response.describe()
        ))
        .fix(
            Component::GafaelfawrIngress,
            "Remove loginRedirect from this route's GafaelfawrIngress: API routes must answer \
             401, not redirect.",
        ),
        _ => Outcome::fail(format!("Unexpected answer: {}.", response.describe()))
            .evidence("body", shorten(&response.body)),
    }
}

/// The fix for an authenticated route served without its own ingress.
const OWN_INGRESS: &str = "Deploy this route's own GafaelfawrIngress (Exact path, scopes.all: \
     [config.scope]) and check that Gafaelfawr's operator created its Ingress.";
