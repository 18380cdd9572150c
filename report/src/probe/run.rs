//! A run: every probe's verdict and exchanges from one client at one time.
//! It is what the page renders, what `muster-check --format json` prints,
//! and what a share link carries (see `snapshot`).

use serde::{Deserialize, Serialize};

use crate::model::{Check, Status};
use crate::probe::{Client, ProbeResult};

/// One run of the probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Version of the Muster server probed (see [`Run::reported_version`]).
    pub muster_version: String,
    /// Origin probed, e.g. `https://data.example.org`.
    pub host: String,
    /// When the run started, in Unix seconds.
    pub started_at: u64,
    /// Who ran it.
    pub client: Client,
    /// The aggregate verdict (see [`Run::status_of`]).
    pub status: Status,
    /// Every probe's result, in catalogue order.
    pub probes: Vec<ProbeResult>,
}

impl Run {
    /// A run whose status is computed from `probes`.
    pub fn new(
        muster_version: impl Into<String>,
        host: impl Into<String>,
        started_at: u64,
        client: Client,
        probes: Vec<ProbeResult>,
    ) -> Self {
        Self {
            muster_version: muster_version.into(),
            host: host.into(),
            started_at,
            client,
            status: Self::status_of(&probes),
            probes,
        }
    }

    /// The verdict of a run: [`Status::of_group`] of its checks, so a run in
    /// which every probe was skipped checked nothing and is
    /// [`Status::Skip`] (the CLI reports that as "could not run").
    pub fn status_of(probes: &[ProbeResult]) -> Status {
        Status::of_group(probes.iter().map(|probe| probe.check.status))
    }

    /// Every check, in order.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.probes.iter().map(|probe| &probe.check)
    }

    /// True when a browser run found no session: the page then offers the
    /// login link (`probe::login_url`) instead of a verdict on those checks.
    pub fn needs_login(&self) -> bool {
        self.checks().any(Check::skipped_without_session)
    }

    /// True when some checks were skipped because the account (or token)
    /// lacks a scope their route requires: the page then says the problem
    /// is the account, not the platform.
    pub fn account_lacks_scope(&self) -> bool {
        self.checks().any(Check::skipped_for_account)
    }

    /// True when checks were skipped because of who ran them (no session,
    /// or an account without a route's scope): a pass then covers only the
    /// checks that could run, and must not read as a clean bill of health.
    pub fn partial(&self) -> bool {
        self.needs_login() || self.account_lacks_scope()
    }

    /// The Muster version named by the first server report among the
    /// exchanges, for clients that did not read it from `{prefix}/`.
    pub fn reported_version(probes: &[ProbeResult]) -> Option<String> {
        probes
            .iter()
            .flat_map(|probe| &probe.exchanges)
            .find_map(|exchange| exchange.route_report())
            .map(|report| report.muster_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::testing::{healthy_run, judge, prepared};
    use crate::probe::{probes, Exchange};

    #[test]
    fn healthy_runs_pass_for_both_clients() {
        for client in [Client::Cli, Client::Browser] {
            let run = healthy_run(client);
            for check in run.checks() {
                // A browser holds no token without the scope.
                let no_scope = ["auth.insufficient_scope", "auth.cache_scope"];
                let expected = if client == Client::Browser && no_scope.contains(&check.id.as_str())
                {
                    Status::Skip
                } else {
                    Status::Pass
                };
                assert_eq!(check.status, expected, "{client:?} {check:#?}");
            }
            assert_eq!(run.status, Status::Pass);
            assert!(!run.needs_login());
            assert_eq!(Run::reported_version(&run.probes).as_deref(), Some("1.2.3"));
        }
    }

    #[test]
    fn runs_round_trip_through_json() {
        let run = healthy_run(Client::Cli);
        let json = serde_json::to_string(&run).unwrap();
        assert_eq!(serde_json::from_str::<Run>(&json).unwrap(), run);
    }

    #[test]
    fn a_run_that_checked_nothing_is_skipped_not_passed() {
        let skipped = probes().iter().map(|probe| probe.skipped("no")).collect();
        let run = Run::new("1", "https://h", 0, Client::Cli, skipped);
        assert_eq!(run.status, Status::Skip);
    }

    #[test]
    fn a_logged_out_browser_needs_login() {
        let sent = prepared("auth.fail_route", Client::Browser);
        let exchange = Exchange::opaque_redirect(&sent[0], 3);
        let result = judge("auth.fail_route", vec![exchange], Client::Browser);
        let run = Run::new("1", "https://h", 0, Client::Browser, vec![result]);
        assert!(run.needs_login());
        assert!(run.partial());
        assert!(!run.account_lacks_scope());
        assert_eq!(run.status, Status::Skip);
    }

    #[test]
    fn an_account_without_the_route_scope_makes_the_run_partial() {
        let sent = prepared("auth.fail_route", Client::Browser);
        let challenge = "Bearer realm=\"h\", error=\"insufficient_scope\", scope=\"read:image\"";
        let exchange = Exchange::response(
            &sent[0],
            403,
            vec![("www-authenticate".to_owned(), challenge.to_owned())],
            b"",
            3,
        );
        let result = judge("auth.fail_route", vec![exchange], Client::Browser);
        let run = Run::new("1", "https://h", 0, Client::Browser, vec![result]);
        assert_eq!(run.status, Status::Skip);
        assert!(run.account_lacks_scope());
        assert!(run.partial());
        assert!(!run.needs_login());
        let healthy = healthy_run(Client::Browser);
        assert!(!healthy.account_lacks_scope() && !healthy.partial());
    }
}
