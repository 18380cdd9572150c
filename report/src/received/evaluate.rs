//! Runs the catalogue on one observed request and derives both JSON
//! representations from the same outcomes, so they never disagree: the
//! full report, and the upstream-compatible status and body.

use crate::model::{Route, RouteKind, RouteReport};
use crate::received::catalogue::server_checks_for;
use crate::received::checks::{delegated, user_header};
use crate::received::observed::{names, BackendObservation, Gafaelfawr, RequestSeen};
use crate::received::upstream::{
    AuthInfo, DelegatedUserInfo, ErrorDetail, MusterResult, UpstreamFailure, UpstreamResponse,
    ValidationError,
};

/// Both representations of one request's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The full report (HTTP 200 whatever the verdict).
    pub report: RouteReport,
    /// What the Python service would have answered.
    pub upstream: UpstreamResponse,
}

/// Judges `observed` with every check of its route.
///
/// The upstream answer is: HTTP 422 listing every validation failure (as
/// FastAPI validates all parameters before the handler runs), else HTTP 500
/// with the first failing check that has an upstream mapping, else the
/// route's success body.
pub fn evaluate(observed: &BackendObservation, muster_version: &str) -> Evaluation {
    let mut checks = Vec::new();
    let mut validation = Vec::new();
    let mut first_failure = None;
    for definition in server_checks_for(observed.route) {
        let (check, upstream) = definition.judge(observed);
        match upstream {
            Some(UpstreamFailure::Validation(error)) => validation.push(error),
            Some(UpstreamFailure::Check(detail)) if first_failure.is_none() => {
                first_failure = Some(detail);
            }
            _ => {}
        }
        checks.push(check);
    }
    let upstream = if !validation.is_empty() {
        UpstreamResponse::validation(validation)
    } else if let Some(detail) = first_failure {
        UpstreamResponse::failure(detail)
    } else {
        success(observed)
    };
    Evaluation {
        report: RouteReport::new(observed.route, checks, muster_version),
        upstream,
    }
}

/// Upstream's answer to `auth/{mode}` or `delegated/{mode}` with a `mode`
/// it does not accept: HTTP 422 with FastAPI's errors in its order — the
/// username dependency, then the `mode` path parameter, then (delegated)
/// the token header.
pub fn unknown_mode(kind: RouteKind, mode: &str, request: &RequestSeen) -> UpstreamResponse {
    let (route, allowed): (Route, &[&str]) = match kind {
        RouteKind::Delegated => (Route::DelegatedHeader, &["header", "authorization"]),
        _ => (Route::AuthFail, &["fail", "redirect", "quota", "cached"]),
    };
    let observed = BackendObservation {
        route,
        request: request.clone(),
        gafaelfawr: Gafaelfawr::default(),
    };
    let validation = |outcome: crate::outcome::Outcome| match outcome.upstream {
        Some(UpstreamFailure::Validation(error)) => Some(error),
        _ => None,
    };
    let mut errors: Vec<ValidationError> = validation(user_header(&observed)).into_iter().collect();
    errors.push(ValidationError::literal("mode", allowed, mode));
    if kind == RouteKind::Delegated {
        errors.extend(validation(delegated::token_header(&observed)));
    }
    UpstreamResponse::validation(errors)
}

/// The route's upstream body when no mapped check failed.
fn success(observed: &BackendObservation) -> UpstreamResponse {
    let request = &observed.request;
    match observed.route.kind() {
        RouteKind::Anonymous => UpstreamResponse::ok(&MusterResult { ok: true }),
        RouteKind::Auth => match request.first_text(names::USER) {
            Some(user) => UpstreamResponse::ok(&AuthInfo {
                username: user.to_owned(),
                email: request.first_text(names::EMAIL).map(str::to_owned),
            }),
            None => internal_error(observed.route),
        },
        RouteKind::Delegated => match &observed.gafaelfawr.user_info {
            Some(Ok(info)) => UpstreamResponse::ok(&DelegatedUserInfo::from(info)),
            _ => internal_error(observed.route),
        },
    }
}

