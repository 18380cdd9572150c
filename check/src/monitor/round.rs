//! One finished round of the monitor, as the metrics, the report route
//! and the alerts read it.

use std::time::{Duration, SystemTime};

use crate::{Exit, Finished};

/// One finished round, as the metrics, the report route and the alerts
/// see it.
pub struct Round {
    /// How the round ended (a single run's exit code).
    pub exit: Exit,
    /// When it started.
    pub started: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// The run, unless the round stopped before checking.
    pub finished: Option<Finished>,
    /// What the round said on stderr (already redacted and escaped): why
    /// it could not run, when it could not.
    pub messages: String,
}

impl Round {
    /// The verdict's label: `pass`, `fail` or `could_not_run`.
    pub fn verdict(&self) -> &'static str {
        match self.exit {
            Exit::Pass => "pass",
            Exit::Failed => "fail",
            Exit::CouldNotRun => "could_not_run",
        }
    }
}
