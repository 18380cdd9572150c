//! Judges of the auth cache on the cached route (`authCacheDuration`):
//! after a success the ingress has cached, each request that differs in its
//! credentials or its method must get Gafaelfawr's own verdict, never the
//! cached one. The cache key decides that, so a judge compares what each
//! later request got with what Gafaelfawr answers such a request.

use super::{accepted, answered, ingress_failure, Judgement};
use crate::outcome::Outcome;
use crate::probe::exchange::Exchange;
use crate::probe::ProbeContext;

/// What Gafaelfawr answers one of the later requests of a cache probe.
#[derive(Clone, Copy)]
enum Own {
    /// Exactly this status.
    Is(u16),
    /// Anything but this status: Gafaelfawr refuses an `OPTIONS` request
    /// that is no CORS preflight with 403 (or, with `allowOptions`, lets it
    /// through), but never with the 401 of a `GET` without credentials.
    Not(u16),
    /// The status later request number `index` (from 0, after the first)
    /// got: Gafaelfawr never authenticates an `OPTIONS`, so credentials do
    /// not change its answer unless the cache served a `GET`'s success.
    SameAs(usize),
}

impl Own {
    fn holds(self, status: u16, earlier: &[u16]) -> bool {
        match self {
            Own::Is(expected) => status == expected,
            Own::Not(refused) => status != refused,
            Own::SameAs(index) => earlier.get(index).is_none_or(|&other| status == other),
        }
    }

    fn describe(self, earlier: &[u16]) -> String {
        match self {
            Own::Is(expected) => expected.to_string(),
            Own::Not(refused) => format!("not {refused}"),
            Own::SameAs(index) => earlier.get(index).map_or_else(String::new, |other| {
                format!("{other}, as without credentials")
            }),
        }
    }
}

/// `auth.cache_isolation`: after a cached success with the user's
/// credentials, no credentials → 401, an unknown token → 401, an
/// `OPTIONS` without credentials does not get a `GET`'s 401, and one with
/// the user's credentials gets what it got without them, not the `GET`'s
/// cached success (a cache key without the method).
pub fn isolation(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    isolated(
        exchanges,
        context,
        &[Own::Is(401), Own::Is(401), Own::Not(401), Own::SameAs(2)],
    )
}

/// `auth.cache_scope`: after a cached success with the scoped token, the
/// token without the scope → 403.
pub fn scope(exchanges: &[Exchange], context: &ProbeContext) -> Judgement {
    isolated(exchanges, context, &[Own::Is(403)])
}

/// The first exchange must be a success Gafaelfawr granted (the entry the
/// cache holds); each later one, its own answer from `own`.
fn isolated(exchanges: &[Exchange], context: &ProbeContext, own: &[Own]) -> Judgement {
    let first = answered(exchanges.first())?;
    accepted(first, context)?;
    if let Some((component, hint)) = ingress_failure(first) {
        return Ok(Outcome::fail(format!(
            "The first request got {}, so there was no success to cache.",
            first.describe()
        ))
        .fix(component, hint));
    }
    let mut wrong = Vec::new();
    let mut seen = Vec::new();
    let mut statuses = Vec::new();
    for (index, own) in own.iter().enumerate() {
        let exchange = exchanges.get(index + 1);
        let response = answered(exchange)?;
        let request = exchange.map(|exchange| &exchange.request);
        let label = request.map_or_else(String::new, |sent| {
            format!(
                "{} ({})",
                sent.method,
                sent.credentials.describe(context.client)
            )
        });
        if !own.holds(response.status, &statuses) {
            wrong.push(format!(
                "{label} got {} instead of {}",
                response.describe(),
                own.describe(&statuses)
            ));
        }
        statuses.push(response.status);
        seen.push((label, response.describe()));
    }
    let mut outcome = if wrong.is_empty() {
        Outcome::pass("After a cached success, each other request got its own answer.")
    } else {
        Outcome::fail(format!(
            "After a cached success, {}: the auth cache answered them with another request's \
             verdict.",
            wrong.join("; ")
        ))
    };
    outcome = outcome.evidence("first request", first.describe());
    for (label, answer) in seen {
        outcome = outcome.evidence(label, answer);
    }
    Ok(outcome)
}
