//! Judge of the environment's home page: Squareone's HTML page at the root
//! of Muster's host. Another application answers there, so a 404 is a
//! failure (nothing serves `/`), not a route of Muster's left undeployed.

use super::{answered, with_response_evidence, Judgement};
use crate::outcome::Outcome;
use crate::probe::exchange::Exchange;
use crate::probe::ProbeContext;

/// What Squareone's pages carry and other HTML pages hardly do: Squareone
/// is a Next.js application, whose pages load their scripts from
/// `/_next/`, in the head, well within the body a probe keeps.
const SQUAREONE_MARKER: &str = "/_next/";

/// `home.page`: the root answers 200 with an HTML page, and that page is
/// Squareone's. A redirect (to log in, most likely) is a warning: the home
/// page is public in Phalanx, and what is behind the redirect is not seen.
/// Anything but a pass gets the probe's hint, which names Squareone.
pub fn served(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = match exchanges.first().and_then(Exchange::response_seen) {
        Some(response) => response,
        // No answer at all, judged as for every probe (a 404 here is an
        // answer: not the skip `answered` makes of it for Muster's routes).
        None => answered(exchanges.first())?,
    };
    // Media types are case-insensitive, but every server writes this one
    // in lower case.
    let html = response
        .header("content-type")
        .is_some_and(|value| value.starts_with("text/html"));
    let outcome = match response.status {
        _ if response.is_redirect() => {
            // A browser cannot read where to; logging in is where
            // Phalanx's ingresses redirect.
            let to_login = response.opaque_redirect
                || response
                    .header("location")
                    .is_some_and(|location| location.contains("/login"));
            Outcome::warn(if to_login {
                "It redirects to log in: the home page is not public."
            } else {
                "It redirects elsewhere (see Location)."
            })
        }
        200 if html && response.body.contains(SQUAREONE_MARKER) => {
            Outcome::pass("Squareone's page.")
        }
        200 if html => Outcome::warn("An HTML page, but not Squareone's (no /_next/ scripts)."),
        200 => Outcome::fail("Not an HTML page."),
        404 => Outcome::fail("Nothing serves /."),
        500..=599 => Outcome::fail("The home page application is failing."),
        _ => Outcome::fail("Not the home page."),
    };
    Ok(with_response_evidence(
        outcome,
        response,
        &["content-type", "location"],
    ))
}
