//! The app as `scripts/build-app` leaves it in `target/dist`: two shells,
//! each loading its own minified JavaScript and wasm, with integrity hashes
//! that match the files after the post-build hook rewrote them.

use std::path::Path;

use base64::Engine as _;
use muster_stack::stack::default_assets_dir;
use sha2::{Digest, Sha384};

/// `(url, integrity)` of every element of `html` that carries both.
fn integrity_pairs(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = start + tag[start..].find('"')?;
        Some(tag[start..end].to_owned())
    };
    html.split('<')
        .filter_map(|tag| Some((attribute(tag, "href")?, attribute(tag, "integrity")?)))
        .collect()
}

fn shell(name: &str) -> (std::path::PathBuf, String) {
    let dir = default_assets_dir();
    let html = std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|error| panic!("{name} in {}: {error} (run ./dev build)", dir.display()));
    (dir, html)
}

fn file_of(dir: &Path, url: &str) -> std::path::PathBuf {
    dir.join(url.rsplit('/').next().unwrap_or_default())
}

#[test]
fn every_integrity_hash_matches_its_file() {
    for name in ["index.html", "pages.html"] {
        let (dir, html) = shell(name);
        let pairs = integrity_pairs(&html);
        assert!(
            pairs.iter().any(|(url, _)| url.ends_with(".js")),
            "{name} preloads no script: {pairs:?}"
        );
        for (url, integrity) in pairs {
            let bytes = std::fs::read(file_of(&dir, &url)).unwrap();
            let digest = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&bytes));
            assert_eq!(integrity, format!("sha384-{digest}"), "{name}: {url}");
        }
    }
}

#[test]
fn each_shell_loads_its_own_binary_minified() {
    for (name, binary, other) in [
        ("index.html", "muster-overview-", "muster-pages-"),
        ("pages.html", "muster-pages-", "muster-overview-"),
    ] {
        let (dir, html) = shell(name);
        assert!(html.contains(binary), "{name} does not load {binary}");
        // Painted while the wasm loads; the app removes it (page tests).
        assert!(html.contains(r#"id="shell-loading""#), "{name}");
        assert!(!html.contains(other), "{name} also loads {other}");
        let (script, _) = integrity_pairs(&html)
            .into_iter()
            .find(|(url, _)| url.ends_with(".js"))
            .unwrap();
        let text = std::fs::read_to_string(file_of(&dir, &script)).unwrap();
        // wasm-bindgen writes a line per statement; terser leaves a few.
        assert!(text.lines().count() < 20, "{script} is not minified");
        // The precompressed copies are made after minifying: the .gz (made
        // beside the .br, by the same step) inflates to the served file.
        let gzip = std::fs::read(file_of(&dir, &format!("{script}.gz"))).unwrap();
        assert_eq!(
            &gzip[..4],
            b"\x1f\x8b\x08\x00",
            "{script}.gz: not plain gzip"
        );
        let inflated = miniz_oxide::inflate::decompress_to_vec(&gzip[10..gzip.len() - 8]).unwrap();
        assert!(
            inflated == text.as_bytes(),
            "{script}.gz is not of the minified file"
        );
    }
}

#[test]
fn the_two_shell_sources_differ_only_in_their_binary() {
    // Two trunk targets, one per binary: whatever else one says (wasm-opt
    // passes, the loading line, the CSS), the other must say too.
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app");
    let read = |name: &str| std::fs::read_to_string(app.join(name)).unwrap();
    let overview = read("index.html");
    assert!(overview.contains(r#"data-bin="muster-overview""#));
    assert_eq!(
        read("pages.html"),
        overview.replace(
            r#"data-bin="muster-overview""#,
            r#"data-bin="muster-pages""#
        )
    );
}
