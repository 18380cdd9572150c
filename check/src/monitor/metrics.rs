//! The monitor's metrics, in Prometheus' (OpenMetrics) text format through
//! `prometheus-client`:
//!
//! - `muster_check_status{check, status}`: per check of the last round
//!   that checked, 1 for its status and 0 for the other three (`pass`,
//!   `warn`, `fail`, `skip`); no series after a round that could not
//!   check, so that no stale verdict stays;
//! - `muster_check_round_duration_seconds`: the last round's duration;
//! - `muster_check_last_round_timestamp_seconds`: when the last round
//!   started (Unix time);
//! - `muster_check_last_success_timestamp_seconds`: when the last passing
//!   round started;
//! - `muster_check_rounds_total{verdict}`: rounds by verdict (`pass`,
//!   `fail`, `could_not_run`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use muster_report::Status;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::round::Round;

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The labels of `muster_check_status`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CheckLabels {
    check: String,
    status: String,
}

/// The labels of `muster_check_rounds_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    verdict: String,
}

/// The metrics and the registry that writes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    status: Family<CheckLabels, Gauge>,
    duration: Gauge<f64, AtomicU64>,
    last_round: Gauge<f64, AtomicU64>,
    last_success: Gauge<f64, AtomicU64>,
    rounds: Family<VerdictLabels, Counter>,
    finished: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric registered, none observed.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let status = Family::<CheckLabels, Gauge>::default();
        let duration = Gauge::<f64, AtomicU64>::default();
        let last_round = Gauge::<f64, AtomicU64>::default();
        let last_success = Gauge::<f64, AtomicU64>::default();
        let rounds = Family::<VerdictLabels, Counter>::default();
        registry.register(
            "muster_check_status",
            "1 for the status (pass, warn, fail, skip) each check had in the last round that checked, 0 for the others",
            status.clone(),
        );
        registry.register(
            "muster_check_round_duration_seconds",
            "How long the last round took",
            duration.clone(),
        );
        registry.register(
            "muster_check_last_round_timestamp_seconds",
            "When the last round started (Unix time)",
            last_round.clone(),
        );
        registry.register(
            "muster_check_last_success_timestamp_seconds",
            "When the last round that passed started (Unix time)",
            last_success.clone(),
        );
        registry.register(
            "muster_check_rounds",
            "Rounds finished, by verdict (pass, fail, could_not_run)",
            rounds.clone(),
        );
        // Every verdict from the start, so that rate() sees the first one.
        for verdict in ["pass", "fail", "could_not_run"] {
            let _ = rounds.get_or_create(&VerdictLabels {
                verdict: verdict.to_owned(),
            });
        }
        Self {
            registry,
            status,
            duration,
            last_round,
            last_success,
            rounds,
            finished: AtomicU64::new(0),
        }
    }

    /// Records a finished round; returns how many rounds have finished.
    pub fn record(&self, round: &Round) -> u64 {
        let started = round
            .started
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        self.status.clear();
        if let Some(finished) = &round.finished {
            for probe in &finished.run.probes {
                for status in Status::ALL {
                    let labels = CheckLabels {
                        check: probe.check.id.clone(),
                        status: status.as_str().to_owned(),
                    };
                    let value = i64::from(probe.check.status == status);
                    self.status.get_or_create(&labels).set(value);
                }
            }
        }
        self.duration.set(round.duration.as_secs_f64());
        self.last_round.set(started);
        if round.verdict() == "pass" {
            self.last_success.set(started);
        }
        self.rounds
            .get_or_create(&VerdictLabels {
                verdict: round.verdict().to_owned(),
            })
            .inc();
        self.finished.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The metrics in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
