//! The installation around Muster, as Argo CD reports it: the rows of the
//! Argo CD applications, and `--wait`, which polls until every application
//! is Healthy and Synced and Muster answers its index, as an installer does
//! right after a sync.

use std::io::Write;
use std::time::{Duration, Instant};

use muster_report::argocd::{found_source_failed, judge, none_listed, not_checked, progress};
use muster_report::Check;

use crate::argocd::{list, Source, SourceError};
use crate::args::{ArgoCd, Options};
use crate::output;
use crate::terminal;
use crate::tokens::{read_token_file, TokenError};

/// How often `--wait` looks again.
const WAIT_POLL: Duration = Duration::from_secs(2);

/// Where Argo CD's applications come from in this run, or why they are
/// not checked.
pub struct Installation {
    argocd: Result<Source, String>,
    token: Option<String>,
    /// Whether a failure to list ends the run (see [`ArgoCd::Source`]).
    required: bool,
}

impl Installation {
    /// The run's Argo CD source, its token read from its file if one was
    /// given.
    pub fn of(options: &Options) -> Result<Self, TokenError> {
        match &options.argocd {
            ArgoCd::NotChecked(reason) => Ok(Self {
                argocd: Err(reason.clone()),
                token: None,
                required: false,
            }),
            ArgoCd::Source {
                source,
                token_file,
                required,
            } => {
                let mut source = source.clone();
                let mut secret = None;
                if let Source::ArgoCd { token, .. } = &mut source {
                    if let Some(path) = token_file {
                        *token = read_token_file(path)?;
                    }
                    secret = Some(token.clone());
                }
                Ok(Self {
                    argocd: Ok(source),
                    token: secret,
                    required: *required,
                })
            }
        }
    }

    /// Secrets to keep out of messages.
    pub fn secrets(&self) -> Vec<String> {
        self.token.iter().cloned().collect()
    }

    /// One row per application, or the one row saying why none was
    /// judged. A source that refuses or cannot be reached is an error: the
    /// run cannot say whether the installation works.
    pub async fn rows(
        &self,
        timeout: Duration,
        waited: Option<u64>,
    ) -> Result<Vec<Check>, SourceError> {
        let source = match &self.argocd {
            Ok(source) => source,
            Err(reason) => return Ok(vec![not_checked(reason)]),
        };
        let apps = match list(source, timeout).await {
            Ok(apps) => apps,
            Err(error) if !self.required => {
                return Ok(vec![found_source_failed(&error.to_string())])
            }
            Err(error) => return Err(error),
        };
        if apps.is_empty() {
            return Ok(vec![none_listed(&source.describe())]);
        }
        Ok(apps.iter().map(|app| judge(app, waited)).collect())
    }

    /// Polls until every application is Healthy and Synced and Muster at
    /// `base` answers its index, or `wait` has passed; writes a line to
    /// `progress` whenever the state changes. Returns the seconds waited.
    /// A source that refuses (401, 403, a malformed answer) ends the wait
    /// at once; one that cannot be reached is tried again until the end.
    pub async fn wait(
        &self,
        client: &reqwest::Client,
        base: &str,
        wait: Duration,
        timeout: Duration,
        progress_to: &mut dyn Write,
    ) -> Result<u64, SourceError> {
        let started = Instant::now();
        let mut ticks = tokio::time::interval(WAIT_POLL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shown = String::new();
        loop {
            ticks.tick().await;
            let left = wait.saturating_sub(started.elapsed());
            let per_request = timeout.min(left.max(Duration::from_secs(1)));
            let (mut line, apps_ready) = match &self.argocd {
                Err(_) => (String::new(), true),
                Ok(source) => match list(source, per_request).await {
                    Ok(apps) => {
                        let state = progress(&apps);
                        let ready = state.done() && state.total > 0;
                        (state.to_string(), ready)
                    }
                    Err(error @ SourceError::Unreachable { .. }) if self.required => {
                        (error.to_string(), false)
                    }
                    Err(error) if self.required => return Err(error),
                    // A source only found, not named, does not hold up the
                    // wait; its row says what went wrong.
                    Err(_) => (String::new(), true),
                },
            };
            let muster_up = output::preflight(client, base, per_request).await.is_ok();
            if apps_ready && muster_up {
                return Ok(started.elapsed().as_secs());
            }
            if !muster_up {
                if !line.is_empty() {
                    line.push_str("; ");
                }
                line.push_str("waiting for Muster to answer its index");
            }
            if line != shown {
                let _ = writeln!(progress_to, "muster-check: {}", terminal::escape(&line));
                shown = line;
            }
            if started.elapsed() >= wait {
                let _ = writeln!(
                    progress_to,
                    "muster-check: the wait of {} s ended; checking now",
                    wait.as_secs()
                );
                return Ok(started.elapsed().as_secs());
            }
        }
    }
}
