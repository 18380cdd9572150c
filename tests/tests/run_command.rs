//! The README's run command (`muster-stack`): it starts the whole stack,
//! prints working links, and leaves nothing running after SIGTERM, even one
//! that arrives while it is still starting.

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use muster_stack::http;
use muster_stack::process::{free_port, poll_until, ChildGuard};

const STARTUP: Duration = Duration::from_secs(30);

#[test]
fn run_command_serves_the_page_and_stops_on_sigterm() {
    let port = free_port().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_muster-stack"));
    command.args(["--port", &port.to_string()]);
    // Stopped (and, through its own shutdown, its nginx) on any panic.
    let mut stack = ChildGuard::spawn("muster-stack", command, logs.path()).unwrap();
    let (mut page, mut login) = (None, None);
    poll_until(STARTUP, "muster-stack to print its links", || {
        if let Some(exit) = stack.exited() {
            return Err(format!("{exit}; its output:\n{}", stack.log_text()));
        }
        for line in stack.log_text().lines() {
            if let Some(url) = line.trim().strip_prefix("page:") {
                page = Some(url.trim().to_owned());
            }
            if let Some(url) = line.trim().strip_prefix("log in:") {
                login = Some(url.trim().to_owned());
            }
        }
        Ok(page.is_some() && login.is_some())
    })
    .unwrap_or_else(|error| panic!("{error}\nits output:\n{}", stack.log_text()));
    let page = page.unwrap();
    assert_eq!(page, format!("http://127.0.0.1:{port}/muster/"));

    let shell = http::get(&page, &[("Accept", "text/html")]).unwrap();
    assert_eq!(shell.status, 200);
    assert!(shell.body.contains("<base href=\"/muster/\""));
    let login = http::get(&login.unwrap(), &[]).unwrap();
    assert_eq!(login.status, 302);
    assert_eq!(login.header("location"), Some(page.as_str()));
    assert!(login
        .header("set-cookie")
        .unwrap_or("")
        .starts_with("gafaelfawr="));

    // The server's lines reach the terminal (redacted like every log
    // line: the session cookie the login set is not among them).
    let cookie = login.header("set-cookie").unwrap_or("").to_owned();
    let value = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default();
    assert!(!value.is_empty(), "{cookie}");
    let session = cookie.split(';').next().unwrap_or_default();
    let checked = http::get(&format!("{page}auth/fail"), &[("cookie", session)]).unwrap();
    assert_eq!(checked.status, 200, "{checked:?}");
    poll_until(STARTUP, "the server's request line in the output", || {
        Ok(stack
            .log_text()
            .lines()
            .any(|line| line.contains("request") && line.contains("/muster/auth/fail")))
    })
    .unwrap_or_else(|error| panic!("{error}\nits output:\n{}", stack.log_text()));
    assert!(
        !stack.log_text().contains(&value),
        "the session token was printed"
    );

    let sent = Command::new("kill")
        .args(["-TERM", &stack.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut status = None;
    poll_until(Duration::from_secs(15), "muster-stack to exit", || {
        status = stack.exit_status();
        Ok(status.is_some())
    })
    .unwrap();
    assert!(status.unwrap().success(), "{status:?}");
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
        "nginx still listens after the stack stopped"
    );
}

#[test]
fn a_sigterm_during_start_up_still_stops_what_was_started() {
    let port = free_port().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_muster-stack"));
    command.args(["--port", &port.to_string()]);
    let mut stack = ChildGuard::spawn("muster-stack", command, logs.path()).unwrap();
    // The line comes before the chart is rendered and the servers and
    // nginx start, which takes a good part of a second.
    poll_until(STARTUP, "muster-stack to begin starting", || {
        if let Some(exit) = stack.exited() {
            return Err(format!("{exit}; its output:\n{}", stack.log_text()));
        }
        Ok(stack.log_text().contains("Starting Muster's local stack"))
    })
    .unwrap();
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
    // Killed by the signal, it would not have stopped its nginx.
    assert!(
        status.unwrap().success(),
        "{status:?}; its output:\n{}",
        stack.log_text()
    );
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
        "nginx still listens after a SIGTERM during start-up"
    );
}
