//! The README's run command (`muster-stack`): it starts the whole stack,
//! prints working links, and leaves nothing running after SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use muster_stack::process::{free_port, poll_until};

const STARTUP: Duration = Duration::from_secs(30);

#[test]
fn run_command_serves_the_page_and_stops_on_sigterm() {
    let port = free_port().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_muster-stack"))
        .args(["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut page = None;
    let mut login = None;
    while page.is_none() || login.is_none() {
        let line = match received.recv_timeout(STARTUP) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("muster-stack printed no page and login link within {STARTUP:?}");
            }
        };
        if let Some(url) = line.trim().strip_prefix("page:") {
            page = Some(url.trim().to_owned());
        }
        if let Some(url) = line.trim().strip_prefix("log in:") {
            login = Some(url.trim().to_owned());
        }
    }
    let page = page.unwrap();
    assert_eq!(page, format!("http://127.0.0.1:{port}/muster/"));

    let shell = ureq::get(&page).set("Accept", "text/html").call().unwrap();
    assert_eq!(shell.status(), 200);
    assert!(shell
        .into_string()
        .unwrap()
        .contains("<base href=\"/muster/\""));
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let login = agent.get(&login.unwrap()).call().unwrap();
    assert_eq!(login.status(), 302);
    assert_eq!(login.header("location"), Some(page.as_str()));
    assert!(login
        .header("set-cookie")
        .unwrap_or("")
        .starts_with("gafaelfawr="));

    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut status = None;
    poll_until(Duration::from_secs(15), "muster-stack to exit", || {
        status = child.try_wait().map_err(|e| e.to_string())?;
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
