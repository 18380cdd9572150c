//! Runs the probe catalogue from the browser: every probe at once (a
//! probe's own requests, like the quota's pair, in order), each result
//! landing in its own signal so the checklist fills in as answers arrive.
//! The verdicts are the catalogue's judges'; this module only sends and
//! collects.

use leptos::prelude::*;
use leptos::task::spawn_local;
use muster_report::model::Check;
use muster_report::probe::run::Run;
use muster_report::probe::{probes, Client, ProbeContext, ProbeDef, ProbeResult, Tokens};

use crate::fetch;
use crate::place::Place;
use crate::Index;

/// One probe and, once it has run, its result.
#[derive(Clone, Copy)]
pub struct Slot {
    /// The probe.
    pub probe: &'static ProbeDef,
    /// Its result; `None` while it runs.
    pub result: RwSignal<Option<ProbeResult>>,
}

/// A run in progress.
#[derive(Clone, Copy)]
pub struct Runner {
    /// Every probe, in catalogue order.
    pub slots: StoredValue<Vec<Slot>>,
    /// Muster's index (name and version), once fetched.
    pub index: RwSignal<Option<Result<Index, String>>>,
    /// How many probes have finished.
    pub done: Memo<usize>,
    /// The whole run, once every probe has finished.
    pub run: Memo<Option<Run>>,
    /// Whether a finished probe was skipped for want of a session: known
    /// from the first such answer, so the login notice need not wait for
    /// the slowest probe.
    pub needs_login: Memo<bool>,
    /// Whether a finished probe was skipped because the account lacks its
    /// route's scope (known as early, for the same reason).
    pub lacks_scope: Memo<bool>,
}

impl Runner {
    /// Starts every probe against `place.base`.
    pub fn start(place: &Place) -> Runner {
        let started_at = (js_sys::Date::now() / 1000.0) as u64;
        // The run's version comes from the index, and the verdict waits for
        // it: ask first, before the probes fill the browser's connections.
        let index = crate::load_index();
        let slots: Vec<Slot> = probes()
            .iter()
            .map(|probe| Slot {
                probe,
                result: RwSignal::new(None),
            })
            .collect();
        // The browser sends a few requests per host at a time, so the probes
        // whose requests must follow one another start first (they are the
        // run's critical path), then those with the most requests. Picked
        // in that order rather than sorted: a sort links ~10 KB of code into
        // the wasm to order fourteen items.
        let most = slots
            .iter()
            .map(|slot| slot.probe.requests.len())
            .max()
            .unwrap_or(0);
        let chains = slots.iter().filter(|slot| slot.probe.in_order);
        let by_requests = (0..=most).rev().flat_map(|count| {
            slots
                .iter()
                .filter(move |slot| !slot.probe.in_order && slot.probe.requests.len() == count)
        });
        for &slot in chains.chain(by_requests) {
            let base = place.base.clone();
            spawn_local(async move {
                slot.result.set(Some(run_probe(slot.probe, &base).await));
            });
        }
        let slots = StoredValue::new(slots);
        let done = Memo::new(move |_| {
            slots.with_value(|slots| {
                slots
                    .iter()
                    .filter(|slot| slot.result.with(Option::is_some))
                    .count()
            })
        });
        let host = place.origin.clone();
        let run = Memo::new(move |_| {
            // Nothing is cloned until every probe has its result.
            if done.get() < slots.with_value(Vec::len) {
                return None;
            }
            let results: Vec<ProbeResult> = slots.with_value(|slots| {
                slots
                    .iter()
                    .map(|slot| slot.result.get_untracked())
                    .collect::<Option<_>>()
            })?;
            let version = match index.get()? {
                Ok(index) => index.metadata.version,
                Err(_) => Run::reported_version(&results).unwrap_or_else(|| "unknown".to_owned()),
            };
            Some(Run::new(
                version,
                host.clone(),
                started_at,
                Client::Browser,
                results,
            ))
        });
        Runner {
            slots,
            index,
            done,
            run,
            needs_login: any_finished(slots, Check::skipped_without_session),
            lacks_scope: any_finished(slots, Check::skipped_for_account),
        }
    }

    /// How many probes there are.
    pub fn total(&self) -> usize {
        self.slots.with_value(Vec::len)
    }
}

/// Whether any probe finished so far has a check for which `test` holds.
fn any_finished(slots: StoredValue<Vec<Slot>>, test: fn(&Check) -> bool) -> Memo<bool> {
    Memo::new(move |_| {
        slots.with_value(|slots| {
            slots.iter().any(|slot| {
                slot.result
                    .with(|result| result.as_ref().is_some_and(|result| test(&result.check)))
            })
        })
    })
}

/// Makes `probe`'s requests — one after another when the probe says they
/// depend on each other, all at once otherwise — and judges them.
async fn run_probe(probe: &'static ProbeDef, base: &str) -> ProbeResult {
    let requests = match probe.prepare(base, Client::Browser, &Tokens::default()) {
        Ok(requests) => requests,
        Err(reason) => return probe.skipped(&reason),
    };
    let exchanges = if probe.in_order {
        probe.send_in_order(&requests, fetch::send).await
    } else {
        futures::future::join_all(requests.iter().map(fetch::send)).await
    };
    probe.result(exchanges, &ProbeContext::new(Client::Browser))
}
