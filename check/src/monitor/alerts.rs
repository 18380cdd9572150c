//! Slack messages on changes, not on every round: one message when a check
//! starts failing (the failing checks, their hints, the share link), one
//! "recovered" message when every check passes again, and at most one
//! message per alert interval — changes within it are folded into the
//! next message, which says how many it folds in. A round that cannot
//! check counts as a change too (its reason is the message).
//!
//! Every text that goes out passes through `redact` with the round's
//! secrets: no token, cookie or header value reaches Slack.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Duration;

use muster_report::{redact, Status};
use muster_slack::text::{code_block, cut, escape, mrkdwn, FIELD_MAX_CHARS};
use muster_slack::{SlackPoster, SlackWebhook};
use serde_json::{json, Value};

use super::rounds::Round;

/// Most failing checks listed in one message (Slack allows 50 blocks).
const MAX_LISTED: usize = 20;

/// What a round said about the platform, as far as alerts care.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// No check failed.
    Passing,
    /// These checks (ids) failed.
    Failing(BTreeSet<String>),
    /// The round could not check.
    CouldNotRun,
}

impl Condition {
    fn of(round: &Round) -> Self {
        match &round.finished {
            None => Condition::CouldNotRun,
            Some(finished) => {
                let failing: BTreeSet<String> = finished
                    .run
                    .probes
                    .iter()
                    .filter(|probe| probe.check.status == Status::Fail)
                    .map(|probe| probe.check.id.clone())
                    .collect();
                if failing.is_empty() {
                    Condition::Passing
                } else {
                    Condition::Failing(failing)
                }
            }
        }
    }
}

/// The alert state: what the last round said, and the poster.
pub struct Alerts {
    poster: SlackPoster,
    interval: Duration,
    last: Option<Condition>,
    /// Posts that failed in the background, for the loop to report.
    failures: mpsc::Receiver<String>,
    failed: mpsc::Sender<String>,
}

impl Alerts {
    /// Alerts to `webhook`, at most one per `interval`.
    pub fn new(webhook: SlackWebhook, interval: Duration) -> Result<Self, String> {
        let user_agent = concat!("muster-check/", env!("CARGO_PKG_VERSION"));
        let (failed, failures) = mpsc::channel();
        Ok(Self {
            poster: SlackPoster::new(webhook, interval, user_agent)?,
            interval,
            last: None,
            failures,
            failed,
        })
    }

    /// Takes in a finished round of the monitor watching `base`: posts a
    /// message (in the background) if the round changed what the platform
    /// looks like and the interval allows, or if changes were folded and
    /// the interval has now passed. Returns the posts that failed since
    /// the last call, to log.
    pub fn observe(&mut self, round: &Round, base: &str) -> Vec<String> {
        let now = Condition::of(round);
        let changed = match &self.last {
            // The first round tells only of trouble: a monitor that starts
            // on a healthy platform has nothing to announce.
            None => now != Condition::Passing,
            Some(last) => *last != now,
        };
        self.last = Some(now.clone());
        let changes = if changed {
            self.poster.admit().map(|left_out| left_out + 1)
        } else {
            self.poster.admit_left_out()
        };
        if let Some(changes) = changes {
            let failed = self.failed.clone();
            let message = message(round, &now, base, changes, self.interval);
            self.poster.spawn(message, move |problem| {
                let _ = failed.send(format!("cannot post the alert to Slack: {problem}"));
            });
        }
        self.failures.try_iter().collect()
    }

    /// Waits, at most `within`, for posts under way; returns how many were
    /// given up.
    pub async fn finish(&self, within: Duration) -> usize {
        self.poster.finish(within).await
    }
}

/// The Slack message for `round`, whose condition is `now`, folding in
/// `changes` changes since the last message.
fn message(round: &Round, now: &Condition, base: &str, changes: u64, interval: Duration) -> Value {
    let secrets: &[String] = round
        .finished
        .as_ref()
        .map(|finished| finished.secrets.as_slice())
        .unwrap_or_default();
    let safe = |text: &str| escape(&redact::tokens_and_secrets(text, secrets));
    let mut blocks = Vec::new();
    let headline = match now {
        Condition::Passing => format!("muster-check: {base} recovered, every check passes again"),
        Condition::Failing(failing) => {
            let plural = if failing.len() == 1 { "" } else { "s" };
            format!(
                "muster-check: {} check{plural} failing on {base}",
                failing.len()
            )
        }
        Condition::CouldNotRun => format!("muster-check: could not check {base}"),
    };
    blocks
        .push(json!({"type": "section", "text": mrkdwn(&cut(&safe(&headline), FIELD_MAX_CHARS))}));
    if let Some(finished) = &round.finished {
        let failing: Vec<_> = finished
            .run
            .probes
            .iter()
            .filter(|probe| probe.check.status == Status::Fail)
            .collect();
        for probe in failing.iter().take(MAX_LISTED) {
            let hint = probe
                .check
                .fix
                .as_ref()
                .map(|fix| fix.hint.as_str())
                .unwrap_or(probe.check.observed.as_str());
            let text = format!(
                "*{}* (`{}`)\n{}",
                safe(&probe.check.title),
                safe(&probe.check.id),
                safe(hint)
            );
            blocks.push(json!({"type": "section", "text": mrkdwn(&cut(&text, FIELD_MAX_CHARS))}));
        }
        if failing.len() > MAX_LISTED {
            let more = failing.len() - MAX_LISTED;
            blocks.push(json!({"type": "context", "elements": [mrkdwn(&format!("and {more} more failing checks: see the report"))]}));
        }
        let link = &finished.share_url;
        let text = if link.contains(['|', '<', '>', ' ']) {
            safe(link)
        } else {
            format!(
                "<{}|Open this round's report>",
                redact::secrets_in_text(link, secrets)
            )
        };
        blocks.push(json!({"type": "section", "text": mrkdwn(&text)}));
    } else {
        let why = redact::tokens_in_text(round.messages.trim());
        blocks.push(json!({"type": "section", "text": mrkdwn(&code_block("Why", &why))}));
    }
    if changes > 1 {
        blocks.push(json!({
            "type": "context",
            "elements": [mrkdwn(&format!(
                "This message folds in {changes} changes since the last one (at most one message per {}).",
                humantime::format_duration(interval)
            ))],
        }));
    }
    json!({"text": safe(&headline), "blocks": blocks})
}
