//! Muster's own defects. A handler that panics answers what the Python
//! service answers for an uncaught exception (500, `Internal Server
//! Error`), the panic is logged, and, when `MUSTER_SLACK_WEBHOOK` is set,
//! it is posted to Slack as Safir's Slack alerts do.
//!
//! Checks that fail are not defects: they are reported in the route's body,
//! never here. Alerts name the method, the path (token-shaped text
//! fingerprinted, no query) and the panic message (same), never a header.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use http::{header, StatusCode};
use muster_report::redact;
use serde_json::{json, Value};

use crate::config::SlackWebhook;

/// Longest wait for a connection to Slack.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for Slack to accept an alert.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Posts alerts to one Slack incoming webhook.
#[derive(Debug)]
pub struct SlackAlerts {
    http: reqwest::Client,
    webhook: SlackWebhook,
}

/// One defect worth telling a human about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Method of the request that hit the defect.
    pub method: String,
    /// Its path, with token-shaped text fingerprinted.
    pub path: String,
    /// What went wrong (the panic message, token-shaped text fingerprinted).
    pub message: String,
    /// When it happened.
    pub at: SystemTime,
}

impl SlackAlerts {
    /// A client posting to `webhook`, with explicit timeouts. The error says
    /// why the HTTP client could not be built (TLS set-up failed).
    pub fn new(webhook: SlackWebhook) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(POST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("muster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot build the HTTP client for Slack alerts: {error}"))?;
        Ok(Self { http, webhook })
    }

    /// Posts `alert`. The error names what failed, never the webhook URL.
    pub async fn post(&self, alert: &Alert) -> Result<(), String> {
        let response = self
            .http
            .post(self.webhook.url())
            .json(&slack_message(alert))
            .send()
            .await
            .map_err(|error| describe_send_error(&error))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("Slack answered {status}"))
        }
    }
}

/// reqwest's own messages include the URL, which is the secret.
fn describe_send_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "Slack did not answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect to Slack".to_owned()
    } else {
        "the request to Slack failed".to_owned()
    }
}

/// The webhook payload: a plain `text` for notifications and Block Kit
/// sections for the channel, in the shape of Safir's uncaught-exception
/// alerts.
pub fn slack_message(alert: &Alert) -> Value {
    let when = utc_timestamp(alert.at);
    let request = format!("{} {}", alert.method, alert.path);
    json!({
        "text": format!("Uncaught panic in Muster: {request}"),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Uncaught panic in Muster"},
                "fields": [
                    {"type": "mrkdwn", "text": format!("*Failed at*\n{when}")},
                    {"type": "mrkdwn", "text": format!("*Request*\n{}", code(&request))},
                ],
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": format!("*Panic*\n{}", code_block(&alert.message))},
            },
        ],
    })
}

/// Inline code, with backticks that would end it replaced.
fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

/// A code block, with fences that would end it broken up.
fn code_block(text: &str) -> String {
    format!("```\n{}\n```", text.replace("```", "`\u{200b}``"))
}

/// `at` as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_timestamp(at: SystemTime) -> String {
    let seconds = at
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Middleware answering a panicking handler with the Python service's 500,
/// logging the panic and, if `alerts` is set, posting it to Slack in the
/// background (the client's answer never waits for Slack).
pub async fn catch_panics(
    State(alerts): State<Option<Arc<SlackAlerts>>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = redact::tokens_in_text(request.uri().path());
    let payload = match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => return response,
        Err(payload) => payload,
    };
    let alert = Alert {
        method,
        path,
        message: redact::tokens_in_text(&panic_message(payload.as_ref())),
        at: SystemTime::now(),
    };
    tracing::error!(
        method = %alert.method,
        path = %alert.path,
        panic = %alert.message,
        "uncaught panic"
    );
    if let Some(alerts) = alerts {
        tokio::spawn(async move {
            if let Err(problem) = alerts.post(&alert).await {
                tracing::warn!(problem = %problem, "cannot post the alert to Slack");
            }
        });
    }
    internal_server_error()
}

/// Starlette's answer to an uncaught exception.
fn internal_server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "Internal Server Error",
    )
        .into_response()
}

/// The text a panic was raised with.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let at = |seconds| UNIX_EPOCH + Duration::from_secs(seconds);
        assert_eq!(utc_timestamp(at(0)), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_timestamp(at(951_782_400)), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_timestamp(at(1_795_305_599)), "2026-11-21 23:59:59 UTC");
        assert_eq!(utc_timestamp(at(4_107_542_400)), "2100-03-01 00:00:00 UTC");
    }

    #[test]
    fn message_quotes_request_and_panic_without_breaking_out() {
        let message = slack_message(&Alert {
            method: "GET".to_owned(),
            path: "/muster/a`b".to_owned(),
            message: "bad ``` fence".to_owned(),
            at: UNIX_EPOCH,
        });
        let text = message.to_string();
        assert!(
            text.contains("Uncaught panic in Muster: GET /muster/a`b"),
            "{text}"
        );
        assert!(text.contains("`GET /muster/a'b`"), "{text}");
        assert!(!text.contains("bad ``` fence"), "{text}");
        assert!(text.contains("1970-01-01 00:00:00 UTC"), "{text}");
    }
}
