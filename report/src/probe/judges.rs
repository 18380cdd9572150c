//! The probes' judgements: pure functions from what a client saw to an
//! [`Outcome`]. Each receives one [`Exchange`] per request of its probe,
//! in order (the probe makes sure of the count).
//!
//! Answers every probe treats alike come first: no response at all, a 404
//! that is not Muster's (the route is not deployed: skip), and refusals of
//! the user's own credentials (not logged in, an account without the
//! scope), which say nothing about the platform.

use super::exchange::{Exchange, Received, ResponseSeen};
use super::{Client, ProbeContext};
use crate::error_body::ErrorBody;
use crate::model::{Component, Route, RouteReport, SkipReason, Status};
use crate::outcome::Outcome;
use crate::received::upstream::{AuthInfo, DelegatedUserInfo};
use crate::text::{display_name, shorten};

/// The five rate-limit headers ingress-nginx copies from Gafaelfawr.
pub const RATE_LIMIT_HEADERS: [&str; 5] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
    "x-ratelimit-used",
];

/// `anonymous.credentials_stripped`: the server's report passes and the
/// upstream-compatible answer is exactly `{"ok": true}`.
pub fn anonymous_credentials_stripped(exchanges: &[Exchange], _: &ProbeContext) -> Outcome {
    let response = match answered(&exchanges[0]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
    let outcome = match expect_report(&exchanges[0], response, Route::Anonymous) {
        Ok(report) => fold_report(&report),
        Err(outcome) => return *outcome,
    };
    if outcome.status != Status::Pass {
        return outcome;
    }
    let plain = match answered(&exchanges[1]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
    let body = shorten(&plain.body);
    let ok = plain.status == 200 && plain.json() == Some(serde_json::json!({"ok": true}));
    if !ok {
        return Outcome::fail(format!(
            "Muster's report passes, but its upstream-compatible answer was {} with {body}, \
             not 200 with {{\"ok\": true}}.",
            plain.describe()
        ))
        .evidence("upstream answer", format!("{} {body}", plain.describe()))
        .fix(
            Component::MusterConfiguration,
            "Existing clients (mobu, Phalanx's automated monitoring client) expect exactly \
             {\"ok\": true}: make sure this is a current Muster and that nothing between the \
             ingress and Muster rewrites answers.",
        );
    }
    let mut outcome = outcome;
    outcome.observed = format!(
        "{} The upstream-compatible answer is {{\"ok\": true}}.",
        outcome.observed
    );
    outcome.evidence("upstream answer", format!("{} {body}", plain.describe()))
}

/// `anonymous.forged_identity_masked`: the report of a request carrying a
/// forged `X-Auth-Request-User` passes.
pub fn anonymous_forged_identity_masked(exchanges: &[Exchange], _: &ProbeContext) -> Outcome {
    let exchange = &exchanges[0];
    let response = match answered(exchange) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
    match expect_report(exchange, response, Route::Anonymous) {
        Ok(report) => fold_report(&report),
        Err(outcome) => *outcome,
    }
}

/// `auth.challenge`: no credentials → 401 with `Bearer realm="…"`.
pub fn auth_challenge(exchanges: &[Exchange], _: &ProbeContext) -> Outcome {
    let response = match answered(&exchanges[0]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
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
    with_response_evidence(outcome, response, &["www-authenticate"])
}

/// `auth.malformed_authorization`: `Token bogus` → 400 with Gafaelfawr's
/// `invalid_request` body.
pub fn auth_malformed_authorization(exchanges: &[Exchange], _: &ProbeContext) -> Outcome {
    let response = match answered(&exchanges[0]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
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
    with_response_evidence(outcome, response, &["www-authenticate"])
        .evidence("body type", kind.unwrap_or_else(|| "(none)".to_owned()))
}

/// `auth.invalid_token`: an unknown `gt-` token → 401 with
/// `error="invalid_token"`. Through ingress-nginx a 401's body is nginx's
/// own page, so the body's `type` is checked only when it is JSON.
pub fn auth_invalid_token(exchanges: &[Exchange], _: &ProbeContext) -> Outcome {
    let response = match answered(&exchanges[0]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
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
    with_response_evidence(outcome, response, &["www-authenticate"])
}

/// `auth.insufficient_scope`: a token without the scope → 403 with
/// `error="insufficient_scope"` and `scope="…"`.
pub fn auth_insufficient_scope(exchanges: &[Exchange], _: &ProbeContext) -> Outcome {
    let response = match answered(&exchanges[0]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
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
    with_response_evidence(outcome, response, &["www-authenticate"])
}

/// `auth.login_redirect`: no credentials → a redirect to `/login?rd=`
/// (CLI), or an opaque redirect (browser, which cannot see where to).
pub fn auth_login_redirect(exchanges: &[Exchange], _: &ProbeContext) -> Outcome {
    let response = match answered(&exchanges[0]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
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
    with_response_evidence(outcome, response, &["location"])
}

/// `auth.fail_route`.
pub fn auth_fail_route(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    route_report(Route::AuthFail, exchanges, context)
}

/// `auth.redirect_route`.
pub fn auth_redirect_route(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    route_report(Route::AuthRedirect, exchanges, context)
}

/// `auth.cached_route`.
pub fn auth_cached_route(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    route_report(Route::AuthCached, exchanges, context)
}

/// `delegated.header_route`.
pub fn delegated_header_route(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    route_report(Route::DelegatedHeader, exchanges, context)
}

/// `delegated.authorization_route`.
pub fn delegated_authorization_route(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    route_report(Route::DelegatedAuthorization, exchanges, context)
}

/// `auth.quota`: 200 with rate-limit headers then 429 with `Retry-After`
/// and the same headers, or a 429 at once (the minute was already used),
/// which proves the limit just as well. When the first pair straddled the
/// start of a minute, a third request was made (see
/// [`quota_window_rolled_over`]) and the last two are judged.
pub fn auth_quota(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    match exchanges {
        [_, pair @ ..] if pair.len() >= 2 => quota_pair(pair, context).evidence(
            "third request",
            "made because the first two straddled the start of a minute; the last two are \
             judged",
        ),
        pair => quota_pair(pair, context),
    }
}

/// Whether the quota probe's two requests straddled the start of a minute:
/// both got 200 and the second opened a new window, so the limit could not
/// show. The probe then makes its request once more.
pub fn quota_window_rolled_over(exchanges: &[Exchange]) -> bool {
    match exchanges {
        [first, second] => match (&first.received, &second.received) {
            (Received::Response(first), Received::Response(second)) => {
                first.status == 200 && second.status == 200 && window_rolled_over(first, second)
            }
            _ => false,
        },
        _ => false,
    }
}

/// Judges the quota probe's pair of exchanges.
fn quota_pair(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    let first = match answered(&exchanges[0]) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
    if let Some(outcome) = refused(first, context) {
        return outcome;
    }
    match first.status {
        429 => {
            let problems = limited_problems(first);
            let outcome = if problems.is_empty() {
                Outcome::pass(
                    "429 at once, with Retry-After and X-RateLimit-* headers: this minute's \
                     quota was already used (by an earlier run or a page load), which proves \
                     the limit as well as a 200 followed by a 429.",
                )
            } else {
                headers_failure("The first request got 429, but", &problems)
            };
            quota_evidence(outcome, "first answer", first)
        }
        200 => {
            let problems = rate_limit_problems(first);
            if problems.len() == RATE_LIMIT_HEADERS.len() {
                let outcome = Outcome::fail(
                    "200 without any X-RateLimit-* header: either no API quota applies to this \
                     route's service, or its Ingress lacks the configuration-snippet that copies \
                     Gafaelfawr's X-RateLimit-* headers to the answer.",
                );
                return quota_evidence(outcome, "first answer", first);
            }
            if !problems.is_empty() {
                let outcome = headers_failure("The first answer is 200, but", &problems);
                return quota_evidence(outcome, "first answer", first);
            }
            let second = match answered(&exchanges[1]) {
                Ok(response) => response,
                Err(outcome) => return quota_evidence(*outcome, "first answer", first),
            };
            let outcome = match second.status {
                429 => {
                    let problems = limited_problems(second);
                    if problems.is_empty() {
                        Outcome::pass(
                            "200 with X-RateLimit-* headers, then 429 with Retry-After and the \
                             same headers.",
                        )
                    } else {
                        headers_failure("The second request got 429, but", &problems)
                    }
                }
                200 if window_rolled_over(first, second) => Outcome::warn(
                    "Both requests got 200, but the second opened a new one-minute window \
                     (its X-RateLimit-Reset is later and X-RateLimit-Used is 1 again), so the \
                     429 could not be seen: run the checks again.",
                )
                .fix(
                    Component::Gafaelfawr,
                    "Nothing to fix if the next run passes: the two requests straddled the \
                     start of a minute.",
                ),
                200 => match second
                    .header("x-ratelimit-limit")
                    .and_then(|limit| limit.trim().parse::<u64>().ok())
                {
                    Some(limit) if limit > 1 => Outcome::fail(format!(
                        "Both requests got 200: the quota is {limit} requests a minute, not 1, \
                         so two requests cannot use it up."
                    ))
                    .fix(
                        Component::Gafaelfawr,
                        "Give this route's service a quota of 1 in Gafaelfawr: \
                         config.quota.default.api.<service>: 1, where <service> is the chart's \
                         config.quotaService (muster-quota by default).",
                    ),
                    _ => Outcome::fail(
                        "Two requests within the minute both got 200: the quota is announced \
                         but not enforced.",
                    ),
                },
                403 => Outcome::fail(
                    "The second request got a bare 403 instead of 429: the quota works, but \
                     ingress-nginx does not turn Gafaelfawr's rate-limit answer into 429.",
                )
                .fix(
                    Component::IngressNginx,
                    "Add Phalanx's @autherror location, whose 429 branch returns Retry-After \
                     and the X-RateLimit-* headers, and error_page 403 = @autherror.",
                ),
                _ => unless_ingress_failed(
                    Outcome::fail(format!(
                        "The second request got {}, not 429.",
                        second.describe()
                    )),
                    second,
                ),
            };
            let outcome = quota_evidence(outcome, "first answer", first);
            quota_evidence(outcome, "second answer", second)
        }
        403 => quota_evidence(
            Outcome::fail(
                "A bare 403: the quota may work, but ingress-nginx does not turn Gafaelfawr's \
                 rate-limit answer into 429.",
            )
            .fix(
                Component::IngressNginx,
                "Add Phalanx's @autherror location, whose 429 branch returns Retry-After and \
                 the X-RateLimit-* headers, and error_page 403 = @autherror.",
            ),
            "first answer",
            first,
        ),
        _ => quota_evidence(
            unless_ingress_failed(
                Outcome::fail(format!("The first request got {}.", first.describe())),
                first,
            ),
            "first answer",
            first,
        ),
    }
}

/// `upstream.client_answers`: the upstream-compatible answers of the auth
/// and delegated routes (requests in the order auth/fail, auth/redirect,
/// delegated/header, delegated/authorization), as mobu's Muster business
/// checks them: all 200; both auth bodies `{"username"[, "email"]}` and
/// equal; both delegated bodies the same user-info for the same user; and
/// exactly [`ProbeContext::expected_user`] when the client knows it.
pub fn upstream_client_answers(exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    const ROUTES: [Route; 4] = [
        Route::AuthFail,
        Route::AuthRedirect,
        Route::DelegatedHeader,
        Route::DelegatedAuthorization,
    ];
    let mut bodies = Vec::new();
    for (exchange, route) in exchanges.iter().zip(ROUTES) {
        let response = match answered(exchange) {
            Ok(response) => response,
            Err(outcome) => return *outcome,
        };
        if let Some(outcome) = refused(response, context) {
            return outcome;
        }
        let body = shorten(&response.body);
        match (response.status, response.json()) {
            (200, Some(json)) => bodies.push((json, body)),
            _ => {
                let outcome = Outcome::fail(format!(
                    "{} answered {} with {body}, not 200 with its upstream body.",
                    route.path(),
                    response.describe()
                ))
                .evidence(route.path(), format!("{} {body}", response.describe()));
                return unless_ingress_failed(outcome, response);
            }
        }
    }
    // Bodies are shown as they came (shortened), not re-serialised.
    let shown = |(_, text): &(serde_json::Value, String)| text.clone();
    let mut outcome = Outcome::pass("");
    for (route, body) in ROUTES.iter().zip(&bodies) {
        outcome = outcome.evidence(route.path(), shown(body));
    }
    let fail = |outcome: Outcome, observed: String| Outcome {
        status: Status::Fail,
        observed,
        ..outcome
    };
    let auth = match AuthInfo::exactly(&bodies[0].0) {
        Ok(auth) => auth,
        Err(difference) => {
            let observed = format!(
                "auth/fail answered {}, not exactly {{\"username\"}} (plus \"email\" when the \
                 user has one): {difference}.",
                shown(&bodies[0])
            );
            return fail(outcome, observed);
        }
    };
    if bodies[1].0 != bodies[0].0 {
        let observed = format!(
            "auth/redirect answered {}, but auth/fail {}: the same user must get the same answer.",
            shown(&bodies[1]),
            shown(&bodies[0])
        );
        return fail(outcome, observed);
    }
    let delegated = match DelegatedUserInfo::exactly(&bodies[2].0) {
        Ok(delegated) => delegated,
        Err(difference) => {
            let observed = format!(
                "delegated/header answered {}, not Gafaelfawr's user-info without quota: \
                 {difference}.",
                shown(&bodies[2])
            );
            return fail(outcome, observed);
        }
    };
    if bodies[3].0 != bodies[2].0 {
        let observed = format!(
            "delegated/authorization answered {}, but delegated/header {}: both must give the \
             same user-info.",
            shown(&bodies[3]),
            shown(&bodies[2])
        );
        return fail(outcome, observed);
    }
    if (&delegated.username, &delegated.email) != (&auth.username, &auth.email) {
        let observed = format!(
            "The delegated routes name {} but the auth routes {}.",
            shown(&bodies[2]),
            shown(&bodies[0])
        );
        return fail(outcome, observed);
    }
    if let Some(expected) = &context.expected_user {
        let expected_auth = AuthInfo {
            username: expected.username.clone(),
            email: expected.email.clone(),
        };
        if auth != expected_auth {
            let observed = format!(
                "The auth routes answered {}, not {} (the token's user).",
                shown(&bodies[0]),
                shorten(&json_text(&expected_auth))
            );
            return fail(outcome, observed);
        }
        if &delegated != expected {
            let observed = format!(
                "The delegated routes answered {}, not {} (the token's user, as minted).",
                shown(&bodies[2]),
                shorten(&json_text(expected))
            );
            return fail(outcome, observed);
        }
    }
    outcome.observed = format!(
        "auth/fail and auth/redirect answered {{\"username\": \"{}\"…}}, and both delegated \
         routes the same user-info{}.",
        auth.username,
        if context.expected_user.is_some() {
            ", exactly the token's user as minted"
        } else {
            ""
        }
    );
    outcome
}

/// An upstream body as JSON text, for messages.
fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// True when `second` was counted in a later quota window than `first`:
/// two requests that straddle the start of a minute both get 200.
fn window_rolled_over(first: &ResponseSeen, second: &ResponseSeen) -> bool {
    let number = |response: &ResponseSeen, name: &str| {
        response
            .header(name)
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    match (
        number(first, "x-ratelimit-reset"),
        number(second, "x-ratelimit-reset"),
    ) {
        (Some(first_reset), Some(second_reset)) => {
            second_reset > first_reset && number(second, "x-ratelimit-used") == Some(1)
        }
        _ => false,
    }
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

/// The response, or the outcome for an exchange that yields nothing to
/// judge: no response at all (fail), or a 404 not from Muster (skip).
fn answered(exchange: &Exchange) -> Result<&ResponseSeen, Box<Outcome>> {
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
fn is_musters(response: &ResponseSeen) -> bool {
    ErrorBody::read(response.body.as_bytes()).is_some()
}

/// The outcome for a refusal of the user's own credentials, which says
/// something about the account, not the platform; `None` otherwise.
fn refused(response: &ResponseSeen, context: &ProbeContext) -> Option<Outcome> {
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
        return None;
    };
    Some(with_response_evidence(
        outcome,
        response,
        &["www-authenticate", "location"],
    ))
}

/// The full report of `route` fetched with the user's credentials, folded
/// into one outcome.
fn route_report(route: Route, exchanges: &[Exchange], context: &ProbeContext) -> Outcome {
    let exchange = &exchanges[0];
    let response = match answered(exchange) {
        Ok(response) => response,
        Err(outcome) => return *outcome,
    };
    if let Some(outcome) = refused(response, context) {
        return outcome;
    }
    match expect_report(exchange, response, route) {
        Ok(report) => fold_report(&report),
        Err(outcome) => *outcome,
    }
}

/// The server's report in a 200 answer, or why there is none.
fn expect_report(
    exchange: &Exchange,
    response: &ResponseSeen,
    route: Route,
) -> Result<RouteReport, Box<Outcome>> {
    if response.status != 200 {
        let outcome = Outcome::fail(format!(
            "{} answered {} instead of Muster's report.",
            route.path(),
            response.describe()
        ));
        let (component, hint) = not_a_report(response);
        let outcome = outcome.fix(component, hint);
        let outcome = with_response_evidence(outcome, response, &["www-authenticate"]);
        return Err(Box::new(outcome.evidence("body", shorten(&response.body))));
    }
    let outcome = match exchange.route_report() {
        Some(report) if report.route == route => return Ok(report),
        Some(report) => Outcome::fail(format!(
            "The answer is Muster's report for {}, not {}.",
            report.route.path(),
            route.path()
        ))
        .fix(
            Component::GafaelfawrIngress,
            "Check the paths of Muster's GafaelfawrIngresses.",
        ),
        None => Outcome::fail(format!(
            "200, but the body is not a Muster report{}.",
            if response.body_truncated {
                " (it was cut)"
            } else {
                ""
            }
        ))
        .evidence("body", shorten(&response.body))
        .fix(
            Component::MusterConfiguration,
            "Check that this path reaches a current Muster (which answers ?report=true with \
             its report) and not another service.",
        ),
    };
    Err(Box::new(outcome))
}

/// What to fix when Muster cannot have answered an authenticated request.
const MUSTER_UNREACHABLE: &str = "ingress-nginx could not get an answer from Muster: check the \
     Muster pod, its Service (port 8080) and its NetworkPolicy, which admits only pods labelled \
     gafaelfawr.lsst.io/ingress: \"true\" (ingress-nginx's).";

/// The component and fix for an answer ingress-nginx made itself instead
/// of passing on Muster's: its own 500 (not JSON) when Gafaelfawr's auth
/// subrequest failed, or 502-504 when it could not reach Muster. `None`
/// for any other answer.
fn ingress_failure(response: &ResponseSeen) -> Option<(Component, &'static str)> {
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

/// Where to look when a route answered something other than Muster's
/// report: ingress-nginx's own failures, a refusal at the ingress, or a
/// Muster that does not know the route.
fn not_a_report(response: &ResponseSeen) -> (Component, &'static str) {
    if let Some(found) = ingress_failure(response) {
        return found;
    }
    match response.status {
        401 | 403 => (
            Component::GafaelfawrIngress,
            "Gafaelfawr refused this request at the ingress. The anonymous route's \
             GafaelfawrIngress must be scopes: {anonymous: true}; an authenticated route's must \
             only require scopes.all: [config.scope].",
        ),
        404 if is_musters(response) => (
            Component::MusterConfiguration,
            "Muster answered 404: this Muster version does not know the route. Deploy a current \
             Muster image.",
        ),
        _ => (
            Component::IngressNginx,
            "Something other than Muster answered this path: compare the copy-as-curl line's \
             answer with the ingress rules for the path.",
        ),
    }
}

/// `outcome` with [`ingress_failure`]'s fix when `response` is such an
/// answer; unchanged (the probe's own hint applies) otherwise.
fn unless_ingress_failed(outcome: Outcome, response: &ResponseSeen) -> Outcome {
    match ingress_failure(response) {
        Some((component, hint)) => outcome.fix(component, hint),
        None => outcome,
    }
}

/// One outcome for a server report: its status; for a problem, the first
/// such server check's observation, evidence and fix.
fn fold_report(report: &RouteReport) -> Outcome {
    let total = report.checks.len();
    let count = |status: Status| report.checks.iter().filter(|c| c.status == status).count();
    let summary = format!(
        "{total} run: {} pass, {} warn, {} fail, {} skipped (Muster {})",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skip),
        report.muster_version
    );
    let worst = report.checks.iter().find(|c| c.status == report.status);
    let (Some(check), Status::Warn | Status::Fail) = (worst, report.status) else {
        return Outcome::pass(format!(
            "All of Muster's server-side checks of {} passed.",
            report.route.path()
        ))
        .evidence("server checks", summary);
    };
    let others: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == report.status && c.id != check.id)
        .map(|c| c.id.as_str())
        .collect();
    // Said as a verdict on the server check, so that its title (a claim,
    // e.g. "The user has a UID") is not read as what was seen.
    let verb = if report.status == Status::Fail {
        "failed"
    } else {
        "warned"
    };
    let more = match others.len() {
        0 => String::new(),
        n => format!(
            " ({n} more server check{} {verb}: {})",
            if n == 1 { "" } else { "s" },
            others.join(", ")
        ),
    };
    let observed = format!(
        "Muster's check \"{}\" {verb}: {}{more}",
        check.title, check.observed
    );
    let mut outcome = if report.status == Status::Fail {
        Outcome::fail(observed)
    } else {
        Outcome::warn(observed)
    };
    outcome.evidence = check.evidence.clone();
    outcome.fix = check.fix.clone();
    outcome
        .evidence("server check", check.id.clone())
        .evidence("server checks", summary)
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

/// Problems with the rate-limit headers of a response.
fn rate_limit_problems(response: &ResponseSeen) -> Vec<String> {
    let mut problems = Vec::new();
    for name in RATE_LIMIT_HEADERS {
        let shown = header_name(name);
        match response.header(name).map(str::trim) {
            None | Some("") => problems.push(format!("{shown} is missing")),
            Some(value) if name != "x-ratelimit-resource" && value.parse::<u64>().is_err() => {
                problems.push(format!("{shown} is not a number ({value})"))
            }
            Some(_) => {}
        }
    }
    problems
}

/// Problems with a 429: its rate-limit headers and `Retry-After`.
fn limited_problems(response: &ResponseSeen) -> Vec<String> {
    let mut problems = rate_limit_problems(response);
    if response.header("retry-after").is_none_or(str::is_empty) {
        problems.push("Retry-After is missing".to_owned());
    }
    problems
}

fn headers_failure(start: &str, problems: &[String]) -> Outcome {
    Outcome::fail(format!("{start} {}.", problems.join(", "))).fix(
        Component::IngressNginx,
        "Gafaelfawr's configuration-snippet must add the five X-RateLimit-* headers to every \
         answer, and Phalanx's @autherror location must add them and Retry-After to the 429.",
    )
}

fn quota_evidence(outcome: Outcome, label: &str, response: &ResponseSeen) -> Outcome {
    let mut outcome = outcome.evidence(label, response.describe());
    for name in RATE_LIMIT_HEADERS.iter().copied().chain(["retry-after"]) {
        if let Some(value) = response.header(name) {
            outcome = outcome.evidence(format!("{label}: {}", header_name(name)), value);
        }
    }
    outcome
}

/// The usual spelling of a response header name (`X-RateLimit-Limit`).
fn header_name(name: &str) -> String {
    match name.strip_prefix("x-ratelimit-") {
        Some(rest) => format!("X-RateLimit-{}", display_name(rest)),
        None => display_name(name),
    }
}

/// Adds the status and the listed headers (or `(absent)`, or `(hidden by
/// the browser)` for an opaque redirect, whose headers a page cannot read)
/// as evidence.
fn with_response_evidence(outcome: Outcome, response: &ResponseSeen, headers: &[&str]) -> Outcome {
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
