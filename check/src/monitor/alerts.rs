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

use super::round::Round;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Exit, Finished};
    use muster_report::probe::run::Run;
    use muster_report::probe::{Client, ProbeResult};
    use muster_report::{Check, Component, Fix};
    use std::time::SystemTime;

    /// A secret the round used (as a token file's content would be).
    const CANARY: &str = "CanarySecret0099";
    /// A Gafaelfawr-shaped token a server echoed into a hint.
    const TOKEN: &str = "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";

    fn failing_round() -> Round {
        let check = Check {
            id: "delegated.header_route".to_owned(),
            title: format!("Delegation <!channel> {CANARY}"),
            proves: String::new(),
            status: Status::Fail,
            observed: "seen".to_owned(),
            evidence: Vec::new(),
            fix: Some(Fix {
                component: Component::Gafaelfawr,
                hint: format!("Bearer {TOKEN} and cookie {CANARY}"),
            }),
            skip_reason: None,
        };
        let run = Run::new(
            "1.0",
            "https://h.example",
            0,
            Client::Cli,
            vec![ProbeResult {
                check,
                exchanges: Vec::new(),
            }],
        );
        Round {
            exit: Exit::Failed,
            started: SystemTime::now(),
            duration: Duration::from_secs(1),
            finished: Some(Finished {
                run,
                share_url: "https://h.example/muster/report#v1.abc".to_owned(),
                secrets: vec![CANARY.to_owned()],
            }),
            messages: String::new(),
        }
    }

    #[test]
    fn a_failing_message_names_the_check_and_link_and_no_secret() {
        let round = failing_round();
        let now = Condition::of(&round);
        let text = message(
            &round,
            &now,
            "https://h.example/muster",
            1,
            Duration::from_secs(300),
        )
        .to_string();
        assert!(text.contains("1 check failing"), "{text}");
        assert!(text.contains("delegated.header_route"), "{text}");
        assert!(
            text.contains("<https://h.example/muster/report#v1.abc|"),
            "{text}"
        );
        assert!(!text.contains(CANARY), "{text}");
        assert!(!text.contains(&TOKEN[3..]), "{text}");
        assert!(!text.contains("<!channel>"), "{text}");
        assert!(!text.contains("folds in"), "{text}");
    }

    #[test]
    fn a_folded_message_says_how_many_changes_it_folds_in() {
        let round = failing_round();
        let text = message(
            &round,
            &Condition::Passing,
            "b",
            3,
            Duration::from_secs(300),
        )
        .to_string();
        assert!(text.contains("recovered"), "{text}");
        assert!(text.contains("folds in 3 changes"), "{text}");
        assert!(text.contains("per 5m"), "{text}");
    }

    #[test]
    fn a_round_that_could_not_check_gives_its_reason() {
        let round = Round {
            exit: Exit::CouldNotRun,
            started: SystemTime::now(),
            duration: Duration::from_secs(1),
            finished: None,
            messages: format!("muster-check: cannot connect; token {TOKEN}\n"),
        };
        let text = message(
            &round,
            &Condition::of(&round),
            "b",
            1,
            Duration::from_secs(60),
        )
        .to_string();
        assert!(text.contains("could not check b"), "{text}");
        assert!(text.contains("cannot connect"), "{text}");
        assert!(!text.contains(&TOKEN[3..]), "{text}");
    }
}
