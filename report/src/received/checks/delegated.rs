//! Checks of the delegated routes (`delegated/{mode}`): Gafaelfawr minted an
//! internal token for Muster, its user-info and token-info answer to that
//! token and agree with the headers, and `Authorization` carries the token
//! exactly when the ingress asks for it.

use super::{authorization_absent, session_cookie_absent, user_header};
use crate::model::Component;
use crate::outcome::Outcome;
use crate::received::observed::{
    names, redacted_value, BackendObservation, FetchCause, FetchError, HeaderText, UserInfo,
};
use crate::received::upstream::{ErrorDetail, UpstreamFailure, ValidationError};
use crate::redact;

/// The delegation Muster's chart asks for: `delegate.internal` with
/// service `muster` and no scopes.
pub const EXPECTED_SERVICE: &str = "muster";

/// `delegated.user_header` (upstream: 422 when missing).
pub fn user(observed: &BackendObservation) -> Outcome {
    user_header(observed)
}

/// `delegated.token_header`: a Gafaelfawr-shaped token arrived in
/// `X-Auth-Request-Token` (upstream: 422 when missing, `incorrect_header`
/// when it is not a token).
pub fn token_header(observed: &BackendObservation) -> Outcome {
    let request = &observed.request;
    let outcome = match request.first(names::TOKEN) {
        None => Outcome::fail("X-Auth-Request-Token did not reach Muster: no token was delegated.")
            .upstream(UpstreamFailure::Validation(
                ValidationError::missing_header(names::TOKEN),
            )),
        Some(HeaderText::NotUtf8 { length }) => Outcome::fail(format!(
            "X-Auth-Request-Token is not UTF-8 text ({length} bytes)."
        ))
        .upstream(UpstreamFailure::Validation(
            ValidationError::not_unicode_header(names::TOKEN),
        )),
        Some(HeaderText::Text(token)) if !redact::is_token_shaped(token.trim()) => {
            let shown = redacted_value(names::TOKEN, &HeaderText::Text(token.clone()));
            Outcome::fail(format!(
                "X-Auth-Request-Token holds {shown}, which is not a Gafaelfawr token (gt-<22 characters>.<22 characters>)."
            ))
            .upstream(UpstreamFailure::Check(ErrorDetail::incorrect_header(names::TOKEN, &shown)))
        }
        Some(HeaderText::Text(token)) => Outcome::pass(format!(
            "A Gafaelfawr token reached Muster in X-Auth-Request-Token ({}).",
            redact::fingerprint(token.trim())
        )),
    };
    outcome.header_evidence(request, names::TOKEN)
}

/// `delegated.user_info`: Gafaelfawr's user-info answered to the delegated
/// token; on failure, the exact cause and the component it points at.
pub fn user_info(observed: &BackendObservation) -> Outcome {
    match &observed.gafaelfawr.user_info {
        None => Outcome::skip("Not called: the request carries no usable delegated token."),
        Some(Ok(info)) => {
            let outcome = Outcome::pass(format!(
                "Gafaelfawr's user-info answered for {}.",
                info.username
            ));
            user_info_evidence(outcome, info)
        }
        Some(Err(error)) => {
            let outcome = fetch_failure(
                Outcome::fail(format!("Muster could not get user-info: {error}.")),
                error,
            );
            let detail = match error.cause {
                FetchCause::NotConfigured => ErrorDetail::configuration_error(format!(
                    "Cannot check delegation: {} (set the chart's config.gafaelfawrUrl or \
                     global.repertoireUrl: MUSTER_GAFAELFAWR_URL or REPERTOIRE_BASE_URL)",
                    error.cause
                )),
                _ => ErrorDetail::gafaelfawr_error(format!(
                    "Cannot get user information from Gafaelfawr: {error}"
                )),
            };
            outcome.upstream(UpstreamFailure::Check(detail))
        }
    }
}

