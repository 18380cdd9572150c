//! Chooses which representation of a route a request gets: the
//! upstream-compatible JSON (`docs/compatibility.md`), the full report, or
//! the SPA shell.

use axum::response::Response;
use http::{header, HeaderMap, HeaderValue};

/// Media type that asks for the full report.
pub const REPORT_MEDIA_TYPE: &str = "application/vnd.muster.report+json";

/// Marks `response` as chosen by `Accept`, so that caches key on it.
pub fn vary_on_accept(mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept"));
    response
}

/// The three representations of every check route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// Exactly what the Python Muster answers (the default).
    Upstream,
    /// The `report` crate's route report, HTTP 200 whatever the verdict.
    Report,
    /// The SPA shell, for browsers.
    Html,
}

impl Representation {
    /// Picks the representation from the `report` query flag and `Accept`.
    pub fn choose(headers: &HeaderMap, query: Option<&str>) -> Self {
        let report_flag = query
            .unwrap_or("")
            .split('&')
            .any(|pair| matches!(pair, "report=true" | "report=1" | "report"));
        let accepted = accepted_media(headers);
        if report_flag
            || accepted
                .iter()
                .any(|(media, q)| media == REPORT_MEDIA_TYPE && *q > 0.0)
        {
            Self::Report
        } else if prefers_html(&accepted) {
            Self::Html
        } else {
            Self::Upstream
        }
    }
}

/// True when the client asks for HTML more than for JSON; `*/*` alone (the
/// default of curl and `fetch`) keeps JSON.
pub fn client_prefers_html(headers: &HeaderMap) -> bool {
    prefers_html(&accepted_media(headers))
}

fn prefers_html(accepted: &[(String, f32)]) -> bool {
    let best = |wanted: &[&str]| {
        accepted
            .iter()
            .filter(|(media, _)| wanted.contains(&media.as_str()))
            .map(|(_, q)| *q)
            .fold(0.0_f32, f32::max)
    };
    let html = best(&["text/html", "application/xhtml+xml"]);
    let json = best(&["application/json"]);
    html > 0.0 && html > json
}

/// Media ranges of every `Accept` header with their quality, lower-cased.
fn accepted_media(headers: &HeaderMap) -> Vec<(String, f32)> {
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!media.is_empty()).then_some((media, q))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::ACCEPT, value.parse().unwrap());
        headers
    }

    const BROWSER: &str =
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

    #[test]
    fn browsers_get_html() {
        assert_eq!(
            Representation::choose(&accept(BROWSER), None),
            Representation::Html
        );
    }

    #[test]
    fn scripts_get_upstream_json() {
        assert_eq!(
            Representation::choose(&accept("*/*"), None),
            Representation::Upstream
        );
        assert_eq!(
            Representation::choose(&HeaderMap::new(), None),
            Representation::Upstream
        );
        let json_first = accept("application/json, text/html;q=0.5");
        assert_eq!(
            Representation::choose(&json_first, None),
            Representation::Upstream
        );
    }

    #[test]
    fn report_is_chosen_by_flag_or_media_type() {
        let by_flag = Representation::choose(&accept(BROWSER), Some("a=b&report=true"));
        assert_eq!(by_flag, Representation::Report);
        let by_type = Representation::choose(&accept(REPORT_MEDIA_TYPE), None);
        assert_eq!(by_type, Representation::Report);
        let refused = Representation::choose(&accept(&format!("{REPORT_MEDIA_TYPE};q=0")), None);
        assert_eq!(refused, Representation::Upstream);
    }
}
