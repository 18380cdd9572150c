//! What every check says about itself, whether the server judges it on a
//! request it received or a client by probing: its id, title, what a pass
//! proves, and where to look when it does not pass. Both kinds of
//! definition ([`crate::received::catalogue::CheckDefinition`] and
//! [`crate::probe::ProbeDef`]) carry one, and turn an outcome into a
//! check through it.

use crate::model::{Check, Component, Fix, Status};
use crate::outcome::Outcome;

/// The description of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Description {
    /// Stable identifier, `<family>.<name>`.
    pub id: &'static str,
    /// Plain-language title.
    pub title: &'static str,
    /// What a pass proves, and why a deployer should care.
    pub proves: &'static str,
    /// Default component to fix when the check does not pass.
    pub component: Component,
    /// Default fix hint.
    pub hint: &'static str,
}

impl Description {
    /// The check `outcome` makes under this description. One rule for
    /// server checks and client probes alike: a fix the judgement chose is
    /// kept unless the check passed (e.g. a skip pointing at the user's
    /// account); a warning or failure without one gets the default.
    pub fn check(&self, outcome: Outcome) -> Check {
        let fix = match outcome.status {
            Status::Pass => None,
            Status::Warn | Status::Fail => outcome.fix.or_else(|| {
                Some(Fix {
                    component: self.component,
                    hint: self.hint.to_owned(),
                })
            }),
            Status::Skip => outcome.fix,
        };
        Check {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            proves: self.proves.to_owned(),
            status: outcome.status,
            observed: outcome.observed,
            evidence: outcome.evidence,
            fix,
            skip_reason: outcome.skip_reason,
        }
    }
}