fn user_info_evidence(outcome: Outcome, info: &UserInfo) -> Outcome {
    let optional = |value: Option<String>| value.unwrap_or_else(|| "(absent)".to_owned());
    let groups = if info.groups.is_empty() {
        "(none)".to_owned()
    } else {
        info.groups
            .iter()
            .map(|group| group.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    outcome
        .evidence("user-info.username", crate::text::shorten(&info.username))
        .evidence("user-info.email", optional(info.email.clone()))
        .evidence("user-info.name", optional(info.name.clone()))
        .evidence("user-info.uid", optional(info.uid.map(|v| v.to_string())))
        .evidence("user-info.gid", optional(info.gid.map(|v| v.to_string())))
        .evidence("user-info.groups", crate::text::shorten(&groups))
}

/// Adds the URL, the cause and the cause's fix to a failed call's outcome.
fn fetch_failure(outcome: Outcome, error: &FetchError) -> Outcome {
    let (component, hint) = fix_for(&error.cause);
    let mut outcome = outcome
        .evidence(
            "Gafaelfawr URL",
            if error.url.is_empty() {
                "(none)".to_owned()
            } else {
                error.url.clone()
            },
        )
        .evidence("cause", error.cause.to_string())
        .fix(component, hint);
    if let FetchCause::HttpStatus { body, .. } = &error.cause {
        outcome = outcome.evidence("response body", crate::text::shorten(body));
    }
    outcome
}

/// The component a failed call to Gafaelfawr points at, and what to do.
pub fn fix_for(cause: &FetchCause) -> (Component, &'static str) {
    match cause {
        FetchCause::NotConfigured => (
            Component::MusterConfiguration,
            "Set the chart's config.gafaelfawrUrl (MUSTER_GAFAELFAWR_URL) to Gafaelfawr's API \
             base URL as Muster's pod reaches it (e.g. \
             http://gafaelfawr.gafaelfawr:8080/auth/api/v1), or global.repertoireUrl \
             (REPERTOIRE_BASE_URL, set by Argo CD) so Muster can discover it.",
        ),
        FetchCause::Discovery(_) => (
            Component::Repertoire,
            "Check that global.repertoireUrl (REPERTOIRE_BASE_URL) points at Repertoire and that \
             its /discovery lists the internal gafaelfawr service; or set the chart's \
             config.gafaelfawrUrl directly.",
        ),
        FetchCause::ConnectionRefused => (
            Component::Gafaelfawr,
            "Nothing listens at that address: check that Gafaelfawr's pods are running and ready, \
             and that the URL's host and port are Gafaelfawr's service.",
        ),
        FetchCause::ConnectTimeout { .. } => (
            Component::NetworkPolicy,
            "Connections are dropped on the way: check the NetworkPolicies between Muster and \
             Gafaelfawr (Muster's egress, Gafaelfawr's ingress) and that the host is reachable \
             from Muster's pod.",
        ),
        FetchCause::Timeout { .. } => (
            Component::Gafaelfawr,
            "Gafaelfawr accepted the connection but did not answer in time: check its health, its \
             Redis and database, and its user directory's latency. The chart's \
             config.gafaelfawrTimeout sets Muster's limit.",
        ),
        FetchCause::Connect(_) => (
            Component::MusterConfiguration,
            "The URL could not be connected to (name resolution or TLS): check the scheme and host \
             of config.gafaelfawrUrl or of Repertoire's gafaelfawr entry.",
        ),
        FetchCause::HttpStatus { status, error_type, .. } => match (*status, error_type.as_deref()) {
            (_, Some("user_info_failed")) => (
                Component::UserDirectory,
                "Gafaelfawr could not read the user from its user directory: check Gafaelfawr's \
                 logs and its LDAP (or Firestore) connection and credentials.",
            ),
            (401 | 403, _) => (
                Component::Gafaelfawr,
                "Gafaelfawr rejected the token it delegated moments earlier: Muster may call a \
                 different Gafaelfawr than the ingress uses, or Gafaelfawr's token store (Redis) \
                 lost the token.",
            ),
            (300..=399, _) => (
                Component::MusterConfiguration,
                "The URL redirects and Muster follows no redirects: use Gafaelfawr's API URL \
                 itself, not one that leads to a login page or another host.",
            ),
            (404 | 405, _) => (
                Component::MusterConfiguration,
                "That URL is not Gafaelfawr's API: the base URL must end in /auth/api/v1.",
            ),
            _ => (Component::Gafaelfawr, "Gafaelfawr answered with an error: check its logs."),
        },
        FetchCause::InvalidJson(_) => (
            Component::MusterConfiguration,
            "Something other than Gafaelfawr's API answered at that URL (or a proxy rewrote the \
             answer): check config.gafaelfawrUrl or Repertoire's gafaelfawr entry.",
        ),
    }
}

/// The user-info answer, when Gafaelfawr gave one.
fn fetched_user_info(observed: &BackendObservation) -> Option<&UserInfo> {
    match &observed.gafaelfawr.user_info {
        Some(Ok(info)) => Some(info),
        _ => None,
    }
}

/// The verdict of a check that needs user-info when there is none.
fn no_user_info() -> Outcome {
    Outcome::skip("Not checked: user-info is not available (see delegated.user_info).")
}

/// Python's rendering of an optional string in upstream's messages.
fn or_none(value: Option<&str>) -> &str {
    value.unwrap_or("None")
}

/// `delegated.username_matches` (upstream: `gafaelfawr_data`).
pub fn username_matches(observed: &BackendObservation) -> Outcome {
    let Some(info) = fetched_user_info(observed) else {
        return no_user_info();
    };
    let Some(header) = observed.request.first_text(names::USER) else {
        return Outcome::skip("Not checked: no X-Auth-Request-User to compare with.");
    };
    let outcome = if info.username == header {
        Outcome::pass(format!(
            "user-info and X-Auth-Request-User both name {header}."
        ))
    } else {
        let msg = format!(
            "Gafaelfawr username mismatch: {} from user-info endpoint, {header} from request headers",
            info.username
        );
        Outcome::fail(format!("{msg}."))
            .upstream(UpstreamFailure::Check(ErrorDetail::gafaelfawr_data(msg)))
    };
    outcome
        .evidence("user-info.username", crate::text::shorten(&info.username))
        .header_evidence(&observed.request, names::USER)
}

/// `delegated.email_matches`: both absent counts as agreement (upstream:
/// `gafaelfawr_data`).
pub fn email_matches(observed: &BackendObservation) -> Outcome {
    let Some(info) = fetched_user_info(observed) else {
        return no_user_info();
    };
    let header = observed.request.first_text(names::EMAIL);
    let outcome = if info.email.as_deref() == header {
        match header {
            Some(email) => Outcome::pass(format!(
                "user-info and X-Auth-Request-Email both say {email}."
            )),
            None => Outcome::pass("Neither user-info nor the headers have an email, which agrees."),
        }
    } else {
        let msg = format!(
            "Gafaelfawr email mismatch: {} from user-info endpoint, {} from request headers",
            or_none(info.email.as_deref()),
            or_none(header)
        );
        Outcome::fail(format!("{msg}."))
            .upstream(UpstreamFailure::Check(ErrorDetail::gafaelfawr_data(msg)))
    };
    outcome
        .evidence(
            "user-info.email",
            info.email.clone().unwrap_or_else(|| "(absent)".to_owned()),
        )
        .header_evidence(&observed.request, names::EMAIL)
}

/// `delegated.no_authorization` (header mode; upstream:
/// `unexpected_header`).
pub fn no_authorization(observed: &BackendObservation) -> Outcome {
    authorization_absent(observed)
}

/// `delegated.authorization_bearer` (authorization mode): `Authorization`
/// is exactly `Bearer <delegated token>` (upstream: `missing_header`,
/// `incorrect_header` with the value redacted).
pub fn authorization_bearer(observed: &BackendObservation) -> Outcome {
    let request = &observed.request;
    let present = request.present(names::AUTHORIZATION);
    let Some(token) = request.first_text(names::TOKEN) else {
        return Outcome::skip("Not checked: no delegated token to compare with.")
            .header_evidence(request, names::AUTHORIZATION);
    };
    let expected = format!("Bearer {token}");
    let redacted: Vec<String> = present
        .iter()
        .map(|value| redacted_value(names::AUTHORIZATION, value))
        .collect();
    let outcome = if present.is_empty() {
        Outcome::fail("No Authorization header reached Muster.").upstream(UpstreamFailure::Check(
            ErrorDetail::missing_header(names::AUTHORIZATION),
        ))
    } else if present.len() == 1 && present[0].text() == Some(expected.as_str()) {
        Outcome::pass("Authorization is exactly Bearer and the delegated token.")
    } else {
        let shown = redacted.join(", ");
        let why = if present.len() > 1 {
            format!("{} Authorization headers reached Muster", present.len())
        } else {
            "Authorization is not Bearer and the delegated token".to_owned()
        };
        Outcome::fail(format!("{why}: {shown}.")).upstream(UpstreamFailure::Check(
            ErrorDetail::incorrect_header(names::AUTHORIZATION, &shown),
        ))
    };
    outcome
        .header_evidence(request, names::AUTHORIZATION)
        .evidence("expected Authorization", redact::authorization(&expected))
}

/// `delegated.uid_gid`: the user has a numeric UID and primary GID (warns:
/// routes still work, notebooks and file systems do not).
pub fn uid_gid(observed: &BackendObservation) -> Outcome {
    let Some(info) = fetched_user_info(observed) else {
        return no_user_info();
    };
    let missing: Vec<&str> = [("uid", info.uid), ("gid", info.gid)]
        .iter()
        .filter(|(_, value)| value.is_none())
        .map(|(name, _)| *name)
        .collect();
    let outcome = if missing.is_empty() {
        Outcome::pass(format!(
            "user-info assigns uid {} and gid {}.",
            info.uid.unwrap_or_default(),
            info.gid.unwrap_or_default()
        ))
    } else {
        Outcome::warn(format!(
            "user-info has no {}: without them Nublado cannot spawn a notebook for the user and \
             files on POSIX file systems cannot be owned by them.",
            missing.join(" and ")
        ))
    };
    let show = |value: Option<i64>| value.map_or_else(|| "(absent)".to_owned(), |v| v.to_string());
    outcome
        .evidence("user-info.uid", show(info.uid))
        .evidence("user-info.gid", show(info.gid))
}

/// `delegated.groups`: the user is in groups and each has a GID (warns).
pub fn groups(observed: &BackendObservation) -> Outcome {
    let Some(info) = fetched_user_info(observed) else {
        return no_user_info();
    };
    let names: Vec<&str> = info
        .groups
        .iter()
        .map(|group| group.name.as_str())
        .collect();
    let without_id: Vec<&str> = info
        .groups
        .iter()
        .filter(|group| group.id.is_none())
        .map(|group| group.name.as_str())
        .collect();
    let outcome = if names.is_empty() {
        Outcome::warn(
            "user-info lists no groups: scopes granted through group membership and shared \
             file-system permissions will not work for this user.",
        )
    } else if !without_id.is_empty() {
        Outcome::warn(format!(
            "Groups without a GID: {}; file-system permissions for them will not work.",
            crate::text::shorten(&without_id.join(", "))
        ))
    } else {
        Outcome::pass(format!(
            "The user is in {} group(s), each with a GID.",
            names.len()
        ))
    };
    let shown = if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    };
    outcome.evidence("user-info.groups", crate::text::shorten(&shown))
}

/// `delegated.token_info`: token-info describes an internal token for
/// `muster` with no scopes, owned by the header's user (warns otherwise).
pub fn token_info(observed: &BackendObservation) -> Outcome {
    let info = match &observed.gafaelfawr.token_info {
        None => return Outcome::skip("Not called: the request carries no usable delegated token."),
        Some(Err(error)) => {
            return fetch_failure(
                Outcome::warn(format!("Muster could not get token-info: {error}.")),
                error,
            )
        }
        Some(Ok(info)) => info,
    };
    let mut problems = Vec::new();
    if info.token_type != "internal" {
        problems.push(format!("its type is {}, not internal", info.token_type));
    }
    if info.service.as_deref() != Some(EXPECTED_SERVICE) {
        problems.push(format!(
            "its service is {}, not {EXPECTED_SERVICE}",
            info.service.as_deref().unwrap_or("(absent)")
        ));
    }
    if !info.scopes.is_empty() {
        problems.push(format!("it has scopes {}, not none", info.scopes.join(" ")));
    }
    if let Some(user) = observed.request.first_text(names::USER) {
        if user != info.username {
            problems.push(format!("it belongs to {}, not {user}", info.username));
        }
    }
    let outcome = if problems.is_empty() {
        Outcome::pass(format!(
            "An internal token for {EXPECTED_SERVICE} with no scopes."
        ))
    } else {
        Outcome::warn(format!(
            "The delegated token is not what the ingress asks for: {}.",
            problems.join("; ")
        ))
    };
    let scopes = if info.scopes.is_empty() {
        "(none)".to_owned()
    } else {
        info.scopes.join(" ")
    };
    outcome
        .evidence("token-info.token_type", info.token_type.clone())
        .evidence(
            "token-info.service",
            info.service
                .clone()
                .unwrap_or_else(|| "(absent)".to_owned()),
        )
        .evidence("token-info.scopes", crate::text::shorten(&scopes))
        .evidence("token-info.username", crate::text::shorten(&info.username))
}

/// `delegated.no_gafaelfawr_cookie` (report only).
pub fn no_gafaelfawr_cookie(observed: &BackendObservation) -> Outcome {
    session_cookie_absent(observed, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Route, Status};
    use crate::received::checks::testing::*;
    use crate::received::observed::{Group, TokenInfo};

    fn alice() -> UserInfo {
        UserInfo {
            username: "alice".into(),
            name: Some("Alice".into()),
            email: Some("alice@example.com".into()),
            uid: Some(1000),
            gid: Some(1000),
            groups: vec![Group {
                name: "g".into(),
                id: Some(2000),
            }],
        }
    }

    fn with_user_info(
        headers: &[(&str, &str)],
        info: Result<UserInfo, FetchError>,
    ) -> BackendObservation {
        let mut observed = observe(Route::DelegatedHeader, headers);
        observed.gafaelfawr.user_info = Some(info);
        observed
    }

    fn failure(cause: FetchCause) -> FetchError {
        FetchError {
            url: "http://gafaelfawr:8080/auth/api/v1/user-info".into(),
            cause,
        }
    }

    #[test]
    fn token_must_be_present_and_shaped() {
        let missing = token_header(&observe(Route::DelegatedHeader, &[]));
        assert!(matches!(
            missing.upstream,
            Some(UpstreamFailure::Validation(_))
        ));
        let bogus = token_header(&observe(
            Route::DelegatedHeader,
            &[("x-auth-request-token", "not-a-token")],
        ));
        assert_eq!(bogus.status, Status::Fail);
        assert!(
            matches!(bogus.upstream, Some(UpstreamFailure::Check(ref d)) if d.kind == "incorrect_header")
        );
        let good = token_header(&observe(
            Route::DelegatedHeader,
            &[("x-auth-request-token", TOKEN)],
        ));
        assert_eq!(good.status, Status::Pass);
        assert!(!format!("{good:?}").contains(TOKEN));
    }

    #[test]
    fn each_fetch_cause_names_its_component() {
        let cases = [
            (
                FetchCause::NotConfigured,
                Component::MusterConfiguration,
                "configuration_error",
            ),
            (
                FetchCause::ConnectionRefused,
                Component::Gafaelfawr,
                "gafaelfawr_error",
            ),
            (
                FetchCause::ConnectTimeout { millis: 2000 },
                Component::NetworkPolicy,
                "gafaelfawr_error",
            ),
            (
                FetchCause::Timeout { millis: 5000 },
                Component::Gafaelfawr,
                "gafaelfawr_error",
            ),
            (
                FetchCause::InvalidJson("x".into()),
                Component::MusterConfiguration,
                "gafaelfawr_error",
            ),
            (
                FetchCause::HttpStatus {
                    status: 500,
                    error_type: Some("user_info_failed".into()),
                    body: String::new(),
                },
                Component::UserDirectory,
                "gafaelfawr_error",
            ),
            (
                FetchCause::HttpStatus {
                    status: 404,
                    error_type: None,
                    body: String::new(),
                },
                Component::MusterConfiguration,
                "gafaelfawr_error",
            ),
        ];
        for (cause, component, kind) in cases {
            let outcome = user_info(&with_user_info(&[], Err(failure(cause.clone()))));
            assert_eq!(outcome.status, Status::Fail, "{cause:?}");
            assert_eq!(
                outcome.fix.as_ref().map(|f| f.component),
                Some(component),
                "{cause:?}"
            );
            assert!(
                matches!(outcome.upstream, Some(UpstreamFailure::Check(ref d)) if d.kind == kind),
                "{cause:?}"
            );
        }
    }

    #[test]
    fn mismatches_use_upstream_messages() {
        let observed = with_user_info(
            &[
                ("x-auth-request-user", "bob"),
                ("x-auth-request-email", "bob@example.com"),
            ],
            Ok(alice()),
        );
        let Some(UpstreamFailure::Check(detail)) = username_matches(&observed).upstream else {
            panic!("no upstream failure");
        };
        assert_eq!(
            detail.msg,
            "Gafaelfawr username mismatch: alice from user-info endpoint, bob from request headers"
        );
        assert_eq!(detail.loc, None);
        let Some(UpstreamFailure::Check(detail)) = email_matches(&observed).upstream else {
            panic!("no upstream failure");
        };
        assert_eq!(
            detail.msg,
            "Gafaelfawr email mismatch: alice@example.com from user-info endpoint, bob@example.com from request headers"
        );
    }

    #[test]
    fn absent_email_on_both_sides_agrees_and_one_side_prints_none() {
        let mut info = alice();
        info.email = None;
        assert_eq!(
            email_matches(&with_user_info(&[], Ok(info.clone()))).status,
            Status::Pass
        );
        let observed = with_user_info(&[("x-auth-request-email", "a@b")], Ok(info));
        let outcome = email_matches(&observed);
        assert!(outcome
            .observed
            .contains("None from user-info endpoint, a@b from request headers"));
    }

    #[test]
    fn authorization_must_be_exactly_bearer_token() {
        let bearer = format!("Bearer {TOKEN}");
        let exact = observe(
            Route::DelegatedAuthorization,
            &[("x-auth-request-token", TOKEN), ("authorization", &bearer)],
        );
        assert_eq!(authorization_bearer(&exact).status, Status::Pass);
        let lower = format!("bearer {TOKEN}");
        let wrong = observe(
            Route::DelegatedAuthorization,
            &[("x-auth-request-token", TOKEN), ("authorization", &lower)],
        );
        let outcome = authorization_bearer(&wrong);
        let Some(UpstreamFailure::Check(detail)) = &outcome.upstream else {
            panic!()
        };
        assert_eq!(
            detail.msg,
            "Header Authorization has an incorrect value: bearer gt-AbCd…(48 chars)"
        );
        let twice = observe(
            Route::DelegatedAuthorization,
            &[
                ("x-auth-request-token", TOKEN),
                ("authorization", &bearer),
                ("authorization", &bearer),
            ],
        );
        assert_eq!(authorization_bearer(&twice).status, Status::Fail);
        let missing = observe(
            Route::DelegatedAuthorization,
            &[("x-auth-request-token", TOKEN)],
        );
        let Some(UpstreamFailure::Check(detail)) = authorization_bearer(&missing).upstream else {
            panic!()
        };
        assert_eq!(detail.kind, "missing_header");
    }

    #[test]
    fn missing_uid_gid_and_groups_warn() {
        let mut info = alice();
        info.uid = None;
        info.groups.clear();
        let observed = with_user_info(&[], Ok(info));
        let outcome = uid_gid(&observed);
        assert_eq!(outcome.status, Status::Warn);
        assert!(outcome.observed.contains("no uid"), "{}", outcome.observed);
        assert_eq!(groups(&observed).status, Status::Warn);
        assert_eq!(
            uid_gid(&with_user_info(&[], Ok(alice()))).status,
            Status::Pass
        );
        assert_eq!(
            groups(&with_user_info(&[], Ok(alice()))).status,
            Status::Pass
        );
    }

    #[test]
    fn checks_needing_user_info_skip_without_it() {
        let observed = with_user_info(
            &[("x-auth-request-user", "alice")],
            Err(failure(FetchCause::ConnectionRefused)),
        );
        for check in [username_matches, email_matches, uid_gid, groups] {
            assert_eq!(check(&observed).status, Status::Skip);
        }
    }

    #[test]
    fn token_info_warns_on_wrong_service_or_scopes() {
        let mut observed = observe(Route::DelegatedHeader, &[("x-auth-request-user", "alice")]);
        let good = TokenInfo {
            username: "alice".into(),
            token_type: "internal".into(),
            service: Some("muster".into()),
            scopes: vec![],
        };
        observed.gafaelfawr.token_info = Some(Ok(good.clone()));
        assert_eq!(token_info(&observed).status, Status::Pass);
        observed.gafaelfawr.token_info = Some(Ok(TokenInfo {
            service: Some("other".into()),
            scopes: vec!["read:image".into()],
            ..good
        }));
        let outcome = token_info(&observed);
        assert_eq!(outcome.status, Status::Warn);
        assert!(
            outcome.observed.contains("service is other")
                && outcome.observed.contains("read:image")
        );
        assert_eq!(outcome.upstream, None);
    }
}
