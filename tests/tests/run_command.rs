//! The README's run command (`muster-stack`): it starts the whole stack,
//! prints working links and the server's log lines, and leaves nothing
//! running after SIGTERM, even one that arrives while it is still starting;
//! its command line (`--port`, `--fault`, `MUSTER_FAULT`, `--list-faults`)
//! does what the README says and refuses what it does not know.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use muster_stack::http;
use muster_stack::process::{free_port, poll_until, ChildGuard};
use muster_stack::stack::Fault;

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

/// Runs `muster-stack` with `args` (and `MUSTER_FAULT` if given) to its
/// end: only for command lines that exit at once, starting nothing.
fn muster_stack_exits(args: &[&str], muster_fault: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_muster-stack"));
    command.args(args).env_remove("MUSTER_FAULT");
    if let Some(fault) = muster_fault {
        command.env("MUSTER_FAULT", fault);
    }
    command.output().unwrap()
}

#[test]
fn list_faults_prints_every_fault_name_one_a_line() {
    let output = muster_stack_exits(&["--list-faults"], None);
    assert!(output.status.success(), "{output:?}");
    let names: Vec<String> = Fault::all().iter().map(Fault::to_string).collect();
    assert!(names.len() > 1);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        names.join("\n") + "\n"
    );
}

#[test]
fn help_names_every_flag_and_the_environment_variable() {
    let output = muster_stack_exits(&["--help"], None);
    assert!(output.status.success(), "{output:?}");
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--port <N>",
        "--fault <NAME>",
        "--list-faults",
        "MUSTER_FAULT",
        "8000",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
}

#[test]
fn bad_command_lines_exit_2_naming_the_problem_and_start_nothing() {
    for (args, muster_fault, named) in [
        (&["--fault", "no-such-fault"][..], None, "no-such-fault"),
        (&[][..], Some("no-such-fault"), "no-such-fault"),
        (&["--port", "eighty"][..], None, "eighty"),
        (&["--port", "70000"][..], None, "70000"),
        (&["--port"][..], None, "--port"),
        (&["--verbose"][..], None, "--verbose"),
    ] {
        let output = muster_stack_exits(args, muster_fault);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("Starting"),
            "{args:?} started the stack"
        );
    }
}

/// Starts `muster-stack` with `args` and `MUSTER_FAULT`, returns the fault
/// it reports running with, and stops it.
fn fault_shown(args: &[&str], muster_fault: &str) -> String {
    let port = free_port().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_muster-stack"));
    command
        .args(["--port", &port.to_string()])
        .args(args)
        .env("MUSTER_FAULT", muster_fault);
    let mut stack = ChildGuard::spawn("muster-stack", command, logs.path()).unwrap();
    let mut shown = None;
    wait_for_output(&mut stack, "muster-stack to print its fault", |output| {
        shown = output
            .lines()
            .find_map(|line| line.trim().strip_prefix("fault:"))
            .map(|fault| fault.trim().to_owned());
        shown.is_some()
    });
    terminate_and_check_stopped(&mut stack, port);
    shown.unwrap()
}

#[test]
fn the_fault_comes_from_muster_fault_and_the_flag_wins() {
    let faults = Fault::all();
    let (first, second) = (faults[0].to_string(), faults[1].to_string());
    assert_eq!(fault_shown(&[], &first), first);
    assert_eq!(fault_shown(&["--fault", &second], &first), second);
    assert_eq!(fault_shown(&[], ""), "none (healthy)");
}
