//! The image, as `./dev image` builds it (`scripts/build-image`: buildah,
//! no Docker engine): built once per test run into its OCI archive, read
//! back and checked — its configuration against the Dockerfile's, its
//! size, that its binaries are static — and run: its filesystem, unpacked
//! and mounted read-only, chrooted into as the image's user, serves `GET /`
//! with `muster` and runs `muster-check --version`.
//!
//! Building and running need root (buildah, mount namespaces, chroot), as
//! on CI; without it these tests fail, saying so.

mod image_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use image_support::Image;
use muster_stack::http;
use muster_stack::image_layout::{self, Layout};
use muster_stack::process::{free_port, output_within, running_as_root, ChildGuard};

/// The image's size budget, in bytes, both as an archive and unpacked.
const MAX_IMAGE_BYTES: u64 = 20 * 1000 * 1000;
/// A cold release build of both binaries takes minutes on a shared machine.
const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const START_TIMEOUT: Duration = Duration::from_secs(20);
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// Variables cargo sets for a test and not for a build, besides
/// `CARGO_PKG_*` and `CARGO_BIN_*` (`CARGO`, the cargo to use, stays).
const CARGO_TEST_VARIABLES: [&str; 6] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
];

/// The image built for this run, read back and unpacked.
struct Built {
    image: Image,
    archive_bytes: u64,
    rootfs: PathBuf,
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the image once for all the tests of this run (the script's
/// cargo build is a no-op when the binaries are fresh), then reads and
/// unpacks it.
fn built() -> &'static Built {
    static BUILT: OnceLock<Result<Built, String>> = OnceLock::new();
    BUILT
        .get_or_init(build_and_unpack)
        .as_ref()
        .unwrap_or_else(|error| panic!("{error}"))
}

fn build_and_unpack() -> Result<Built, String> {
    if !running_as_root() {
        return Err("the image tests need root (buildah, unshare, chroot), as on CI".to_owned());
    }
    let started = Instant::now();
    let mut command = Command::new(repository().join("scripts/build-image"));
    // Cargo describes this test to it (CARGO_MANIFEST_DIR…); build scripts
    // that read those variables (ring's) would otherwise see a change and
    // rebuild everything after them, here and again in `./dev image`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
            || CARGO_TEST_VARIABLES.contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    let built = output_within("scripts/build-image", command, b"", BUILD_TIMEOUT)?;
    if !built.status.success() {
        return Err(format!(
            "scripts/build-image failed ({}):\n{}\n{}",
            built.status,
            String::from_utf8_lossy(&built.stdout),
            String::from_utf8_lossy(&built.stderr)
        ));
    }
    eprintln!(
        "image built in {:.0?}:\n{}",
        started.elapsed(),
        String::from_utf8_lossy(&built.stdout)
    );
    let archive = repository().join("target/muster-image.oci.tar");
    let archive_bytes = std::fs::metadata(&archive)
        .map_err(|e| format!("{}: {e}", archive.display()))?
        .len();
    let image = Image::read(&archive)?;
    // In target/, not a temporary directory: a static is never dropped, and
    // the next run replaces it.
    let rootfs = repository().join("target/muster-image.rootfs");
    if rootfs.exists() {
        std::fs::remove_dir_all(&rootfs).map_err(|e| format!("{}: {e}", rootfs.display()))?;
    }
    std::fs::create_dir_all(&rootfs).map_err(|e| format!("{}: {e}", rootfs.display()))?;
    image.unpack(&rootfs)?;
    // The root directory itself is the container's `/`: searchable by all.
    std::fs::set_permissions(&rootfs, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", rootfs.display()))?;
    Ok(Built {
        image,
        archive_bytes,
        rootfs,
    })
}

/// What the built image's configuration declares, in the terms of
/// [`Layout`] (its files are checked against the Dockerfile's separately).
fn configured(built: &Built) -> Layout {
    let config = built.image.config.config().clone().unwrap_or_default();
    let env = config
        .env()
        .clone()
        .unwrap_or_default()
        .iter()
        .filter_map(|variable| variable.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    Layout {
        env,
        user: config.user().clone().unwrap_or_default(),
        ports: config.exposed_ports().clone().unwrap_or_default(),
        entrypoint: config.entrypoint().clone().unwrap_or_default(),
        cmd: config.cmd().clone().unwrap_or_default(),
        ..Layout::default()
    }
}

/// Every file and symbolic link under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                pending.push(path);
            } else {
                files.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

fn dockerfile_layout() -> Layout {
    let dockerfile = std::fs::read_to_string(repository().join("Dockerfile")).unwrap();
    image_layout::from_dockerfile(&dockerfile).unwrap()
}

/// The configuration's environment, without the `PATH` a builder may add
/// (an image from scratch has nothing to find on it).
fn image_env(built: &Built) -> BTreeMap<String, String> {
    let mut env = configured(built).env;
    env.remove("PATH");
    env
}

/// The first of `name` on this machine's `PATH`.
fn host_tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{name} is not on PATH"))
}

/// A command running `argv` inside the image, as a container runtime
/// would: in its own mount namespace, the unpacked filesystem bind-mounted
/// read-only and chrooted into, as the configuration's user, with the
/// configuration's environment plus `extra_env` and nothing else.
fn in_image(built: &Built, argv: &[String], extra_env: &[(&str, &str)]) -> Command {
    let user = configured(built).user;
    assert!(!user.is_empty(), "the image names no user");
    let mut command = Command::new(host_tool("unshare"));
    command
        .env_clear()
        .envs(configured(built).env)
        .envs(extra_env.iter().copied())
        .args(["--mount", "--"])
        .arg(host_tool("sh"))
        .arg("-c")
        .arg(
            r#"mount=$1 chroot=$2 root=$3 user=$4; shift 4
"$mount" --bind -o ro "$root" "$root" && exec "$chroot" --userspec="$user" "$root" "$@""#,
        )
        .arg("sh")
        .arg(host_tool("mount"))
        .arg(host_tool("chroot"))
        .arg(&built.rootfs)
        .arg(&user)
        .args(argv);
    command
}

#[test]
fn image_configuration_matches_the_dockerfile() {
    let built = built();
    let dockerfile = dockerfile_layout();
    let image = configured(built);
    assert_eq!(image_env(built), dockerfile.env);
    assert_eq!(image.user, dockerfile.user);
    assert_eq!(image.ports, dockerfile.ports);
    assert_eq!(image.entrypoint, dockerfile.entrypoint);
    assert_eq!(image.cmd, dockerfile.cmd);
    // What the chart's Deployment and the server's defaults rely on,
    // spelled out.
    assert_eq!(image.user, "1000:1000");
    assert_eq!(image.ports, ["8080/tcp"]);
    assert_eq!(image.cmd, ["/usr/local/bin/muster"]);
    assert_eq!(
        image.env.get("MUSTER_ASSETS_DIR").map(String::as_str),
        Some("/app/dist")
    );
    let config = &built.image.config;
    assert_eq!(config.os().to_string(), "linux");
    assert_eq!(config.architecture().to_string(), "amd64");
}

#[test]
fn image_holds_exactly_what_the_dockerfile_copies() {
    let built = built();
    let mut expected = Vec::new();
    for (destination, source) in dockerfile_layout().files {
        let source = repository().join(source);
        let destination = PathBuf::from(destination.trim_start_matches('/'));
        if source.is_dir() {
            expected.extend(files_under(&source).into_iter().map(|file| {
                let in_image = destination.join(&file);
                (in_image, source.join(file))
            }));
        } else {
            expected.push((destination, source));
        }
    }
    expected.sort();
    let held = files_under(&built.rootfs);
    let expected_paths: Vec<&PathBuf> = expected.iter().map(|(in_image, _)| in_image).collect();
    assert_eq!(held.iter().collect::<Vec<_>>(), expected_paths);
    for (in_image, source) in &expected {
        assert!(
            std::fs::read(built.rootfs.join(in_image)).unwrap() == std::fs::read(source).unwrap(),
            "{} differs from {}",
            in_image.display(),
            source.display()
        );
    }
}

#[test]
fn image_is_at_most_20_mb() {
    let built = built();
    let unpacked = built.image.unpacked_size();
    eprintln!(
        "image: archive {} bytes, unpacked {unpacked} bytes",
        built.archive_bytes
    );
    assert!(
        built.archive_bytes <= MAX_IMAGE_BYTES,
        "the archive has {} bytes",
        built.archive_bytes
    );
    assert!(unpacked <= MAX_IMAGE_BYTES, "unpacked: {unpacked} bytes");
}

#[test]
fn every_binary_in_the_image_is_static() {
    let built = built();
    let mut binaries = Vec::new();
    for file in files_under(&built.rootfs) {
        let path = built.rootfs.join(&file);
        if !std::fs::symlink_metadata(&path).unwrap().is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if !bytes.starts_with(b"\x7fELF") {
            continue;
        }
        let name = file.display().to_string();
        let elf = goblin::elf::Elf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(elf.interpreter, None, "{name} needs a dynamic loader");
        assert!(
            elf.libraries.is_empty(),
            "{name} needs shared libraries: {:?}",
            elf.libraries
        );
        binaries.push(name);
    }
    assert_eq!(
        binaries,
        ["usr/local/bin/muster", "usr/local/bin/muster-check"]
    );
}

#[test]
fn muster_in_the_image_serves_as_uid_1000_on_a_read_only_root() {
    let built = built();
    let port = free_port().unwrap();
    let bind = format!("127.0.0.1:{port}");
    let command = configured(built).cmd;
    let logs = tempfile::tempdir().unwrap();
    let mut muster = ChildGuard::spawn(
        "muster",
        in_image(built, &command, &[("MUSTER_BIND", &bind)]),
        logs.path(),
    )
    .unwrap();
    muster
        .wait_for_port(bind.parse().unwrap(), START_TIMEOUT)
        .unwrap_or_else(|error| panic!("{error}; its log:\n{}", muster.log_text()));

    let health = http::get(&format!("http://{bind}/"), &[]).unwrap();
    assert_eq!(health.status, 200, "{health:?}");
    let health = health.json().unwrap();
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"), "{health}");
    // The app is where the image's MUSTER_ASSETS_DIR says.
    let page = http::get(
        &format!("http://{bind}/muster/"),
        &[("Accept", "text/html")],
    )
    .unwrap();
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains("<base href=\"/muster/\""),
        "{}",
        page.body
    );

    // The process that answered: the image's user, its root read-only.
    let proc = PathBuf::from(format!("/proc/{}", muster.pid()));
    let status = std::fs::read_to_string(proc.join("status")).unwrap();
    for ids in ["Uid:", "Gid:"] {
        let line = status.lines().find(|line| line.starts_with(ids)).unwrap();
        let values: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(values, ["1000"; 4], "{line}");
    }
    let mountinfo = std::fs::read_to_string(proc.join("mountinfo")).unwrap();
    let root = mountinfo
        .lines()
        .map(|line| line.split(' ').collect::<Vec<_>>())
        .find(|fields| fields.get(4) == Some(&"/"))
        .unwrap_or_else(|| panic!("no root mount:\n{mountinfo}"));
    assert!(
        root[5].split(',').any(|option| option == "ro"),
        "the root is mounted {}",
        root[5]
    );
    muster.stop();
}

#[test]
fn muster_check_in_the_image_prints_its_version() {
    let built = built();
    let argv = [
        "/usr/local/bin/muster-check".to_owned(),
        "--version".to_owned(),
    ];
    let output = output_within(
        "muster-check",
        in_image(built, &argv, &[]),
        b"",
        RUN_TIMEOUT,
    )
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("muster-check {}\n", env!("CARGO_PKG_VERSION"))
    );
}
