//! What the routes serve between rounds: the metrics, the last round's
//! report, and whether the loop is alive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use muster_report::redact;

use super::metrics::Metrics;
use super::round::Round;

/// Beyond its deadline, how long a round may take (revoking its tokens,
/// recording it) before the loop counts as stuck.
const ROUND_GRACE: Duration = Duration::from_secs(30);

/// The last round's report, as `/report` serves it.
#[derive(Debug, Clone)]
pub enum Report {
    /// No round has finished yet.
    NoRoundYet,
    /// The last round checked: its run as `--format json` prints it, with
    /// its `share_url`.
    Checked(Arc<String>),
    /// The last round stopped before checking, for this reason.
    CouldNotRun(Arc<String>),
}

/// Shared by the loop (which writes) and the routes (which read).
#[derive(Debug)]
pub struct Latest {
    /// The metrics.
    pub metrics: Metrics,
    report: Mutex<Report>,
    alive: AtomicBool,
    round_started: Mutex<Option<Instant>>,
    /// Longest time a round may take before the loop counts as stuck.
    round_limit: Duration,
}

/// Marks the loop as stopped when dropped (its end, or a panic).
pub struct Alive<'a>(&'a Latest);

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::SeqCst);
    }
}

impl Latest {
    /// Nothing recorded yet; rounds end at `deadline`, and revoking their
    /// tokens takes at most `timeout`.
    pub fn new(deadline: Duration, timeout: Duration) -> Self {
        Self {
            metrics: Metrics::new(),
            report: Mutex::new(Report::NoRoundYet),
            alive: AtomicBool::new(false),
            round_started: Mutex::new(None),
            round_limit: deadline + timeout + ROUND_GRACE,
        }
    }

    /// The loop has started; it stops when the guard is dropped.
    pub fn loop_started(&self) -> Alive<'_> {
        self.alive.store(true, Ordering::SeqCst);
        Alive(self)
    }

    /// A round starts now.
    pub fn round_started(&self, at: Instant) {
        if let Ok(mut started) = self.round_started.lock() {
            *started = Some(at);
        }
    }

    /// Records a finished round; returns how many rounds have finished.
    pub fn record(&self, round: &Round) -> u64 {
        let report = match &round.finished {
            Some(finished) => Report::Checked(Arc::new(report_json(finished))),
            None => Report::CouldNotRun(Arc::new(round.messages.trim().to_owned())),
        };
        if let Ok(mut last) = self.report.lock() {
            *last = report;
        }
        if let Ok(mut started) = self.round_started.lock() {
            *started = None;
        }
        self.metrics.record(round)
    }

    /// The last round's report.
    pub fn report(&self) -> Report {
        self.report
            .lock()
            .map(|report| report.clone())
            .unwrap_or(Report::NoRoundYet)
    }

    /// Whether the loop runs and its current round (if any) is within its
    /// time: what `/healthz` answers.
    pub fn healthy(&self) -> bool {
        if !self.alive.load(Ordering::SeqCst) {
            return false;
        }
        let started = self.round_started.lock().map(|started| *started);
        match started {
            Ok(Some(at)) => at.elapsed() <= self.round_limit,
            Ok(None) => true,
            Err(_) => false,
        }
    }
}

/// The run as `--format json` prints it, with `share_url` added, the
/// run's secrets fingerprinted.
fn report_json(finished: &crate::Finished) -> String {
    let mut value = serde_json::to_value(&finished.run).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "share_url".to_owned(),
            serde_json::Value::String(finished.share_url.clone()),
        );
    }
    let json = serde_json::to_string_pretty(&value).unwrap_or_default();
    redact::secrets_in_text(&json, &finished.secrets)
}
