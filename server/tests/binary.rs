//! The `muster` binary as an operator runs it: refusing a bad configuration
//! with the variable's name, and stopping cleanly on SIGTERM.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_muster");
const POLL_INTERVAL: Duration = Duration::from_millis(20);

fn assets_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<html></html>").unwrap();
    dir
}

/// Polls `done` until it is true or `timeout` passes (then kills `child`).
fn wait_for(
    child: &mut Child,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut(&mut Child) -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !done(child) {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

#[test]
fn bad_prefix_is_refused_naming_the_variable() {
    let dir = assets_dir();
    let output = Command::new(BINARY)
        .env("MUSTER_PATH_PREFIX", "muster")
        .env("MUSTER_ASSETS_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("MUSTER_PATH_PREFIX"), "{stderr}");
}

#[test]
fn missing_assets_are_refused_naming_the_variable() {
    let output = Command::new(BINARY)
        .env("MUSTER_ASSETS_DIR", "/nonexistent/muster/dist")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
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
    let mut child = Command::new(BINARY)
        .env("MUSTER_BIND", addr.to_string())
        .env("MUSTER_ASSETS_DIR", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
        .args(["-TERM", &child.id().to_string()])
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
