//! Judge of the environment's home page: Squareone's HTML page at the root
//! of Muster's host. Another application answers there, so a 404 is a
//! failure (nothing serves `/`), not a route of Muster's left undeployed.

use super::{answered, with_response_evidence, Judgement};
use crate::model::Component;
use crate::outcome::Outcome;
use crate::probe::exchange::{Exchange, ResponseSeen};
use crate::probe::ProbeContext;
use crate::text::shorten;

/// What Squareone's pages carry and other HTML pages hardly do: Squareone
/// is a Next.js application, whose pages load their scripts from
/// `/_next/` (in the head, well within the body a probe keeps) and carry
/// their data in a `__NEXT_DATA__` script.
const SQUAREONE_MARKERS: [&str; 2] = ["/_next/", "__NEXT_DATA__"];

/// `home.page`: the root answers 200 with an HTML page, and that page is
/// Squareone's. A redirect (to log in, most likely) is a warning: the home
/// page is public in Phalanx, and Muster cannot see what is behind it.
pub fn served(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let Some(response) = exchanges.first().and_then(Exchange::response_seen) else {
        // No answer at all: judged as for every other probe.
        answered(exchanges.first())?;
        return Ok(Outcome::fail("No answer from the home page."));
    };
    let url = exchanges
        .first()
        .map_or("", |exchange| exchange.request.url.as_str());
    let content_type = response.header("content-type").unwrap_or("");
    if response.is_redirect() {
        return Ok(with_response_evidence(
            redirected(response, url),
            response,
            &["content-type", "location"],
        ));
    }
    let outcome = if response.status == 200 && is_html(content_type) {
        if SQUAREONE_MARKERS
            .iter()
            .any(|marker| response.body.contains(marker))
        {
            Outcome::pass(format!("{url} answers 200 with Squareone's HTML page."))
        } else {
            Outcome::warn(format!(
                "{url} answers 200 with an HTML page, but not one of Squareone's (a Next.js \
                 page, loading its scripts from /_next/): another application serves the home \
                 page."
            ))
            .evidence("body", shorten(&response.body))
        }
    } else {
        // A failure gets the probe's hint, which names Squareone.
        let problem = match response.status {
            200 if content_type.is_empty() => {
                "answers 200 without a Content-Type, not with an HTML page".to_owned()
            }
            200 => format!(
                "answers 200 with {content_type}, not with an HTML page: / is routed to \
                 another service"
            ),
            404 => "answers 404: nothing serves the home page (no ingress claims /)".to_owned(),
            500..=599 => format!(
                "answers {}: the home page application is failing, or ingress-nginx cannot \
                 reach it",
                response.describe()
            ),
            _ => format!("answers {}, not with the home page", response.describe()),
        };
        Outcome::fail(format!("{url} {problem}.")).evidence("body", shorten(&response.body))
    };
    Ok(with_response_evidence(outcome, response, &["content-type"]))
}

/// A redirect, said plainly: where to, when the client could read it.
fn redirected(response: &ResponseSeen, url: &str) -> Outcome {
    let location = response.header("location");
    let observed = if response.opaque_redirect {
        format!(
            "{url} redirects, most likely to log in (the browser hides where to): the home page \
             could not be seen without logging in."
        )
    } else if let Some(login) = location.filter(|location| location.contains("/login")) {
        format!(
            "{url} redirects to the login page ({}): the home page could not be seen without \
             logging in.",
            shorten(login)
        )
    } else if let Some(elsewhere) = location {
        format!(
            "{url} redirects to {}; Muster follows no redirect, so the home page itself was not \
             seen.",
            shorten(elsewhere)
        )
    } else {
        format!("{url} answers {} without a Location.", response.describe())
    };
    Outcome::warn(observed).fix(
        Component::HomePage,
        "Squareone's home page is public in Phalanx: its ingress for / must be anonymous, \
         without a login redirect. Nothing to fix if / is meant to require logging in here.",
    )
}

/// Whether a `Content-Type` value is HTML.
fn is_html(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/html")
}