/// Unreachable while the catalogue maps every prerequisite of a success
/// body to an upstream failure; kept total rather than panicking.
fn internal_error(route: Route) -> UpstreamResponse {
    UpstreamResponse::failure(ErrorDetail {
        loc: None,
        msg: format!("Muster could not build the answer for {}", route.path()),
        kind: "muster_failed".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::received::checks::testing::{observe, TOKEN};
    use crate::received::observed::{FetchCause, FetchError, UserInfo};

    #[test]
    fn clean_anonymous_request_passes_with_ok_body() {
        let evaluation = evaluate(&observe(Route::Anonymous, &[]), "1.0.0");
        assert_eq!(evaluation.report.status, Status::Pass);
        assert_eq!(
            evaluation.upstream,
            UpstreamResponse {
                status: 200,
                body: r#"{"ok":true}"#.into(),
                failure: None,
            }
        );
    }

    #[test]
    fn authorization_is_reported_before_the_cookie_upstream() {
        let both = observe(
            Route::Anonymous,
            &[("authorization", "x"), ("cookie", "gafaelfawr=y")],
        );
        let evaluation = evaluate(&both, "1");
        assert_eq!(evaluation.upstream.status, 500);
        assert!(evaluation.upstream.body.contains("unexpected_header"));
        assert_eq!(evaluation.report.status, Status::Fail);
    }

    #[test]
    fn report_only_failures_keep_the_upstream_success() {
        let forged = observe(Route::Anonymous, &[("x-auth-request-user", "admin")]);
        let evaluation = evaluate(&forged, "1");
        assert_eq!(evaluation.report.status, Status::Fail);
        assert_eq!(evaluation.upstream.status, 200);
    }

    #[test]
    fn auth_success_echoes_user_and_email() {
        let seen = observe(
            Route::AuthCached,
            &[
                ("x-auth-request-user", "u"),
                ("x-auth-request-email", "e@x"),
            ],
        );
        assert_eq!(
            evaluate(&seen, "1").upstream.body,
            r#"{"username":"u","email":"e@x"}"#
        );
    }

    #[test]
    fn every_missing_header_is_listed_in_fastapi_order() {
        let evaluation = evaluate(&observe(Route::DelegatedHeader, &[]), "1");
        assert_eq!(evaluation.upstream.status, 422);
        let user = evaluation
            .upstream
            .body
            .find("x-auth-request-user")
            .unwrap();
        let token = evaluation
            .upstream
            .body
            .find("x-auth-request-token")
            .unwrap();
        assert!(user < token, "{}", evaluation.upstream.body);
        assert_eq!(
            evaluation
                .report
                .check("delegated.user_info")
                .unwrap()
                .status,
            Status::Skip
        );
    }

    #[test]
    fn unknown_mode_lists_errors_in_fastapi_order() {
        let empty = RequestSeen::default();
        let body = unknown_mode(RouteKind::Delegated, "bogus", &empty).body;
        let user = body.find("x-auth-request-user").unwrap();
        let mode = body.find("literal_error").unwrap();
        let token = body.find("x-auth-request-token").unwrap();
        assert!(user < mode && mode < token, "{body}");
        let with_user = observe(Route::AuthFail, &[("x-auth-request-user", "u")]).request;
        assert_eq!(
            unknown_mode(RouteKind::Auth, "vinyl", &with_user).body,
            r#"{"detail":[{"type":"literal_error","loc":["path","mode"],"msg":"Input should be 'fail', 'redirect', 'quota' or 'cached'","input":"vinyl","ctx":{"expected":"'fail', 'redirect', 'quota' or 'cached'"}}]}"#
        );
    }

    #[test]
    fn delegated_warnings_do_not_change_the_upstream_success() {
        let mut seen = observe(
            Route::DelegatedHeader,
            &[
                ("x-auth-request-user", "u"),
                ("x-auth-request-token", TOKEN),
            ],
        );
        seen.gafaelfawr.user_info = Some(Ok(UserInfo {
            username: "u".into(),
            name: None,
            email: None,
            uid: None,
            gid: None,
            groups: vec![],
        }));
        let evaluation = evaluate(&seen, "1");
        assert_eq!(evaluation.report.status, Status::Warn);
        assert_eq!(evaluation.upstream.body, r#"{"username":"u"}"#);
    }

    #[test]
    fn unreachable_gafaelfawr_fails_both_representations() {
        let mut seen = observe(
            Route::DelegatedHeader,
            &[
                ("x-auth-request-user", "u"),
                ("x-auth-request-token", TOKEN),
            ],
        );
        seen.gafaelfawr.user_info = Some(Err(FetchError {
            url: "http://g/auth/api/v1/user-info".into(),
            cause: FetchCause::ConnectionRefused,
        }));
        let evaluation = evaluate(&seen, "1");
        assert_eq!(evaluation.report.status, Status::Fail);
        assert_eq!(evaluation.upstream.status, 500);
        assert_eq!(
            evaluation.upstream.body,
            r#"{"detail":[{"msg":"Cannot get user information from Gafaelfawr: connection refused from http://g/auth/api/v1/user-info","type":"gafaelfawr_error"}]}"#
        );
    }
}
