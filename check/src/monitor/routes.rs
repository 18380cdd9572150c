//! The monitor's routes, one table: `/metrics` for Prometheus, `/report`
//! for the last round's report JSON, `/healthz` for the liveness probe.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::{header, StatusCode};
use serde_json::json;

use super::latest::{Latest, Report};
use super::metrics::CONTENT_TYPE;

/// Why a route cannot answer with what was asked for.
#[derive(Debug)]
pub enum RouteError {
    /// `/report` before the first round finished.
    NoRoundYet,
    /// `/report` after a round that could not check.
    CouldNotRun(Arc<String>),
    /// `/healthz` while the loop is stopped or stuck.
    Unhealthy,
    /// The metrics could not be written.
    Metrics,
    /// No such route.
    NotFound,
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        let (status, error, message) = match self {
            RouteError::NoRoundYet => (
                StatusCode::SERVICE_UNAVAILABLE,
                "no_round_yet",
                "No round has finished yet; try again after the first one.".to_owned(),
            ),
            RouteError::CouldNotRun(why) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "could_not_run",
                format!("The last round could not check: {why}"),
            ),
            RouteError::Unhealthy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unhealthy",
                "The monitor's loop has stopped, or its round outlasted its deadline.".to_owned(),
            ),
            RouteError::Metrics => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics",
                "The metrics could not be written.".to_owned(),
            ),
            RouteError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "No such route: the monitor serves /metrics, /report and /healthz.".to_owned(),
            ),
        };
        (status, Json(json!({"error": error, "message": message}))).into_response()
    }
}

/// Every route, reading `latest`.
pub fn router(latest: Arc<Latest>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/report", get(report))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .with_state(latest)
}

async fn metrics(State(latest): State<Arc<Latest>>) -> Result<Response, RouteError> {
    let text = latest.metrics.encode().map_err(|_| RouteError::Metrics)?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

async fn report(State(latest): State<Arc<Latest>>) -> Result<Response, RouteError> {
    match latest.report() {
        Report::NoRoundYet => Err(RouteError::NoRoundYet),
        Report::CouldNotRun(why) => Err(RouteError::CouldNotRun(why)),
        Report::Checked(json) => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            json.as_str().to_owned(),
        )
            .into_response()),
    }
}

async fn healthz(State(latest): State<Arc<Latest>>) -> Result<Json<serde_json::Value>, RouteError> {
    if latest.healthy() {
        Ok(Json(json!({"status": "ok"})))
    } else {
        Err(RouteError::Unhealthy)
    }
}

async fn not_found() -> RouteError {
    RouteError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http::Request;
    use std::time::Duration;
    use tower::ServiceExt as _;

    async fn get_status(app: Router, path: &str) -> (StatusCode, String) {
        let response = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn report_is_503_with_a_json_error_before_the_first_round() {
        let latest = Arc::new(Latest::new(
            Duration::from_secs(60),
            Duration::from_secs(10),
        ));
        let (status, body) = get_status(router(latest.clone()), "/report").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"], "no_round_yet");
        // The loop has not started: not alive.
        let (status, _) = get_status(router(latest.clone()), "/healthz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let _alive = latest.loop_started();
        let (status, _) = get_status(router(latest.clone()), "/healthz").await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = get_status(router(latest.clone()), "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("muster_check_rounds_total{verdict=\"pass\"} 0"),
            "{body}"
        );
    }
}
