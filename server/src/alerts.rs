//! What the Python service reports to Slack, found in every answer: a
//! route's failing check (its 500, which Safir's route handler reports as
//! an uncaught exception) and a handler that panics, which answers what
//! Starlette answers for an uncaught exception (500, `Internal Server
//! Error`). Both are logged without secrets; with `MUSTER_SLACK_WEBHOOK`
//! set, both are posted (see [`crate::slack`]) without delaying the answer.
//!
//! Nothing from a header reaches an alert. A failing check's message is
//! the one its body carries (already redacted); a panic's message and path
//! have token-shaped text fingerprinted, and a panic names the route
//! template it hit, not the client's path.

use std::any::Any;
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use http::{header, StatusCode};
use muster_report::redact;

use crate::slack::{Alert, SlackAlerts};

/// A check failed on this answer (set on the response by the check routes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The error's `type`, e.g. `unexpected_header`.
    pub kind: String,
    /// The error's `msg`, as the body carries it.
    pub message: String,
}

thread_local! {
    /// Where the last panic on this thread happened, left by the panic
    /// hook for the middleware that catches it on the same thread.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces Rust's default panic hook, which prints the raw message (and
/// any token in it) to standard error outside the log format, with one
/// log line: the message with token-shaped text fingerprinted, and where
/// the panic happened. Call once, after logging is set up.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()));
        let message = redact::tokens_in_text(&panic_message(info.payload()));
        tracing::error!(
            location = location.as_deref().unwrap_or("unknown"),
            panic = %message,
            "panic"
        );
        PANIC_LOCATION.with(|cell| *cell.borrow_mut() = location);
    }));
}

/// Middleware finding what to report in every answer: a failing check, or
/// a panic (answered with Starlette's 500). Alerts go to `alerts`, if set.
pub async fn report_defects(
    State(alerts): State<Option<Arc<SlackAlerts>>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = redact::url_path(request.uri().path());
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => {
            if let (Some(alerts), Some(failure)) =
                (&alerts, response.extensions().get::<CheckFailure>())
            {
                alerts.send(Alert {
                    kind: failure.kind.clone(),
                    message: failure.message.clone(),
                    route: path,
                    location: None,
                    at: SystemTime::now(),
                });
            }
            response
        }
        Err(payload) => {
            let message = redact::tokens_in_text(&panic_message(payload.as_ref()));
            tracing::error!(method = %method, path = %path, panic = %message, "uncaught panic");
            if let Some(alerts) = &alerts {
                alerts.send(Alert {
                    kind: "panic".to_owned(),
                    message,
                    route: template.unwrap_or_else(|| "(no route)".to_owned()),
                    location: PANIC_LOCATION.with(|cell| cell.borrow_mut().take()),
                    at: SystemTime::now(),
                });
            }
            internal_server_error()
        }
    }
}

/// Starlette's answer to an uncaught exception.
fn internal_server_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
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
