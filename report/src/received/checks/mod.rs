//! The server-side check functions: each turns a [`BackendObservation`]
//! into an [`Outcome`], purely. Their ids, titles and default fixes live in
//! the catalogue; the functions only judge and explain.
//!
//! This module holds the judgements several routes share; the route
//! families' own checks are in the submodules.

pub mod anonymous;
pub mod auth;
pub mod delegated;

use crate::outcome::Outcome;
use crate::received::observed::{names, redacted_value, BackendObservation, HeaderText};
use crate::received::upstream::{ErrorDetail, UpstreamFailure, ValidationError};
use crate::redact;

/// No non-empty `Authorization` reached Muster (upstream:
/// `unexpected_header`).
pub fn authorization_absent(observed: &BackendObservation) -> Outcome {
    let request = &observed.request;
    let present = request.present(names::AUTHORIZATION);
    let outcome = match present.first() {
        None => Outcome::pass("No Authorization header reached Muster."),
        Some(first) => {
            let count = match present.len() {
                1 => String::new(),
                n => format!(" ({n} Authorization headers)"),
            };
            Outcome::fail(format!(
                "An Authorization header reached Muster: {}{count}.",
                redacted_value(names::AUTHORIZATION, first)
            ))
            .upstream(UpstreamFailure::Check(ErrorDetail::unexpected_header(
                names::AUTHORIZATION,
            )))
        }
    };
    outcome.header_evidence(request, names::AUTHORIZATION)
}

/// No non-empty `gafaelfawr` cookie reached Muster; `upstream` says whether
/// upstream fails on it too (`unexpected_cookie`, anonymous route only).
pub fn session_cookie_absent(observed: &BackendObservation, upstream: bool) -> Outcome {
    let request = &observed.request;
    let values: Vec<String> = request
        .cookie_values(names::SESSION_COOKIE)
        .into_iter()
        .filter(|value| !value.is_empty())
        .collect();
    let outcome = match values.first() {
        None => Outcome::pass("No gafaelfawr cookie reached Muster."),
        Some(value) => {
            let outcome = Outcome::fail(format!(
                "The gafaelfawr session cookie reached Muster ({}).",
                redact::fingerprint(value)
            ));
            if upstream {
                let detail = ErrorDetail::unexpected_cookie(names::SESSION_COOKIE);
                outcome.upstream(UpstreamFailure::Check(detail))
            } else {
                outcome
            }
        }
    };
    outcome.header_evidence(request, names::COOKIE)
}

/// `X-Auth-Request-User` reached Muster as text (upstream: 422 when
/// missing, as FastAPI's required header).
pub fn user_header(observed: &BackendObservation) -> Outcome {
    let request = &observed.request;
    let outcome = match request.first(names::USER) {
        None => Outcome::fail("X-Auth-Request-User did not reach Muster.").upstream(
            UpstreamFailure::Validation(ValidationError::missing_header(names::USER)),
        ),
        Some(HeaderText::NotUtf8 { length }) => Outcome::fail(format!(
            "X-Auth-Request-User is not UTF-8 text ({length} bytes)."
        ))
        .upstream(UpstreamFailure::Validation(
            ValidationError::not_unicode_header(names::USER),
        )),
        Some(value) => Outcome::pass(format!(
            "Muster received X-Auth-Request-User: {}.",
            redacted_value(names::USER, value)
        )),
    };
    outcome.header_evidence(request, names::USER)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builders of observations for the check tests.

    use crate::model::Route;
    use crate::received::observed::{BackendObservation, Gafaelfawr, RequestSeen};

    /// A well-formed Gafaelfawr token.
    pub const TOKEN: &str = "gt-AbCdEfGhIjKlMnOpQrStUv.0123456789abcdefghijkl";

    /// An observation of `route` with these headers and no Gafaelfawr calls.
    pub fn observe(route: Route, headers: &[(&str, &str)]) -> BackendObservation {
        BackendObservation {
            route,
            request: RequestSeen::from_pairs(headers.iter().map(|(n, v)| (*n, v.as_bytes()))),
            gafaelfawr: Gafaelfawr::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::model::{Route, Status};

    #[test]
    fn authorization_is_judged_by_non_empty_values() {
        let clean = observe(Route::Anonymous, &[("authorization", "")]);
        assert_eq!(authorization_absent(&clean).status, Status::Pass);
        let leaked = observe(
            Route::Anonymous,
            &[("authorization", &format!("Bearer {TOKEN}"))],
        );
        let outcome = authorization_absent(&leaked);
        assert_eq!(outcome.status, Status::Fail);
        assert!(!outcome.observed.contains(TOKEN), "{}", outcome.observed);
        assert!(
            matches!(outcome.upstream, Some(UpstreamFailure::Check(ref d)) if d.kind == "unexpected_header")
        );
    }

    #[test]
    fn repeated_authorization_headers_are_counted() {
        let twice = observe(
            Route::Anonymous,
            &[("authorization", "a"), ("authorization", "b")],
        );
        let outcome = authorization_absent(&twice);
        assert!(
            outcome.observed.contains("2 Authorization headers"),
            "{}",
            outcome.observed
        );
        assert_eq!(outcome.evidence.len(), 2);
    }

    #[test]
    fn session_cookie_upstream_mapping_is_optional() {
        let leaked = observe(
            Route::AuthFail,
            &[("cookie", &format!("gafaelfawr={TOKEN}"))],
        );
        assert_eq!(session_cookie_absent(&leaked, false).upstream, None);
        assert!(session_cookie_absent(&leaked, true).upstream.is_some());
        let empty = observe(Route::Anonymous, &[("cookie", "gafaelfawr=; theme=x")]);
        assert_eq!(session_cookie_absent(&empty, true).status, Status::Pass);
    }

    #[test]
    fn missing_or_binary_user_is_a_validation_error() {
        let missing = user_header(&observe(Route::AuthFail, &[]));
        assert_eq!(missing.status, Status::Fail);
        assert!(
            matches!(missing.upstream, Some(UpstreamFailure::Validation(ref v)) if v.kind == "missing")
        );
        let mut binary = observe(Route::AuthFail, &[]);
        binary.request = crate::received::observed::RequestSeen::from_pairs([(
            "x-auth-request-user",
            &[0xc3, 0x28][..],
        )]);
        let outcome = user_header(&binary);
        assert!(
            matches!(outcome.upstream, Some(UpstreamFailure::Validation(ref v)) if v.kind == "string_unicode")
        );
        assert_eq!(
            user_header(&observe(
                Route::AuthFail,
                &[("x-auth-request-user", "alice")]
            ))
            .status,
            Status::Pass
        );
    }
}
