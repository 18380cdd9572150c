//! Checks of the anonymous route: nothing that identifies the user — no
//! token, no session cookie, no identity header — reaches a backend behind
//! an anonymous ingress.

use super::{authorization_absent, session_cookie_absent};
use crate::outcome::Outcome;
use crate::received::observed::{names, redacted_value, BackendObservation};

/// `anonymous.no_authorization`.
pub fn no_authorization(observed: &BackendObservation) -> Outcome {
    authorization_absent(observed)
}

/// `anonymous.no_gafaelfawr_cookie` (upstream: `unexpected_cookie`).
pub fn no_gafaelfawr_cookie(observed: &BackendObservation) -> Outcome {
    session_cookie_absent(observed, true)
}

/// `anonymous.no_identity_headers`: any `X-Auth-Request-*` reaching the
/// anonymous route was forged by the client and not removed by the ingress.
pub fn no_identity_headers(observed: &BackendObservation) -> Outcome {
    let seen: Vec<_> = observed
        .request
        .with_prefix(names::IDENTITY_PREFIX)
        .filter(|header| !header.value.is_empty())
        .collect();
    if seen.is_empty() {
        return Outcome::pass("No X-Auth-Request-* header reached Muster.")
            .evidence("X-Auth-Request-*", "(absent)");
    }
    let mut shown: Vec<String> = seen
        .iter()
        .map(|h| crate::text::display_name(&h.name))
        .collect();
    shown.dedup();
    let mut outcome = Outcome::fail(format!(
        "Identity headers reached the anonymous route: {}.",
        shown.join(", ")
    ));
    for header in seen {
        outcome = outcome.evidence(
            crate::text::display_name(&header.name),
            redacted_value(&header.name, &header.value),
        );
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Route, Status};
    use crate::received::checks::testing::*;

    #[test]
    fn forged_identity_headers_fail_without_leaking_tokens() {
        let forged = observe(
            Route::Anonymous,
            &[
                ("x-auth-request-user", "admin"),
                ("x-auth-request-token", TOKEN),
            ],
        );
        let outcome = no_identity_headers(&forged);
        assert_eq!(outcome.status, Status::Fail);
        assert!(outcome
            .observed
            .contains("X-Auth-Request-User, X-Auth-Request-Token"));
        let shown = format!("{:?}", outcome.evidence);
        assert!(shown.contains("admin") && !shown.contains(TOKEN), "{shown}");
        assert_eq!(outcome.upstream, None, "upstream accepts these headers");
    }

    #[test]
    fn clean_anonymous_request_passes() {
        let clean = observe(
            Route::Anonymous,
            &[("cookie", "theme=dark"), ("x-forwarded-for", "1.2.3.4")],
        );
        assert_eq!(no_identity_headers(&clean).status, Status::Pass);
        assert_eq!(no_gafaelfawr_cookie(&clean).status, Status::Pass);
        assert_eq!(no_authorization(&clean).status, Status::Pass);
    }
}
