//! The `muster-check` binary: reads the process's arguments, environment
//! and streams, and hands them to [`muster_check::run_until`], which stops
//! early on Ctrl-C (or SIGTERM).

use std::io::IsTerminal as _;
use std::process::ExitCode;

use muster_report::environment::utf8_variables;

/// The variables `muster-check` reads.
const VARIABLES: [&str; 5] = [
    "MUSTER_CHECK_URL",
    "MUSTER_CHECK_TOKEN",
    "GAFAELFAWR_BOOTSTRAP_TOKEN",
    "MUSTER_SLACK_WEBHOOK",
    "NO_COLOR",
];

fn main() -> ExitCode {
    let mut args = Vec::new();
    for (at, arg) in std::env::args_os().skip(1).enumerate() {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            // Not shown: it may be a token.
            Err(_) => {
                eprintln!("muster-check: argument {} is not valid UTF-8", at + 1);
                return ExitCode::from(2);
            }
        }
    }
    let env = match utf8_variables(std::env::vars_os(), &VARIABLES) {
        Ok(env) => env,
        Err(variable) => {
            eprintln!("muster-check: {variable} is not valid UTF-8");
            return ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let stdout_is_terminal = stdout.is_terminal();
    let io = muster_check::Io {
        stdin: &mut std::io::stdin().lock(),
        stdout: &mut stdout.lock(),
        stderr: &mut std::io::stderr().lock(),
        stdout_is_terminal,
    };
    muster_check::run_until(&args, &env, io, interrupted()).into()
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM; never, if neither can be
/// watched (the run then still ends at its deadline).
async fn interrupted() {
    let sigterm = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                if signal.recv().await.is_none() {
                    std::future::pending::<()>().await;
                }
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = sigterm => {}
    }
}
