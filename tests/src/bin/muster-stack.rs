//! `muster-stack`: the README's run command. Starts the local stack on
//! loopback — the Gafaelfawr stand-in with a demo user, nginx rendered from
//! the chart, and the Muster server — prints where to open it, writes the
//! server's log lines to standard error, and stops everything on Ctrl-C or
//! SIGTERM.
//!
//! Usage: `muster-stack [--port N] [--fault NAME]`; `MUSTER_FAULT=NAME`
//! works too. `--list-faults` prints the fault names.

use std::process::ExitCode;

use muster_stack::stack::{Fault, Stack, StackOptions};
use tokio::signal::unix::{signal, Signal, SignalKind};

const USAGE: &str = "usage: muster-stack [--port N] [--fault NAME] [--list-faults]";

fn main() -> ExitCode {
    let mut options = StackOptions {
        port: Some(8000),
        echo_server_logs: true,
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
    // Listened for before anything starts: a signal during start-up then
    // stops what was started instead of killing this process and leaving
    // nginx running.
    let signals = match StopSignals::listen() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("muster-stack: {error}");
            return ExitCode::from(2);
        }
    };
    println!("Starting Muster's local stack…");
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
    signals.wait();
    println!("stopping…");
    drop(stack);
    ExitCode::SUCCESS
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from the moment they are listened
/// for; one that arrives earlier than [`StopSignals::wait`] is kept.
struct StopSignals {
    runtime: tokio::runtime::Runtime,
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignals {
    /// Starts catching both signals.
    fn listen() -> Result<StopSignals, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("no runtime for signals: {e}"))?;
        let context = runtime.enter();
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| format!("cannot listen for {name}: {e}"))
        };
        let interrupt = listen(SignalKind::interrupt(), "SIGINT")?;
        let terminate = listen(SignalKind::terminate(), "SIGTERM")?;
        drop(context);
        Ok(StopSignals {
            runtime,
            interrupt,
            terminate,
        })
    }

    /// Blocks until either signal has arrived (at once if one already did).
    fn wait(self) {
        let StopSignals {
            runtime,
            mut interrupt,
            mut terminate,
        } = self;
        runtime.block_on(async {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        });
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("muster-stack: {problem}\n{USAGE}");
    ExitCode::from(2)
}
