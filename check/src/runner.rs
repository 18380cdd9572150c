//! The generic probe runner: walks a list of [`ProbeDef`]s, makes each
//! one's requests in order, records them and lets the probe judge. It knows
//! nothing about any particular probe, so new probes (and later modes, such
//! as Argo CD health or periodic runs) only add entries to the list.

use std::time::Duration;

use muster_report::probe::{Client, ProbeContext, ProbeDef, ProbeResult, Tokens};
use reqwest::Client as HttpClient;

use crate::http;

/// What the runner reports while it works.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Probe `index` (from 0) of `total` starts.
    Started {
        /// Its position.
        index: usize,
        /// How many probes the run has.
        total: usize,
        /// The probe.
        probe: &'a ProbeDef,
    },
    /// Probe `index` of `total` is judged.
    Finished {
        /// Its position.
        index: usize,
        /// How many probes the run has.
        total: usize,
        /// Its result.
        result: &'a ProbeResult,
    },
}

/// Where and how to run probes.
pub struct Runner<'a> {
    /// The HTTP client (no redirects, timeouts set).
    pub http: &'a HttpClient,
    /// Muster's base URL, e.g. `https://host/muster`.
    pub base: &'a str,
    /// The home page's path on the same host, e.g. `/`.
    pub home_path: &'a str,
    /// The tokens to prepare requests with.
    pub tokens: &'a Tokens,
    /// What the judges know besides the exchanges.
    pub context: &'a ProbeContext,
    /// Total time allowed per request.
    pub timeout: Duration,
    /// The client's own reading of the host's certificate fails: send
    /// nothing (see `ProbeDef::blocked_by_certificate`).
    pub blocked: bool,
}

impl Runner<'_> {
    /// Runs `probes` one after the other (some, like the quota probe,
    /// depend on the order of their requests) — or, when the client's own
    /// reading of the host's certificate fails, none of their requests
    /// (see `ProbeDef::blocked_by_certificate`) — reporting progress and
    /// adding each result to `results` as it is judged — so that a run
    /// stopped half-way (this future dropped) keeps what it finished.
    pub async fn run(
        &self,
        probes: &[&ProbeDef],
        results: &mut Vec<ProbeResult>,
        mut progress: impl FnMut(Progress<'_>),
    ) {
        let total = probes.len();
        results.reserve(total);
        for (index, &probe) in probes.iter().enumerate() {
            progress(Progress::Started {
                index,
                total,
                probe,
            });
            let result = match probe.prepare_with_home(
                self.base,
                self.home_path,
                Client::Cli,
                self.tokens,
            ) {
                _ if self.blocked => probe.blocked_by_certificate(self.context),
                Ok(requests) => {
                    let exchanges = probe
                        .send_in_order(&requests, |request| {
                            http::exchange(self.http, request, self.timeout)
                        })
                        .await;
                    probe.result(exchanges, self.context)
                }
                Err(reason) => probe.skipped(&reason),
            };
            progress(Progress::Finished {
                index,
                total,
                result: &result,
            });
            results.push(result);
        }
    }
}
