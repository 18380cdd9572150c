//! Posting alerts to a Slack incoming webhook, as Safir's Slack alerts do
//! for the Python service: the same wording ("Uncaught exception in
//! muster", "Exception type", "Failed at", "Exception"), Slack's text
//! escaped and cut to Slack's limits, the post made in the background with
//! its own timeouts, and at most one alert per [`DEFAULT_MIN_GAP`] so that
//! a broken platform probed in a loop cannot flood a channel other
//! applications share. Alerts left out are counted in the next one.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::config::SlackWebhook;

/// Longest wait for a connection to Slack.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for Slack to accept an alert.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest time between two alerts.
pub const DEFAULT_MIN_GAP: Duration = Duration::from_secs(60);
/// Slack's limit on a section field's text (Safir cuts at the same place).
const FIELD_MAX_CHARS: usize = 2000;
/// Slack's limit on a section's text.
const SECTION_MAX_CHARS: usize = 3000;
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
    http: reqwest::Client,
    webhook: SlackWebhook,
    min_gap: Duration,
    throttle: Mutex<Throttle>,
    /// Posts under way, so that shutdown can let them finish.
    posts: Mutex<JoinSet<()>>,
}

#[derive(Debug, Default)]
struct Throttle {
    last_post: Option<Instant>,
    suppressed: u64,
}

impl SlackAlerts {
    /// A client posting to `webhook` at most once per `min_gap`. The error
    /// says why the HTTP client could not be built (TLS set-up failed).
    pub fn new(webhook: SlackWebhook, min_gap: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(POST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("muster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot build the HTTP client for Slack alerts: {error}"))?;
        Ok(Self {
            http,
            webhook,
            min_gap,
            throttle: Mutex::new(Throttle::default()),
            posts: Mutex::new(JoinSet::new()),
        })
    }

    /// Posts `alert` in the background, unless another alert went out less
    /// than the minimum gap ago: then it is only counted. Never waits.
    pub fn send(self: &Arc<Self>, alert: Alert) {
        let Some(left_out) = self.admit() else {
            return;
        };
        let alerts = Arc::clone(self);
        let post = async move {
            let message = slack_message(&alert, left_out);
            if let Err(problem) = alerts.post(&message).await {
                tracing::warn!(problem = %problem, "cannot post the alert to Slack");
            }
        };
        if let Ok(mut posts) = self.posts.lock() {
            while posts.try_join_next().is_some() {}
            posts.spawn(post);
        }
    }

    /// Waits, at most `within`, for the posts under way (at shutdown, so
    /// that the alert about the last requests is not lost); returns how
    /// many were given up.
    pub async fn finish(&self, within: Duration) -> usize {
        let Ok(mut posts) = self
            .posts
            .lock()
            .map(|mut posts| std::mem::take(&mut *posts))
        else {
            return 0;
        };
        let _ = tokio::time::timeout(within, async { while posts.join_next().await.is_some() {} })
            .await;
        posts.len()
    }

    /// How many alerts were left out since the last one posted.
    pub fn left_out(&self) -> u64 {
        self.throttle
            .lock()
            .map(|throttle| throttle.suppressed)
            .unwrap_or(0)
    }

    /// Whether an alert may go out now; if so, how many were left out
    /// before it.
    fn admit(&self) -> Option<u64> {
        let mut throttle = self.throttle.lock().ok()?;
        let now = Instant::now();
        let recent = throttle
            .last_post
            .is_some_and(|last| now.duration_since(last) < self.min_gap);
        if recent {
            throttle.suppressed += 1;
            return None;
        }
        throttle.last_post = Some(now);
        Some(std::mem::take(&mut throttle.suppressed))
    }

    /// Posts `message`. The error names what failed, never the webhook URL.
    pub async fn post(&self, message: &Value) -> Result<(), String> {
        let response = self
            .http
            .post(self.webhook.url())
            .json(message)
            .send()
            .await
            .map_err(|error| describe_send_error(error.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("Slack answered {status}"))
        }
    }
}

/// reqwest's error with its causes, the URL (the secret) removed.
fn describe_send_error(error: reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "Slack did not answer in time"
    } else if error.is_connect() {
        "cannot connect to Slack"
    } else {
        "the request to Slack failed"
    };
    let mut text = format!("{what}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
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

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text, "verbatim": true})
}

fn field(heading: &str, text: &str) -> Value {
    let text = format!("*{heading}*\n{}", escape(text));
    mrkdwn(&cut(&text, FIELD_MAX_CHARS))
}

/// A headed code block, cut to a section's limit; fences in `code` cannot
/// end it early.
fn code_block(heading: &str, code: &str) -> String {
    let code = escape(code).replace("```", "`\u{200b}``");
    let room = SECTION_MAX_CHARS - heading.len() - 12;
    format!("*{heading}*\n```\n{}\n```", cut(&code, room))
}

/// Slack's three control characters escaped, so that text from a request
/// cannot become a link or a mention.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` cut to `max` characters, the cut marked.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn texts(message: &Value) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![message];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(text)) = map.get("text") {
                        found.push(text.clone());
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        found
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
