//! API quotas: a fixed one-minute window per user and service, counted by
//! the auth subrequest as Gafaelfawr does.

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue};

/// Length of a quota window in seconds.
pub const WINDOW_SECONDS: u64 = 60;

/// The state of one user's quota for one service after a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests counted in the current window.
    pub used: u64,
    /// End of the current window, epoch seconds.
    pub reset: u64,
    /// The service the quota is for.
    pub resource: String,
}

impl RateLimit {
    /// Requests left in the current window.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Adds the five `X-RateLimit-*` headers to `headers`.
    pub fn add_headers(&self, headers: &mut HeaderMap) {
        let numbers = [
            ("x-ratelimit-limit", self.limit),
            ("x-ratelimit-remaining", self.remaining()),
            ("x-ratelimit-reset", self.reset),
            ("x-ratelimit-used", self.used),
        ];
        for (name, value) in numbers {
            headers.insert(name, HeaderValue::from(value));
        }
        if let Ok(resource) = HeaderValue::from_str(&self.resource) {
            headers.insert("x-ratelimit-resource", resource);
        }
    }
}

/// Request counts per user and service in their current window.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<(String, String), (u64, u64)>,
}

impl RateLimiter {
    /// Counts one request by `username` to `service` at `now` against
    /// `limit` per minute: `Ok` if it fits, `Err` (not counted) if the
    /// window is already full.
    pub fn hit(
        &mut self,
        username: &str,
        service: &str,
        limit: u64,
        now: u64,
    ) -> Result<RateLimit, RateLimit> {
        let start = now - now % WINDOW_SECONDS;
        let window = self
            .windows
            .entry((username.to_owned(), service.to_owned()))
            .or_insert((start, 0));
        if window.0 != start {
            *window = (start, 0);
        }
        let allowed = window.1 < limit;
        if allowed {
            window.1 += 1;
        }
        let state = RateLimit {
            limit,
            used: window.1,
            reset: start + WINDOW_SECONDS,
            resource: service.to_owned(),
        };
        if allowed {
            Ok(state)
        } else {
            Err(state)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_fills_then_refuses_then_resets() {
        let mut limiter = RateLimiter::default();
        let first = limiter.hit("u", "svc", 2, 120).expect("first fits");
        assert_eq!((first.used, first.remaining(), first.reset), (1, 1, 180));
        assert!(limiter.hit("u", "svc", 2, 150).is_ok());
        let refused = limiter.hit("u", "svc", 2, 179).expect_err("window full");
        assert_eq!((refused.used, refused.remaining()), (2, 0));
        assert!(limiter.hit("other", "svc", 2, 179).is_ok());
        assert_eq!(limiter.hit("u", "svc", 2, 180).map(|s| s.used), Ok(1));
    }
}
