//! The README's run command (`muster-stack`): it starts the whole stack,
//! prints working links, and leaves nothing running after SIGTERM.

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
