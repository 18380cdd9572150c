//! `muster-check-bench`: times full `muster-check` runs against the local
//! stack — minting both tokens, every probe, the JSON document and the
//! share link — in process, and prints min / median / max against the
//! target of one second per run.
//!
//! Usage: `muster-check-bench [--runs N] [--argocd-apps N]` (default 10
//! runs, 500 Argo CD applications from the Argo CD stand-in, each a row of
//! the run; 0 leaves Argo CD out). After the first run the quota route's
//! minute is used, so later runs see an immediate 429, which the quota
//! probe passes by design.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use muster_check::{Exit, Io};
use muster_stack::argocd::{AppState, ArgoCdStandin, ScriptedApp};
use muster_stack::stack::{Stack, StackOptions};

/// The most a full run should take.
const TARGET: Duration = Duration::from_secs(1);

/// Times full `muster-check` runs (both tokens minted, every probe, the
/// JSON document and the share link) against the local stack, in process,
/// and prints min / median / max against the target of one second a run.
#[derive(Parser)]
#[command(name = "muster-check-bench", args_override_self = true)]
struct Args {
    /// How many runs to time.
    #[arg(long, value_name = "N", default_value = "10")]
    runs: NonZeroUsize,

    /// How many Healthy applications the Argo CD stand-in lists (0: no
    /// Argo CD).
    #[arg(long, value_name = "N", default_value = "500")]
    argocd_apps: usize,
}

/// Argo CD's API token in the stand-in.
const ARGOCD_TOKEN: &str = "muster-check-bench-argocd-token";

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args.runs.get(), args.argocd_apps) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("muster-check-bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(runs: usize, argocd_apps: usize) -> Result<bool, String> {
    let stack = Stack::start(StackOptions::default())?;
    let mut args: Vec<String> = ["--url", &stack.url(), "--format", "json"]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect();
    let mut env = HashMap::from([(
        "GAFAELFAWR_BOOTSTRAP_TOKEN".to_owned(),
        stack.gafaelfawr().bootstrap_token().to_owned(),
    )]);
    // The stand-in runs on a runtime of its own, while muster-check runs
    // its own on this thread.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime for Argo CD: {error}"))?;
    let argocd = if argocd_apps > 0 {
        let apps = (0..argocd_apps)
            .map(|i| ScriptedApp::new(&format!("app-{i:04}"), AppState::healthy()))
            .collect();
        let standin = runtime
            .block_on(ArgoCdStandin::start(ARGOCD_TOKEN, apps))
            .map_err(|error| format!("cannot start the Argo CD stand-in: {error}"))?;
        args.extend(["--argocd-url".to_owned(), standin.url()]);
        env.insert("ARGOCD_AUTH_TOKEN".to_owned(), ARGOCD_TOKEN.to_owned());
        Some(standin)
    } else {
        args.extend(["--argocd".to_owned(), "off".to_owned()]);
        None
    };
    let mut times = Vec::with_capacity(runs);
    for index in 0..runs {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let started = Instant::now();
        let exit = muster_check::run(
            &args,
            &env,
            Io {
                stdin: &mut std::io::empty(),
                stdout: &mut stdout,
                stderr: &mut stderr,
                stdout_is_terminal: false,
            },
        );
        let elapsed = started.elapsed();
        if exit != Exit::Pass {
            return Err(format!(
                "run {} did not pass ({exit:?}):\n{}{}",
                index + 1,
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&stderr)
            ));
        }
        times.push(elapsed);
    }
    times.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let (min, max) = (times[0], times[times.len() - 1]);
    if let Some(standin) = argocd {
        runtime.block_on(standin.stop());
    }
    println!(
        "muster-check, {runs} full runs against the local stack and {argocd_apps} Argo CD \
         applications: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        ms(min),
        ms(median),
        ms(max)
    );
    let met = max <= TARGET;
    println!(
        "target ≤ {} ms per run: {}",
        TARGET.as_millis(),
        if met { "met" } else { "MISSED" }
    );
    Ok(met)
}
