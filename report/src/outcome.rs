//! What a check function returns: its verdict and explanation, before the
//! catalogue adds the check's id, title and default fix.

use crate::model::{Component, Evidence, Fix, SkipReason, Status};
use crate::received::observed::{redacted_value, RequestSeen};
use crate::received::upstream::UpstreamFailure;
use crate::text::display_name;

/// The result of judging one check against observed facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict.
    pub status: Status,
    /// One sentence saying what was seen.
    pub observed: String,
    /// The facts behind the verdict, redacted.
    pub evidence: Vec<Evidence>,
    /// A fix more precise than the catalogue's default (e.g. one per cause
    /// of a failed call); used only when the check does not pass.
    pub fix: Option<Fix>,
    /// How this failure shows in the upstream-compatible representation;
    /// only read when the check fails.
    pub upstream: Option<UpstreamFailure>,
    /// Why the check was skipped, when a reader acts on the reason.
    pub skip_reason: Option<SkipReason>,
}

impl Outcome {
    fn new(status: Status, observed: impl Into<String>) -> Self {
        Self {
            status,
            observed: observed.into(),
            evidence: Vec::new(),
            fix: None,
            upstream: None,
            skip_reason: None,
        }
    }

    /// The check holds.
    pub fn pass(observed: impl Into<String>) -> Self {
        Self::new(Status::Pass, observed)
    }

    /// Works, with a caveat.
    pub fn warn(observed: impl Into<String>) -> Self {
        Self::new(Status::Warn, observed)
    }

    /// The check does not hold.
    pub fn fail(observed: impl Into<String>) -> Self {
        Self::new(Status::Fail, observed)
    }

    /// Not evaluated; `observed` says why.
    pub fn skip(observed: impl Into<String>) -> Self {
        Self::new(Status::Skip, observed)
    }

    /// Not evaluated, for a `reason` a reader acts on; `observed` is its
    /// sentence.
    pub fn skip_because(reason: SkipReason) -> Self {
        let mut outcome = Self::new(Status::Skip, reason.sentence());
        outcome.skip_reason = Some(reason);
        outcome
    }

    /// Adds one fact; `value` must already be safe to show.
    pub fn evidence(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.evidence.push(Evidence::new(name, value));
        self
    }

    /// Adds every value of header `name` (lower-case) as the request carried
    /// it, redacted, or `(absent)`.
    pub fn header_evidence(mut self, request: &RequestSeen, name: &str) -> Self {
        let shown = display_name(name);
        let mut any = false;
        for value in request.all(name) {
            any = true;
            let text = if value.is_empty() {
                "(empty)".to_owned()
            } else {
                redacted_value(name, value)
            };
            self.evidence.push(Evidence::new(shown.clone(), text));
        }
        if !any {
            self.evidence.push(Evidence::new(shown, "(absent)"));
        }
        self
    }

    /// Points the fix at `component` with `hint`, overriding the default.
    pub fn fix(mut self, component: Component, hint: impl Into<String>) -> Self {
        self.fix = Some(Fix {
            component,
            hint: hint.into(),
        });
        self
    }

    /// Says how this failure shows upstream.
    pub fn upstream(mut self, failure: UpstreamFailure) -> Self {
        self.upstream = Some(failure);
        self
    }
}
