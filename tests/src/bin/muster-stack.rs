//! `muster-stack`: the README's run command. Starts the local stack on
//! loopback — the Gafaelfawr stand-in with a demo user, nginx rendered from
//! the chart, and the Muster server — prints where to open it, and stops
//! everything on Ctrl-C or SIGTERM.
//!
//! Usage: `muster-stack [--port N] [--fault NAME]`; `MUSTER_FAULT=NAME`
//! works too. `--list-faults` prints the fault names.

use std::process::ExitCode;

use muster_stack::stack::{Fault, Stack, StackOptions};

const USAGE: &str = "usage: muster-stack [--port N] [--fault NAME] [--list-faults]";

fn main() -> ExitCode {
    let mut options = StackOptions {
        port: Some(8000),
        ..StackOptions::default()
    };
    if let Some(name) = std::env::var("MUSTER_FAULT").ok().filter(|v| !v.is_empty()) {
        match name.parse::<Fault>() {
            Ok(fault) => options.fault = Some(fault),
            Err(error) => return usage(&format!("MUSTER_FAULT: {error}")),
        }
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list-faults" => {
                Fault::all().iter().for_each(|fault| println!("{fault}"));
                return ExitCode::SUCCESS;
            }
            "--port" => match args.next().map(|v| v.parse::<u16>()) {
                Some(Ok(port)) => options.port = Some(port),
                _ => return usage("--port takes a port number"),
            },
            "--fault" => match args.next().map(|v| v.parse::<Fault>()) {
                Some(Ok(fault)) => options.fault = Some(fault),
                Some(Err(error)) => return usage(&error),
                None => return usage("--fault takes a fault name (see --list-faults)"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let fault = options.fault;
    let stack = match Stack::start(options) {
        Ok(stack) => stack,
        Err(error) => {
            eprintln!("muster-stack: cannot start: {error}");
            return ExitCode::from(2);
        }
    };
    println!("Muster's local stack is running.");
    println!("  page:   {}", stack.page_url());
    println!("  log in: {}", stack.login_url());
    match fault {
        Some(fault) => println!("  fault:  {fault}"),
        None => println!("  fault:  none (healthy)"),
    }
    println!("  files:  {}", stack.work_dir().display());
    println!("Press Ctrl-C to stop.");
    if let Err(error) = wait_for_stop() {
        eprintln!("muster-stack: {error}");
    }
    println!("stopping…");
    drop(stack);
    ExitCode::SUCCESS
}

/// Blocks until Ctrl-C or SIGTERM.
fn wait_for_stop() -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("no runtime for signals: {e}"))?;
    runtime.block_on(async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        Ok(())
    })
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("muster-stack: {problem}\n{USAGE}");
    ExitCode::from(2)
}
