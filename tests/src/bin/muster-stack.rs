//! `muster-stack`: the README's run command. Starts the local stack on
//! loopback — the Gafaelfawr stand-in with a demo user, nginx rendered from
//! the chart, and the Muster server — prints where to open it, writes the
//! server's log lines to standard error, and stops everything on Ctrl-C or
//! SIGTERM.
//!
//! Usage: `muster-stack [--port N] [--fault NAME]`; `MUSTER_FAULT=NAME`
//! works too (the flag wins). `--list-faults` prints the fault names.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};
use muster_stack::stack::{Fault, Stack, StackOptions};
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Starts Muster's local stack on 127.0.0.1 (the Gafaelfawr stand-in with a
/// demo user, nginx rendered from the chart, the Muster server), prints the
/// page and a login link, and stops everything on Ctrl-C or SIGTERM.
#[derive(Parser)]
#[command(name = "muster-stack", args_override_self = true)]
struct Args {
    /// The port nginx listens on: the page is http://127.0.0.1:N/muster/.
    #[arg(long, value_name = "N", default_value_t = 8000)]
    port: u16,
    /// Start broken on purpose with this fault (see --list-faults).
    #[arg(long, value_name = "NAME", env = "MUSTER_FAULT")]
    fault: Option<Fault>,
    /// Print every fault's name, one a line, and exit.
    #[arg(long)]
    list_faults: bool,
}

/// Reads the command line and `MUSTER_FAULT`. clap would take an empty
/// `MUSTER_FAULT` for the fault named "": empty means no fault, as unset.
fn parse_args() -> Args {
    let mut command = Args::command();
    if std::env::var_os("MUSTER_FAULT").is_some_and(|value| value.is_empty()) {
        command = command.mut_arg("fault", |arg| arg.env(None::<&'static str>));
    }
    Args::from_arg_matches(&command.get_matches()).unwrap_or_else(|error| error.exit())
}

fn main() -> ExitCode {
    let args = parse_args();
    if args.list_faults {
        Fault::all().iter().for_each(|fault| println!("{fault}"));
        return ExitCode::SUCCESS;
    }
    let options = StackOptions {
        port: Some(args.port),
        fault: args.fault,
        echo_server_logs: true,
        ..StackOptions::default()
    };
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
    if let Some(tls) = stack.tls_url(0) {
        println!("  TLS:    {tls} (CA: {})", stack.ca_file().display());
    }
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
