//! `scripts/setup`, which `./dev run` and `./dev test` run first. On a
//! machine without the Debian packages a user who is not root cannot
//! install them: the script must stop before installing anything, with one
//! message naming the packages and the command to run as root.
//!
//! The script runs for real, as an unprivileged user (`nobody` when the
//! tests run as root, else the tests' own user), on a copy of the files it
//! reads; an empty dpkg database (`DPKG_ADMINDIR`, which `dpkg-query`
//! honours) makes every Debian package look missing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use muster_stack::process::running_as_root;

fn repo_file(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// The Debian packages the script installs, from its `APT_PACKAGES=(…)`.
fn apt_packages() -> Vec<String> {
    let script = std::fs::read_to_string(repo_file("scripts/setup")).unwrap();
    let list = script
        .lines()
        .find_map(|line| line.strip_prefix("APT_PACKAGES=("))
        .and_then(|rest| rest.strip_suffix(')'))
        .expect("APT_PACKAGES=(…) in scripts/setup");
    list.split_whitespace().map(str::to_owned).collect()
}

/// Lays out the script with the files it reads in a folder any user can
/// read (the checkout may sit below one only its owner can enter), with an
/// empty dpkg database beside them.
fn copy_of_the_script(dir: &Path) {
    let open = std::fs::Permissions::from_mode(0o755);
    for folder in ["", "scripts", "dpkg", "home"] {
        let path = dir.join(folder);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::set_permissions(&path, open.clone()).unwrap();
    }
    for file in ["scripts/setup", "Cargo.lock", "Trunk.toml"] {
        std::fs::copy(repo_file(file), dir.join(file)).unwrap();
        std::fs::set_permissions(dir.join(file), open.clone()).unwrap();
    }
    std::fs::write(dir.join("dpkg/status"), "").unwrap();
}

/// Runs the copy as a user who is not root, with a plain system PATH.
fn run_as_a_user(dir: &Path) -> Output {
    let script = dir.join("scripts/setup");
    let mut command = if running_as_root() {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        command.arg(&script);
        command
    } else {
        Command::new(&script)
    };
    command
        .arg("--quiet")
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", dir.join("home"))
        .env("LANG", "C.UTF-8")
        .env("DPKG_ADMINDIR", dir.join("dpkg"))
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", script.display()))
}

#[test]
fn setup_as_a_user_stops_before_installing_naming_the_packages_and_the_root_command() {
    let dir = tempfile::tempdir().unwrap();
    copy_of_the_script(dir.path());
    let output = run_as_a_user(dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = format!(
        "status {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );

    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        !stdout.contains("installing") && !stderr.contains("installing"),
        "it began installing: {shown}"
    );
    assert_eq!(
        stderr.matches("[setup] STOPPED").count(),
        1,
        "not one message: {shown}"
    );
    assert!(!stderr.contains("FAILED"), "{shown}");
    let missing_line = stderr
        .lines()
        .find(|line| line.contains("missing Debian packages:"))
        .unwrap_or_else(|| panic!("no package list: {shown}"));
    let command_line = stderr
        .lines()
        .find(|line| line.contains("run:"))
        .unwrap_or_else(|| panic!("no command to run: {shown}"));
    assert!(
        command_line.contains("sudo sh -c 'apt-get update && apt-get install -y "),
        "{shown}"
    );
    for package in apt_packages() {
        let named = |line: &str| line.split_whitespace().any(|word| word == package);
        assert!(named(missing_line), "{package} not named: {shown}");
        assert!(
            named(command_line.trim_end_matches('\'')),
            "{package} not in the command: {shown}"
        );
    }
}
