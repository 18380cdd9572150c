//! `muster-check-bench`: times full `muster-check` runs against the local
//! stack — minting both tokens, every probe, the JSON document and the
//! share link — in process, and prints min / median / max against the
//! target of one second per run.
//!
//! Usage: `muster-check-bench [--runs N]` (default 10). After the first run
//! the quota route's minute is used, so later runs see an immediate 429,
//! which the quota probe passes by design.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use muster_check::{Exit, Io};
use muster_stack::stack::{Stack, StackOptions};

/// The most a full run should take.
const TARGET: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("muster-check-bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let runs = parse_runs(&std::env::args().skip(1).collect::<Vec<_>>())?;
    let stack = Stack::start(StackOptions::default())?;
    let args: Vec<String> = ["--url", &stack.url(), "--format", "json"]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect();
    let env = HashMap::from([(
        "GAFAELFAWR_BOOTSTRAP_TOKEN".to_owned(),
        stack.gafaelfawr().bootstrap_token().to_owned(),
    )]);
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
    println!(
        "muster-check, {runs} full runs against the local stack: min {:.0} ms, median {:.0} ms, \
         max {:.0} ms",
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

fn parse_runs(args: &[String]) -> Result<usize, String> {
    match args {
        [] => Ok(10),
        [flag, count] if flag == "--runs" => count
            .parse()
            .ok()
            .filter(|runs| *runs > 0)
            .ok_or_else(|| format!("--runs {count:?} is not a positive number")),
        _ => Err("usage: muster-check-bench [--runs N]".to_owned()),
    }
}
