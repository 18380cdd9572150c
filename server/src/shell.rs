//! The app's two shells, trunk's `index.html` (the overview) and
//! `pages.html` (every other page), rewritten for the run-time path prefix,
//! plus the Content-Security-Policy that allows exactly their inline loader
//! scripts.

use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The prefix trunk bakes into the build (`public_url` in `Trunk.toml`).
pub const BUILD_PREFIX: &str = "/muster/";

/// Which shell a browser navigation receives: each loads only its own wasm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellPage {
    /// `{prefix}/`, which runs every probe (`index.html`).
    Overview,
    /// Any other page: a route's report, a shared snapshot, "no page here"
    /// (`pages.html`).
    Other,
}

impl ShellPage {
    /// The file trunk writes this shell to.
    pub fn file_name(self) -> &'static str {
        match self {
            ShellPage::Overview => "index.html",
            ShellPage::Other => "pages.html",
        }
    }
}

/// The pages HTML navigations under the prefix receive.
#[derive(Debug, Clone)]
pub struct Shell {
    /// `index.html` with the build prefix replaced by the run-time one.
    overview_html: String,
    /// `pages.html`, likewise.
    pages_html: String,
    /// The Content-Security-Policy value for every response.
    pub content_security_policy: String,
}

/// Why the shell could not be loaded.
#[derive(Debug)]
pub struct ShellError(pub String);

impl std::fmt::Display for ShellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShellError {}

impl Shell {
    /// Loads both shells from trunk's output directory and adapts them to
    /// `prefix` (no trailing slash).
    pub fn load(assets_dir: &Path, prefix: &str) -> Result<Self, ShellError> {
        let read = |page: ShellPage| {
            let path = assets_dir.join(page.file_name());
            std::fs::read_to_string(&path).map_err(|error| {
                ShellError(format!(
                    "MUSTER_ASSETS_DIR: cannot read {} ({error}); point it at the directory \
                     scripts/build-app fills (target/dist)",
                    path.display()
                ))
            })
        };
        Ok(Self::from_built(
            &read(ShellPage::Overview)?,
            &read(ShellPage::Other)?,
            prefix,
        ))
    }

    /// Adapts trunk's `index.html` and `pages.html` texts to `prefix`.
    pub fn from_built(overview: &str, pages: &str, prefix: &str) -> Self {
        let overview_html = rewrite_prefix(overview, prefix);
        let pages_html = rewrite_prefix(pages, prefix);
        let mut hashes = inline_script_hashes(&overview_html);
        for hash in inline_script_hashes(&pages_html) {
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
        Self {
            overview_html,
            pages_html,
            content_security_policy: content_security_policy(&hashes),
        }
    }

    /// The HTML of `page`'s shell.
    pub fn html(&self, page: ShellPage) -> &str {
        match page {
            ShellPage::Overview => &self.overview_html,
            ShellPage::Other => &self.pages_html,
        }
    }
}

/// Replaces the build prefix where it starts a quoted URL (attributes and
/// the loader's `import`), leaving any other text alone.
fn rewrite_prefix(html: &str, prefix: &str) -> String {
    let wanted = format!("{prefix}/");
    if wanted == BUILD_PREFIX {
        return html.to_owned();
    }
    ['"', '\''].iter().fold(html.to_owned(), |text, quote| {
        text.replace(
            &format!("{quote}{BUILD_PREFIX}"),
            &format!("{quote}{wanted}"),
        )
    })
}

/// The `'sha256-…'` source of every inline script in `html`.
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let body_and_rest = &rest[tag_end + 1..];
        let Some(close) = body_and_rest.find("</script>") else {
            break;
        };
        let body = &body_and_rest[..close];
        if !tag.contains(" src=") && !body.trim().is_empty() {
            let digest = Sha256::digest(body.as_bytes());
            let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
            hashes.push(format!("'sha256-{encoded}'"));
        }
        rest = &body_and_rest[close..];
    }
    hashes
}

fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in script_hashes {
        script_src.push(' ');
        script_src.push_str(hash);
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILT: &str = r#"<html><head><base href="/muster/" />
<link rel="modulepreload" href="/muster/app-1a2b.js">
<script type="module">import init from '/muster/app-1a2b.js';init('/muster/app-1a2b_bg.wasm');</script>
<script src="/muster/other.js"></script></head><body>/muster/ stays in text</body></html>"#;

    /// The other shell: the same layout, its own binary.
    const BUILT_PAGES: &str = r#"<html><head><base href="/muster/" />
<script type="module">import init from '/muster/pages-3c4d.js';init('/muster/pages-3c4d_bg.wasm');</script>
</head><body></body></html>"#;

    #[test]
    fn build_prefix_is_kept_when_unchanged() {
        let shell = Shell::from_built(BUILT, BUILT_PAGES, "/muster");
        assert_eq!(shell.html(ShellPage::Overview), BUILT);
        assert_eq!(shell.html(ShellPage::Other), BUILT_PAGES);
    }

    #[test]
    fn run_time_prefix_replaces_quoted_urls_only() {
        let shell = Shell::from_built(BUILT, BUILT_PAGES, "/checks/muster");
        let html = shell.html(ShellPage::Overview);
        assert!(html.contains(r#"<base href="/checks/muster/" />"#));
        assert!(html.contains("import init from '/checks/muster/app-1a2b.js'"));
        assert!(html.contains(r#"src="/checks/muster/other.js""#));
        assert!(html.contains("/muster/ stays in text"));
    }

    #[test]
    fn pages_shell_gets_the_run_time_prefix_too() {
        let shell = Shell::from_built(BUILT, BUILT_PAGES, "/checks/muster");
        let html = shell.html(ShellPage::Other);
        assert!(html.contains(r#"<base href="/checks/muster/" />"#));
        assert!(html.contains("import init from '/checks/muster/pages-3c4d.js'"));
    }

    #[test]
    fn policy_allows_exactly_the_two_inline_loaders() {
        let shell = Shell::from_built(BUILT, BUILT_PAGES, "/x");
        let policy = &shell.content_security_policy;
        for body in [
            "import init from '/x/app-1a2b.js';init('/x/app-1a2b_bg.wasm');",
            "import init from '/x/pages-3c4d.js';init('/x/pages-3c4d_bg.wasm');",
        ] {
            let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
            assert!(policy.contains(&format!("'sha256-{digest}'")), "{policy}");
        }
        assert_eq!(policy.matches("'sha256-").count(), 2, "{policy}");
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn identical_loaders_are_allowed_once() {
        let shell = Shell::from_built(BUILT, BUILT, "/x");
        assert_eq!(shell.content_security_policy.matches("'sha256-").count(), 1);
    }

    #[test]
    fn missing_index_names_the_variable() {
        let error = Shell::load(Path::new("/nonexistent/dist"), "/muster").unwrap_err();
        assert!(
            error.to_string().starts_with("MUSTER_ASSETS_DIR"),
            "{error}"
        );
    }

    #[test]
    fn missing_pages_shell_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), BUILT).unwrap();
        let error = Shell::load(dir.path(), "/muster").unwrap_err().to_string();
        assert!(error.starts_with("MUSTER_ASSETS_DIR"), "{error}");
        assert!(error.contains("pages.html"), "{error}");
    }
}
