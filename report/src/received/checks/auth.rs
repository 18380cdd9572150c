//! Checks of the authenticated routes (`auth/{mode}`): Gafaelfawr
//! authenticated the user, and neither the user's token nor their session
//! cookie reached the backend.

use super::{authorization_absent, session_cookie_absent, user_header};
use crate::outcome::Outcome;
use crate::received::observed::{names, redacted_value, BackendObservation};

/// `auth.user_header` (upstream: 422 when missing).
pub fn user(observed: &BackendObservation) -> Outcome {
    user_header(observed)
}

/// `auth.no_authorization` (upstream: `unexpected_header`).
pub fn no_authorization(observed: &BackendObservation) -> Outcome {
    authorization_absent(observed)
}

/// `auth.no_gafaelfawr_cookie` (report only).
pub fn no_gafaelfawr_cookie(observed: &BackendObservation) -> Outcome {
    session_cookie_absent(observed, false)
}

/// `auth.no_delegated_token`: a route that does not delegate receives no
/// `X-Auth-Request-Token` (report only).
pub fn no_delegated_token(observed: &BackendObservation) -> Outcome {
    let request = &observed.request;
    let outcome = match request.first(names::TOKEN) {
        None => Outcome::pass("No X-Auth-Request-Token reached Muster."),
        Some(value) => Outcome::fail(format!(
            "A token reached Muster in X-Auth-Request-Token ({}) although this route asks for no delegation.",
            redacted_value(names::TOKEN, value)
        )),
    };
    outcome.header_evidence(request, names::TOKEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Route, Status};
    use crate::received::checks::testing::*;

    #[test]
    fn unrequested_token_fails_redacted() {
        let outcome = no_delegated_token(&observe(
            Route::AuthFail,
            &[("x-auth-request-token", TOKEN)],
        ));
        assert_eq!(outcome.status, Status::Fail);
        assert!(!format!("{outcome:?}").contains(TOKEN));
        assert_eq!(
            no_delegated_token(&observe(Route::AuthFail, &[])).status,
            Status::Pass
        );
    }

    #[test]
    fn authenticated_request_passes() {
        let seen = observe(
            Route::AuthQuota,
            &[("x-auth-request-user", "alice"), ("cookie", "x=1")],
        );
        for check in [
            user,
            no_authorization,
            no_gafaelfawr_cookie,
            no_delegated_token,
        ] {
            assert_eq!(check(&seen).status, Status::Pass);
        }
    }
}
