//! Posting to the webhook: each post with its own timeouts, in the
//! background so that the sender never waits for Slack, and at most one
//! per minimum gap so that a broken platform probed in a loop cannot
//! flood a channel other applications share. What the gap left out is
//! counted, for the next message to say.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinSet;

use crate::webhook::SlackWebhook;

/// Longest wait for a connection to Slack.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for Slack to accept a message.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Posts messages to one Slack incoming webhook, at most one per gap.
#[derive(Debug)]
pub struct SlackPoster {
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

impl SlackPoster {
    /// A poster to `webhook`, at most one message per `min_gap`, sending
    /// `user_agent`. The error says why the HTTP client could not be built
    /// (TLS set-up failed).
    pub fn new(webhook: SlackWebhook, min_gap: Duration, user_agent: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(POST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(user_agent)
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

    /// Whether a message may go out now; if so, how many were left out
    /// before it. A refusal is counted.
    pub fn admit(&self) -> Option<u64> {
        let mut throttle = self.throttle.lock().ok()?;
        let now = Instant::now();
        if self.within_gap(&throttle, now) {
            throttle.suppressed += 1;
            return None;
        }
        throttle.last_post = Some(now);
        Some(std::mem::take(&mut throttle.suppressed))
    }

    /// Whether a message about what was left out may go out now: some was,
    /// and the gap has passed. If so, how many; nothing is counted either
    /// way (for a sender that reports the state it folded in once the gap
    /// allows, rather than waiting for the next change).
    pub fn admit_left_out(&self) -> Option<u64> {
        let mut throttle = self.throttle.lock().ok()?;
        let now = Instant::now();
        if throttle.suppressed == 0 || self.within_gap(&throttle, now) {
            return None;
        }
        throttle.last_post = Some(now);
        Some(std::mem::take(&mut throttle.suppressed))
    }

    fn within_gap(&self, throttle: &Throttle, now: Instant) -> bool {
        throttle
            .last_post
            .is_some_and(|last| now.duration_since(last) < self.min_gap)
    }

    /// How many messages were left out since the last one posted.
    pub fn left_out(&self) -> u64 {
        self.throttle
            .lock()
            .map(|throttle| throttle.suppressed)
            .unwrap_or(0)
    }

    /// Posts `message` in the background (call [`Self::admit`] first);
    /// `failed` gets the reason if the post fails. Never waits. Must be
    /// called inside a Tokio runtime.
    pub fn spawn(&self, message: Value, failed: impl FnOnce(String) + Send + 'static) {
        let http = self.http.clone();
        let url = self.webhook.url().to_owned();
        let post = async move {
            if let Err(problem) = post_to(&http, &url, &message).await {
                failed(problem);
            }
        };
        if let Ok(mut posts) = self.posts.lock() {
            while posts.try_join_next().is_some() {}
            posts.spawn(post);
        }
    }

    /// Waits, at most `within`, for the posts under way (at shutdown, so
    /// that the last message is not lost); returns how many were given up.
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

    /// Posts `message` now. The error names what failed, never the
    /// webhook URL.
    pub async fn post(&self, message: &Value) -> Result<(), String> {
        post_to(&self.http, self.webhook.url(), message).await
    }
}

async fn post_to(http: &reqwest::Client, url: &str, message: &Value) -> Result<(), String> {
    let response = http
        .post(url)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn poster(gap: Duration) -> SlackPoster {
        let webhook = SlackWebhook::parse("https://hooks.slack.com/services/T0/B0/x").unwrap();
        SlackPoster::new(webhook, gap, "test").unwrap()
    }

    #[test]
    fn what_the_gap_left_out_goes_once_the_gap_has_passed() {
        let closed = poster(Duration::from_secs(3600));
        assert_eq!(closed.admit(), Some(0));
        assert_eq!(closed.admit_left_out(), None, "nothing was left out yet");
        assert_eq!(closed.admit(), None);
        assert_eq!(closed.admit_left_out(), None, "the gap has not passed");
        assert_eq!(closed.left_out(), 1);
        let open = poster(Duration::ZERO);
        assert_eq!(open.admit_left_out(), None);
        assert_eq!(open.admit(), Some(0));
    }
}
