//! The Dockerfile cannot be built on these machines (no Docker engine), so
//! this checks what can be checked: it pins the same tools as the setup
//! script and Cargo.lock, agrees with the server's defaults and the
//! chart's Deployment, and builds the same image as `scripts/build-image`
//! (buildah), which the image test builds and runs.

use std::collections::HashMap;
use std::path::Path;

use muster_stack::image_layout;
use muster_stack::ingress::{local_stack_values, render_chart};

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value after `NAME=` in the setup script.
fn setup_pin(name: &str) -> String {
    read("scripts/setup")
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} not pinned in scripts/setup"))
        .to_owned()
}

fn locked_wasm_bindgen() -> String {
    let lock = read("Cargo.lock");
    let after = lock
        .split("name = \"wasm-bindgen\"\n")
        .nth(1)
        .expect("wasm-bindgen in Cargo.lock");
    after
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("version = ")
        .trim_matches('"')
        .to_owned()
}

#[test]
fn dockerfile_pins_the_same_tools_as_setup_and_the_lockfile() {
    let dockerfile = read("Dockerfile");
    let trunk = format!(
        "cargo install trunk --version {} --locked",
        setup_pin("TRUNK_VERSION")
    );
    assert!(dockerfile.contains(&trunk), "Dockerfile lacks {trunk:?}");
    let bindgen = format!("wasm-bindgen-cli --version ={}", locked_wasm_bindgen());
    assert!(
        dockerfile.contains(&bindgen),
        "Dockerfile lacks {bindgen:?}"
    );
    let binaryen = format!("binaryen@{}", setup_pin("BINARYEN_VERSION"));
    assert!(
        dockerfile.contains(&binaryen),
        "Dockerfile lacks {binaryen:?}"
    );
    let terser = format!("terser@{}", setup_pin("TERSER_VERSION"));
    assert!(dockerfile.contains(&terser), "Dockerfile lacks {terser:?}");
    assert!(dockerfile.contains("RUN scripts/build-app"));
}

#[test]
fn dockerfile_agrees_with_server_defaults_and_the_chart() {
    let dockerfile = read("Dockerfile");
    let defaults = muster_server::config::Config::from_vars(&HashMap::new()).unwrap();
    let assets = format!("ENV MUSTER_ASSETS_DIR={}", defaults.assets_dir.display());
    assert!(dockerfile.contains(&assets), "Dockerfile lacks {assets:?}");
    assert!(dockerfile.contains(&format!("EXPOSE {}", defaults.bind.port())));

    let manifest =
        render_chart(&local_stack_values("example.com", "http://g/auth/api/v1")).unwrap();
    let deployment = manifest
        .split("\n---")
        .find(|doc| doc.contains("kind: Deployment"))
        .expect("the chart renders a Deployment");
    assert!(deployment.contains("runAsUser: 1000"), "{deployment}");
    assert!(deployment.contains("runAsGroup: 1000"), "{deployment}");
    assert!(dockerfile.contains("USER 1000:1000"));
    assert!(deployment.contains(&format!("containerPort: {}", defaults.bind.port())));
}

/// `text` with line continuations joined and runs of blanks made one.
fn one_line(text: &str) -> String {
    text.replace("\\\n", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn dockerfile_builds_the_same_image_as_the_buildah_script() {
    let script = read("scripts/build-image");
    let dockerfile = image_layout::from_dockerfile(&read("Dockerfile")).unwrap();
    let buildah = image_layout::from_buildah_script(&script).unwrap();
    assert_eq!(dockerfile, buildah);
    assert_eq!(dockerfile.base, "scratch");
    assert_eq!(
        dockerfile.files.keys().collect::<Vec<_>>(),
        [
            "/app/dist",
            "/usr/local/bin/muster",
            "/usr/local/bin/muster-check"
        ]
    );

    // Both build the binaries they copy the same way: static, with musl,
    // in the image's profile (LTO, no symbols).
    let build =
        "--profile image --target x86_64-unknown-linux-musl -p muster-server -p muster-check";
    assert!(
        one_line(&script).contains(build),
        "build-image lacks {build:?}"
    );
    let locked = build.replace("--profile image", "--profile image --locked");
    assert!(
        one_line(&read("Dockerfile")).contains(&locked),
        "Dockerfile lacks {locked:?}"
    );
    assert!(read("Dockerfile")
        .contains("rustup target add wasm32-unknown-unknown x86_64-unknown-linux-musl"));
}
