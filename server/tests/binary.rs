//! The `muster` binary as an operator runs it: refusing a bad configuration
//! with the variable's name, and stopping cleanly on SIGTERM.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_muster");
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Bound on a refusal: a `muster` that wrongly starts would serve forever.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(10);

/// A spawned `muster`, killed when dropped (a failed assertion included)
/// unless it has already exited.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `command` (stdout discarded) until it exits, within `timeout`, and
/// returns its status and stderr; panics, killing it, if it does not exit.
fn output_within(mut command: Command, timeout: Duration) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut running = Running(command.spawn().unwrap());
    let mut pipe = running.0.stderr.take().unwrap();
    // Read in a thread, so that a full pipe cannot block the child; the
    // pipe closes when the child exits or is killed.
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    });
    let mut status = None;
    wait_for(&mut running, timeout, "muster to exit", |child| {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    Output {
        status: status.unwrap(),
        stdout: Vec::new(),
        stderr: stderr.join().unwrap(),
    }
}

fn assets_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["index.html", "pages.html"] {
        std::fs::write(dir.path().join(shell), "<html></html>").unwrap();
    }
    dir
}

/// Polls `done` until it is true or `timeout` passes (then panics, and
/// dropping `running` kills it).
fn wait_for(
    running: &mut Running,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut(&mut Child) -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !done(&mut running.0) {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Runs `muster` on a loopback port with `vars`, expects it to refuse to
/// start (exit 2), and returns what it said.
fn refusal(vars: &[(&str, &std::ffi::OsStr)]) -> String {
    let mut command = Command::new(BINARY);
    command.env("MUSTER_BIND", "127.0.0.1:0");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = output_within(command, REFUSAL_TIMEOUT);
    assert_eq!(output.status.code(), Some(2), "{vars:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_prefix_is_refused_naming_the_variable() {
    let dir = assets_dir();
    let stderr = refusal(&[
        ("MUSTER_PATH_PREFIX", "muster".as_ref()),
        ("MUSTER_ASSETS_DIR", dir.path().as_os_str()),
    ]);
    assert!(stderr.contains("MUSTER_PATH_PREFIX"), "{stderr}");
}

#[test]
fn missing_assets_are_refused_naming_the_variable() {
    let stderr = refusal(&[("MUSTER_ASSETS_DIR", "/nonexistent/muster/dist".as_ref())]);
    assert!(stderr.contains("MUSTER_ASSETS_DIR"), "{stderr}");
}

#[test]
fn non_utf8_variables_are_named_or_ignored_never_a_panic() {
    use std::os::unix::ffi::OsStrExt as _;
    let not_utf8 = std::ffi::OsStr::from_bytes(b"/mu\xffster");
    let stderr = refusal(&[("MUSTER_PATH_PREFIX", not_utf8)]);
    assert!(
        stderr.contains("MUSTER_PATH_PREFIX: is not valid UTF-8"),
        "{stderr}"
    );
    // Someone else's variable is none of Muster's business: the refusal
    // is about the missing assets, not a panic about the environment.
    let stderr = refusal(&[
        ("SOMEONE_ELSES", not_utf8),
        ("MUSTER_ASSETS_DIR", "/nonexistent/muster/dist".as_ref()),
    ]);
    assert!(stderr.contains("MUSTER_ASSETS_DIR"), "{stderr}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = assets_dir();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut child = Running(
        Command::new(BINARY)
            .env("MUSTER_BIND", addr.to_string())
            .env("MUSTER_ASSETS_DIR", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(
        &mut child,
        Duration::from_secs(10),
        "muster to listen",
        |child| {
            assert!(
                child.try_wait().unwrap().is_none(),
                "muster exited before listening"
            );
            TcpStream::connect(addr).is_ok()
        },
    );
    let sent = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut status: Option<ExitStatus> = None;
    wait_for(
        &mut child,
        Duration::from_secs(10),
        "muster to stop after SIGTERM",
        |child| {
            status = child.try_wait().unwrap();
            status.is_some()
        },
    );
    assert!(status.unwrap().success(), "{status:?}");
}
