//! Phalanx's service discovery (Repertoire's `GET /discovery`), served by
//! the stand-in for the stack that runs as the chart does by default:
//! Muster finds Gafaelfawr's internal API there instead of being given it.

use axum::http::{header, HeaderMap};
use axum::Json;
use serde_json::{json, Value};

/// `GET /repertoire/discovery`: the internal Gafaelfawr service, at the
/// address Muster reached the stand-in on (its `Host`).
pub async fn discovery(headers: HeaderMap) -> Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}/auth");
    Json(json!({
        "services": {
            "internal": {
                "gafaelfawr": {
                    "url": base,
                    "versions": {"v1": {"url": format!("{base}/api/v1")}}
                }
            }
        }
    }))
}
