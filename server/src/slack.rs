//! The server's alerts to Slack, as Safir's Slack alerts are for the
//! Python service: the same wording ("Uncaught exception in muster",
//! "Exception type", "Failed at", "Exception"), at most one alert per
//! [`DEFAULT_MIN_GAP`] so that a broken platform probed in a loop cannot
//! flood a channel other applications share; alerts left out are counted
//! in the next one. Escaping, Slack's limits and the posting itself
//! (background, timeouts, throttle) are `muster_slack`'s, shared with
//! `muster-check`'s monitor.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[cfg(test)]
use muster_slack::text::SECTION_MAX_CHARS;
use muster_slack::text::{code_block, escape, field, mrkdwn};
use muster_slack::SlackPoster;
use serde_json::{json, Value};

use crate::config::SlackWebhook;

/// Shortest time between two alerts.
pub const DEFAULT_MIN_GAP: Duration = Duration::from_secs(60);
/// The application's name in alerts, as the Python service gives it.
const APPLICATION: &str = "muster";

/// One thing worth telling a human about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// What went wrong, as a short code: a failing check's error `type`
    /// (`unexpected_header`, …) or `panic`.
    pub kind: String,
    /// The message (already safe to show: no token, cookie or credential).
    pub message: String,
    /// The route it happened on (a path or a route template).
    pub route: String,
    /// Where in Muster's code a panic happened, when known.
    pub location: Option<String>,
    /// When it happened.
    pub at: SystemTime,
}

/// Posts alerts to one Slack incoming webhook.
#[derive(Debug)]
pub struct SlackAlerts {
    poster: SlackPoster,
}

impl SlackAlerts {
    /// A client posting to `webhook` at most once per `min_gap`. The error
    /// says why the HTTP client could not be built (TLS set-up failed).
    pub fn new(webhook: SlackWebhook, min_gap: Duration) -> Result<Self, String> {
        let user_agent = concat!("muster/", env!("CARGO_PKG_VERSION"));
        Ok(Self {
            poster: SlackPoster::new(webhook, min_gap, user_agent)?,
        })
    }

    /// Posts `alert` in the background, unless another alert went out less
    /// than the minimum gap ago: then it is only counted. Never waits.
    pub fn send(self: &Arc<Self>, alert: Alert) {
        let Some(left_out) = self.admit() else {
            return;
        };
        self.poster
            .spawn(slack_message(&alert, left_out), |problem: String| {
                tracing::warn!(problem = %problem, "cannot post the alert to Slack");
            });
    }

    /// Waits, at most `within`, for the posts under way (at shutdown, so
    /// that the alert about the last requests is not lost); returns how
    /// many were given up.
    pub async fn finish(&self, within: Duration) -> usize {
        self.poster.finish(within).await
    }

    /// How many alerts were left out since the last one posted.
    pub fn left_out(&self) -> u64 {
        self.poster.left_out()
    }

    /// Whether an alert may go out now; if so, how many were left out
    /// before it.
    fn admit(&self) -> Option<u64> {
        self.poster.admit()
    }

    /// Posts `message`. The error names what failed, never the webhook URL.
    pub async fn post(&self, message: &Value) -> Result<(), String> {
        self.poster.post(message).await
    }
}

/// The webhook payload for `alert`, `left_out` alerts having been skipped
/// since the last one: a plain `text` for notifications, then Block Kit
/// sections laid out as Safir lays out an uncaught exception.
pub fn slack_message(alert: &Alert, left_out: u64) -> Value {
    let headline = format!("Uncaught exception in {APPLICATION}");
    let mut fields = vec![
        field("Exception type", &alert.kind),
        field("Failed at", &httpdate::fmt_http_date(alert.at)),
        field("Route", &alert.route),
    ];
    if let Some(location) = &alert.location {
        fields.push(field("Location", location));
    }
    let exception = format!("{}: {}", alert.kind, alert.message);
    let mut blocks = vec![
        json!({"type": "section", "text": mrkdwn(&escape(&headline)), "fields": fields}),
        json!({"type": "section", "text": mrkdwn(&code_block("Exception", &exception))}),
    ];
    if left_out > 0 {
        let plural = if left_out == 1 { "" } else { "s" };
        blocks.push(json!({
            "type": "context",
            "elements": [mrkdwn(&format!(
                "{left_out} more alert{plural} since the last one posted were left out \
                 (at most one a minute); the log has every one."
            ))],
        }));
    }
    json!({"text": headline, "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;
    use muster_slack::text::texts;
    use std::time::UNIX_EPOCH;

    fn alert(message: &str) -> Alert {
        Alert {
            kind: "panic".to_owned(),
            message: message.to_owned(),
            route: "/muster/a`b".to_owned(),
            location: Some("server/src/x.rs:1".to_owned()),
            at: UNIX_EPOCH,
        }
    }

    #[test]
    fn message_follows_safirs_layout() {
        let message = slack_message(&alert("bad"), 0);
        assert_eq!(message["text"], "Uncaught exception in muster");
        let all = texts(&message).join("\n");
        assert!(all.contains("*Exception type*\npanic"), "{all}");
        assert!(
            all.contains("*Failed at*\nThu, 01 Jan 1970 00:00:00 GMT"),
            "{all}"
        );
        assert!(all.contains("*Location*\nserver/src/x.rs:1"), "{all}");
        assert!(all.contains("```\npanic: bad\n```"), "{all}");
        assert!(!all.contains("left out"), "{all}");
    }

    #[test]
    fn request_text_cannot_mention_link_or_overflow() {
        let long = format!("<!channel> <https://evil|click> ``` {}", "x".repeat(10_000));
        let message = slack_message(&alert(&long), 0);
        for text in texts(&message) {
            assert!(text.chars().count() <= SECTION_MAX_CHARS, "{}", text.len());
            assert!(!text.contains("<!channel>"), "{text}");
            assert!(!text.contains("<https"), "{text}");
        }
        let all = texts(&message).join("\n");
        assert!(all.contains("&lt;!channel&gt;"), "{all}");
        assert_eq!(all.matches("```").count(), 2, "{all}");
    }

    #[test]
    fn alerts_left_out_are_counted_in_the_next_one() {
        let all = texts(&slack_message(&alert("bad"), 3)).join("\n");
        assert!(
            all.contains("3 more alerts since the last one posted"),
            "{all}"
        );
    }

    fn webhook() -> SlackWebhook {
        let vars = [(
            "MUSTER_SLACK_WEBHOOK".to_owned(),
            "https://hooks.slack.com/services/T0/B0/x".to_owned(),
        )];
        let config = crate::config::Config::from_vars(&vars.into_iter().collect()).unwrap();
        config.slack_webhook.unwrap()
    }

    #[test]
    fn second_alert_within_the_gap_is_only_counted() {
        let alerts = SlackAlerts::new(webhook(), Duration::from_secs(3600)).unwrap();
        assert_eq!(alerts.admit(), Some(0));
        assert_eq!(alerts.admit(), None);
        assert_eq!(alerts.admit(), None);
        assert_eq!(alerts.left_out(), 2);
        let open = SlackAlerts::new(webhook(), Duration::ZERO).unwrap();
        assert_eq!(open.admit(), Some(0));
        assert_eq!(open.admit(), Some(0));
    }
}
