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
        let base_uri = window
            .and_then(|window| window.document())
            .and_then(|document| document.base_uri().ok().flatten())
            .unwrap_or_else(|| format!("{origin}/"));
        let base_path = web_sys::Url::new(&base_uri)
            .map(|url| url.pathname())
            .unwrap_or_else(|_| "/".to_owned());
        Place::at(
            origin,
            &read(web_sys::Location::href),
            &read(web_sys::Location::pathname),
            read(web_sys::Location::hash),
            (&base_uri, &base_path),
        )
    }

    /// The place of a page at `href` (whose path is `pathname` and whose
    /// fragment, with its `#`, is `fragment`) on `origin`, in a document
    /// whose base URL is `base.0` (absolute, as `document.baseURI`), of
    /// path `base.1`.
    pub fn at(
        origin: String,
        href: &str,
        pathname: &str,
        fragment: String,
        (base_uri, base_path): (&str, &str),
    ) -> Place {
        let rest = pathname.strip_prefix(base_path).unwrap_or("?");
        let page_url = href.split_once('#').map_or(href, |(url, _)| url);
        Place {
            base: base_uri.trim_end_matches('/').to_owned(),
            origin,
            page_url: page_url.to_owned(),
            fragment,
            page: Page::from_path(rest),
        }
    }

    /// The URL of `route`'s own report (the route asked for its JSON).
    pub fn report_url(&self, route: Route) -> String {
        format!("{}/{}?report=true", self.base, route.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `url`'s origin, and its path with what follows (`/` when none), as
    /// the browser splits an absolute URL without user info.
    fn split(url: &str) -> (&str, &str) {
        match url.match_indices('/').nth(2) {
            Some((at, _)) => (&url[..at], &url[at..]),
            None => (url, "/"),
        }
    }

    /// The place of `href` under the base `base_uri`, as the browser would
    /// report it.
    fn place(href: &str, base_uri: &str) -> Place {
        let (origin, path_and_more) = split(href);
        let pathname = path_and_more.split(['?', '#']).next().unwrap_or_default();
        let fragment = path_and_more
            .find('#')
            .map_or(String::new(), |at| path_and_more[at..].to_owned());
        let base_path = split(base_uri).1;
        Place::at(
            origin.to_owned(),
            href,
            pathname,
            fragment,
            (base_uri, base_path),
        )
    }

    #[test]
    fn the_prefix_itself_is_the_overview() {
        let here = place(
            "https://data.example/muster/",
            "https://data.example/muster/",
        );
        assert_eq!(
            here,
            Place {
                base: "https://data.example/muster".to_owned(),
                origin: "https://data.example".to_owned(),
                page_url: "https://data.example/muster/".to_owned(),
                fragment: String::new(),
                page: Page::Overview,
            }
        );
        let index = place("https://h/muster/index.html", "https://h/muster/");
        assert_eq!(index.page, Page::Overview);
    }

    #[test]
    fn paths_below_the_prefix_name_their_page() {
        let base = "http://127.0.0.1:8080/muster/";
        let page_at = |path: &str| place(&format!("http://127.0.0.1:8080{path}"), base).page;
        assert_eq!(page_at("/muster/report"), Page::Snapshot);
        assert_eq!(page_at("/muster/report/"), Page::Snapshot);
        for route in Route::ALL {
            assert_eq!(
                page_at(&format!("/muster/{}", route.path())),
                Page::Route(route)
            );
            assert_eq!(
                page_at(&format!("/muster/{}/", route.path())),
                Page::Route(route)
            );
        }
        assert_eq!(page_at("/muster/auth"), Page::Unknown);
        assert_eq!(page_at("/muster/nothing/here"), Page::Unknown);
        assert_eq!(page_at("/muster/anonymous/extra"), Page::Unknown);
    }

    #[test]
    fn a_path_outside_the_prefix_is_no_page_of_muster() {
        let base = "https://h/muster/";
        // The same route path under another prefix, or a name that only
        // starts like the prefix, is not Muster's.
        assert_eq!(place("https://h/other/anonymous", base).page, Page::Unknown);
        assert_eq!(place("https://h/musterx/report", base).page, Page::Unknown);
        assert_eq!(place("https://h/anonymous", base).page, Page::Unknown);
        // The prefix without its slash (the server redirects it).
        assert_eq!(place("https://h/muster", base).page, Page::Unknown);
    }

    #[test]
    fn the_root_and_deep_prefixes_work_alike() {
        let root = place("https://h/auth/fail", "https://h/");
        assert_eq!(root.base, "https://h");
        assert_eq!(root.page, Page::Route(Route::AuthFail));
        assert_eq!(place("https://h/", "https://h/").page, Page::Overview);
        // A base without any path is the root.
        assert_eq!(place("https://h/report", "https://h").page, Page::Snapshot);

        let deep = place("https://h/a/b/muster/report", "https://h/a/b/muster/");
        assert_eq!(deep.base, "https://h/a/b/muster");
        assert_eq!(deep.page, Page::Snapshot);
    }

    #[test]
    fn an_encoded_prefix_matches_the_encoded_path() {
        let here = place("https://h/my%20muster/report", "https://h/my%20muster/");
        assert_eq!(here.page, Page::Snapshot);
        assert_eq!(here.base, "https://h/my%20muster");
    }

    #[test]
    fn the_fragment_is_kept_apart_from_the_page_url() {
        let here = place("https://h/muster/report#v1.eJyr#x", "https://h/muster/");
        assert_eq!(here.page, Page::Snapshot);
        assert_eq!(here.page_url, "https://h/muster/report");
        assert_eq!(here.fragment, "#v1.eJyr#x");
        // The query stays in the page URL (the login link returns to it).
        let queried = place("https://h/muster/?x=1#frag", "https://h/muster/");
        assert_eq!(queried.page, Page::Overview);
        assert_eq!(queried.page_url, "https://h/muster/?x=1");
    }

    #[test]
    fn a_route_report_url_is_the_route_under_the_base_asking_for_json() {
        let muster = place("https://h/muster/", "https://h/muster/");
        assert_eq!(
            muster.report_url(Route::AuthQuota),
            "https://h/muster/auth/quota?report=true"
        );
        let root = place("https://h/", "https://h/");
        assert_eq!(
            root.report_url(Route::Anonymous),
            "https://h/anonymous?report=true"
        );
    }
}
