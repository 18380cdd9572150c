//! Where the app is: Muster's base URL (from the document's `<base href>`,
//! which the server sets to the run-time prefix), the page's own address,
//! and which page the path asks for. Read once at start; every other module
//! receives plain values.

use muster_report::model::Route;

/// The page a path under the prefix shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// `{prefix}/`: run every probe and show the checklist.
    Overview,
    /// `{prefix}/report#<payload>`: a shared snapshot, read-only.
    Snapshot,
    /// `{prefix}/<route>`: that route's server report alone.
    Route(Route),
    /// Anything else the server answered with the shell.
    Unknown,
}

impl Page {
    /// The page for `rest`, the path below the prefix (no leading slash).
    pub fn from_path(rest: &str) -> Page {
        match rest.trim_end_matches('/') {
            "" | "index.html" => Page::Overview,
            "report" => Page::Snapshot,
            other => Route::ALL
                .into_iter()
                .find(|route| route.path() == other)
                .map_or(Page::Unknown, Page::Route),
        }
    }
}

/// The app's surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Muster's absolute base URL without trailing slash,
    /// e.g. `https://host/muster`.
    pub base: String,
    /// `scheme://host[:port]`.
    pub origin: String,
    /// This page's URL without its fragment (the login link returns here).
    pub page_url: String,
    /// The fragment, with its `#` (a snapshot's payload).
    pub fragment: String,
    /// Which page to show.
    pub page: Page,
}

impl Place {
    /// Reads the browser's location and the document's base.
    pub fn here() -> Place {
        let window = web_sys::window();
        let location = window.as_ref().map(|window| window.location());
        let read = |get: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
            location
                .as_ref()
                .and_then(|location| get(location).ok())
                .unwrap_or_default()
        };
        let origin = read(web_sys::Location::origin);
        let href = read(web_sys::Location::href);
        let pathname = read(web_sys::Location::pathname);
        let fragment = read(web_sys::Location::hash);
        let base_uri = window
            .and_then(|window| window.document())
            .and_then(|document| document.base_uri().ok().flatten())
            .unwrap_or_else(|| format!("{origin}/"));
        let base_path = web_sys::Url::new(&base_uri)
            .map(|url| url.pathname())
            .unwrap_or_else(|_| "/".to_owned());
        let rest = pathname.strip_prefix(base_path.as_str()).unwrap_or("?");
        let page_url = href.split_once('#').map_or(href.as_str(), |(url, _)| url);
        Place {
            base: base_uri.trim_end_matches('/').to_owned(),
            origin,
            page_url: page_url.to_owned(),
            fragment,
            page: Page::from_path(rest),
        }
    }
}
