//! `muster-stack`: the README's run command. Starts the local stack on
//! loopback, prints where to open it, and stops everything on Ctrl-C.
//!
//! Usage: `muster-stack [--port N]` (default 8000).

use std::process::ExitCode;

use muster_stack::stack::{Stack, StackOptions};

fn main() -> ExitCode {
    let mut options = StackOptions {
        port: Some(8000),
        ..StackOptions::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(value)) => match value.parse() {
                Ok(port) => options.port = Some(port),
                Err(_) => return usage(&format!("--port takes a port number, not {value:?}")),
            },
            _ => return usage(&format!("unknown argument {arg:?}")),
        }
    }
    let stack = match Stack::start(options.clone()) {
        Ok(stack) => stack,
        Err(error) => {
            eprintln!("muster-stack: cannot start: {error}");
            return ExitCode::from(2);
        }
    };
    let page = format!("{}{}/", stack.url(), options.path_prefix);
    println!("Muster's local stack is running.");
    println!("  page:  {page}");
    println!("  logs:  {}", stack.work_dir().display());
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
    eprintln!("muster-stack: {problem}\nusage: muster-stack [--port N]");
    ExitCode::from(2)
}
