//! The SPA shell: trunk's `index.html`, rewritten for the run-time path
//! prefix, plus the Content-Security-Policy that allows exactly its inline
//! loader script.

use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The prefix trunk bakes into the build (`public_url` in `Trunk.toml`).
pub const BUILD_PREFIX: &str = "/muster/";

/// The page every HTML navigation under the prefix receives.
#[derive(Debug, Clone)]
pub struct Shell {
    /// `index.html` with the build prefix replaced by the run-time one.
    pub html: String,
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
    /// Loads `index.html` from trunk's output directory and adapts it to
    /// `prefix` (no trailing slash).
    pub fn load(assets_dir: &Path, prefix: &str) -> Result<Self, ShellError> {
        let path = assets_dir.join("index.html");
        let built = std::fs::read_to_string(&path).map_err(|error| {
            ShellError(format!(
                "MUSTER_ASSETS_DIR: cannot read {} ({error}); point it at trunk's dist directory",
                path.display()
            ))
        })?;
        Ok(Self::from_built(&built, prefix))
    }

    /// Adapts trunk's `index.html` text to `prefix`.
    pub fn from_built(built: &str, prefix: &str) -> Self {
        let html = rewrite_prefix(built, prefix);
        let content_security_policy = content_security_policy(&inline_script_hashes(&html));
        Self {
            html,
            content_security_policy,
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

    #[test]
    fn build_prefix_is_kept_when_unchanged() {
        assert_eq!(Shell::from_built(BUILT, "/muster").html, BUILT);
    }

    #[test]
    fn run_time_prefix_replaces_quoted_urls_only() {
        let html = Shell::from_built(BUILT, "/checks/muster").html;
        assert!(html.contains(r#"<base href="/checks/muster/" />"#));
        assert!(html.contains("import init from '/checks/muster/app-1a2b.js'"));
        assert!(html.contains(r#"src="/checks/muster/other.js""#));
        assert!(html.contains("/muster/ stays in text"));
    }

    #[test]
    fn policy_allows_exactly_the_inline_loader() {
        let shell = Shell::from_built(BUILT, "/x");
        let body = "import init from '/x/app-1a2b.js';init('/x/app-1a2b_bg.wasm');";
        let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body));
        let policy = &shell.content_security_policy;
        assert!(policy.contains(&format!("'sha256-{digest}'")), "{policy}");
        assert_eq!(policy.matches("'sha256-").count(), 1, "{policy}");
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn missing_index_names_the_variable() {
        let error = Shell::load(Path::new("/nonexistent/dist"), "/muster").unwrap_err();
        assert!(
            error.to_string().starts_with("MUSTER_ASSETS_DIR"),
            "{error}"
        );
    }
}
