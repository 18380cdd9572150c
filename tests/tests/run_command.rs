//! The README's run command (`muster-stack`): it starts the whole stack,
//! prints working links and the server's log lines, and leaves nothing
//! running after SIGTERM, even one that arrives while it is still starting.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use muster_stack::http;
use muster_stack::process::{free_port, poll_until, ChildGuard};

const STARTUP: Duration = Duration::from_secs(30);

/// Starts `muster-stack --port <port>`, its output going to `logs`. It is
/// stopped (and, through its own shutdown, its nginx) on any panic.
fn start_muster_stack(port: u16, logs: &Path) -> ChildGuard {
    let mut command = Command::new(env!("CARGO_BIN_EXE_muster-stack"));
    command.args(["--port", &port.to_string()]);
    ChildGuard::spawn("muster-stack", command, logs).unwrap()
}

/// Waits until `found` holds for `stack`'s output so far; fails if it
/// exits first.
fn wait_for_output(stack: &mut ChildGuard, what: &str, mut found: impl FnMut(&str) -> bool) {
    poll_until(STARTUP, what, || {
        if let Some(exit) = stack.exited() {
            return Err(format!("{exit}; its output:\n{}", stack.log_text()));
        }
        Ok(found(&stack.log_text()))
    })
    .unwrap_or_else(|error| panic!("{error}\nits output:\n{}", stack.log_text()));
}

/// Sends SIGTERM and checks that `stack` exits by itself (not killed by
/// the signal, which would leave its nginx running) and that nothing
/// listens on `port` any more.
fn terminate_and_check_stopped(stack: &mut ChildGuard, port: u16) {
    let sent = Command::new("kill")
        .args(["-TERM", &stack.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut status = None;
    poll_until(STARTUP, "muster-stack to exit", || {
        status = stack.exit_status();
        Ok(status.is_some())
    })
    .unwrap();
    assert!(
        status.unwrap().success(),
        "{status:?}; its output:\n{}",
        stack.log_text()
    );
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
        "nginx still listens after the stack stopped"
    );
}

#[test]
fn run_command_serves_the_page_and_stops_on_sigterm() {
    let port = free_port().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut stack = start_muster_stack(port, logs.path());
    let (mut page, mut login) = (None, None);
    wait_for_output(&mut stack, "muster-stack to print its links", |output| {
        for line in output.lines() {
            if let Some(url) = line.trim().strip_prefix("page:") {
                page = Some(url.trim().to_owned());
            }
            if let Some(url) = line.trim().strip_prefix("log in:") {
                login = Some(url.trim().to_owned());
            }
        }
        page.is_some() && login.is_some()
    });
    let page = page.unwrap();
    assert_eq!(page, format!("http://127.0.0.1:{port}/muster/"));

    let shell = http::get(&page, &[("Accept", "text/html")]).unwrap();
    assert_eq!(shell.status, 200);
    assert!(shell.body.contains("<base href=\"/muster/\""));
    let login = http::get(&login.unwrap(), &[]).unwrap();
    assert_eq!(login.status, 302);
    assert_eq!(login.header("location"), Some(page.as_str()));
    let set_cookie = login.header("set-cookie").unwrap_or("");
    let session = set_cookie.split(';').next().unwrap_or_default();
    let token = session
        .strip_prefix("gafaelfawr=")
        .unwrap_or_else(|| panic!("no session cookie: {set_cookie}"));
    assert!(!token.is_empty(), "{set_cookie}");

    // The server's lines reach the terminal, redacted like every log line:
    // the session token of the request is not among them.
    let checked = http::get(&format!("{page}auth/fail"), &[("cookie", session)]).unwrap();
    assert_eq!(checked.status, 200, "{checked:?}");
    wait_for_output(&mut stack, "the server's request line", |output| {
        output
            .lines()
            .any(|line| line.contains("request") && line.contains("/muster/auth/fail"))
    });
    assert!(
        !stack.log_text().contains(token),
        "the session token was printed"
    );

    terminate_and_check_stopped(&mut stack, port);
}

#[test]
fn a_sigterm_during_start_up_still_stops_what_was_started() {
    let port = free_port().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut stack = start_muster_stack(port, logs.path());
    // The line comes before the chart is rendered and the servers and
    // nginx start, which takes a few hundred milliseconds.
    wait_for_output(&mut stack, "muster-stack to begin starting", |output| {
        output.contains("Starting Muster's local stack")
    });
    terminate_and_check_stopped(&mut stack, port);
}
