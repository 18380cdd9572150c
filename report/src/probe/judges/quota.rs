//! Judges of the quota route: a 1/min API quota shows as rate-limit
//! headers, then a 429 with `Retry-After`.

use super::{accepted, answered, header_name, unless_ingress_failed, Judgement};
use crate::model::Component;
use crate::outcome::Outcome;
use crate::probe::exchange::{Exchange, Received, ResponseSeen};
use crate::probe::ProbeContext;

/// The five rate-limit headers ingress-nginx copies from Gafaelfawr.
pub const RATE_LIMIT_HEADERS: [&str; 5] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
    "x-ratelimit-used",
];

/// `auth.quota`: 200 with rate-limit headers then 429 with `Retry-After`
/// and the same headers, or a 429 at once (the minute was already used),
/// which proves the limit just as well. When the first pair straddled the
/// start of a minute, a third request was made (see
/// [`quota_window_rolled_over`]) and the last two are judged.
pub fn quota(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    let (pair, repeated) = match exchanges {
        [_, pair @ ..] if pair.len() >= 2 => (pair, true),
        pair => (pair, false),
    };
    // The repeat is said whatever the last two got, an early outcome too.
    let outcome = judge_pair(pair, context).unwrap_or_else(|early| *early);
    if !repeated {
        return Ok(outcome);
    }
    Ok(outcome.evidence(
        "third request",
        "made because the first two straddled the start of a minute; the last two are judged",
    ))
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
fn judge_pair(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    let first = answered(exchanges.first())?;
    accepted(first, context)?;
    Ok(match first.status {
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
                return Ok(quota_evidence(outcome, "first answer", first));
            }
            if !problems.is_empty() {
                let outcome = headers_failure("The first answer is 200, but", &problems);
                return Ok(quota_evidence(outcome, "first answer", first));
            }
            let second = answered(exchanges.get(1))
                .map_err(|early| Box::new(quota_evidence(*early, "first answer", first)))?;
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
    })
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

/// One evidence line per answer: its status, then each rate-limit header
/// it carried (`X-RateLimit-Limit: 1, X-RateLimit-Remaining: 0, …`), so
/// that a share link carries the names once per answer.
fn quota_evidence(outcome: Outcome, label: &str, response: &ResponseSeen) -> Outcome {
    let headers: Vec<String> = RATE_LIMIT_HEADERS
        .iter()
        .copied()
        .chain(["retry-after"])
        .filter_map(|name| {
            let value = response.header(name)?;
            Some(format!("{}: {value}", header_name(name)))
        })
        .collect();
    let mut value = response.describe();
    if !headers.is_empty() {
        value = format!("{value}; {}", headers.join(", "));
    }
    outcome.evidence(label, value)
}
