//! `muster-monitor-bench`: runs the release `muster-check --every` (the
//! binary beside this one) against the local stack at the shortest
//! interval for many rounds, and reads its resident memory from
//! `/proc/<pid>/status` after the 10th round and after the last: the
//! monitor must not grow (within 2 MB) and must stay within 20 MB.
//!
//! Usage: `muster-monitor-bench [--rounds N]` (default 1000).

use std::num::NonZeroU64;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use clap::Parser;
use muster_stack::monitor::{metrics, rounds_with, wait_for_rounds};
use muster_stack::process::{free_port, ChildGuard};
use muster_stack::stack::{Stack, StackOptions};

/// Most growth allowed between the 10th round and the last.
const MAX_GROWTH_KB: u64 = 2 * 1024;
/// Most resident memory allowed after the last round.
const MAX_RSS_KB: u64 = 20 * 1024;
/// The round after which the baseline is read.
const BASELINE_ROUND: u64 = 10;
/// The bound on the whole bench.
const PATIENCE: Duration = Duration::from_secs(3600);

/// Runs `muster-check --every` for many rounds and checks its memory.
#[derive(Parser)]
#[command(name = "muster-monitor-bench", args_override_self = true)]
struct Args {
    /// How many rounds to run (at least 11).
    #[arg(long, value_name = "N", default_value = "1000")]
    rounds: NonZeroU64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args.rounds.get().max(BASELINE_ROUND + 1)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("muster-monitor-bench: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(rounds: u64) -> Result<bool, String> {
    let binary = sibling("muster-check")?;
    let stack = Stack::start(StackOptions::default())?;
    let standin = stack.gafaelfawr();
    let dir = tempfile::tempdir().map_err(|error| format!("no work dir: {error}"))?;
    let (scoped, no_scope) = (dir.path().join("token"), dir.path().join("no-scope-token"));
    let write = |path: &PathBuf, scopes: &[&str]| {
        std::fs::write(
            path,
            standin.issue_token("bot-check-muster", "service", scopes),
        )
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
    };
    write(&scoped, &["read:image"])?;
    write(&no_scope, &[])?;
    let port = free_port().map_err(|error| format!("no free port: {error}"))?;
    let listen = format!("127.0.0.1:{port}");
    let mut command = Command::new(&binary);
    command.env_clear().args([
        "--url",
        &stack.url(),
        "--token-file",
        &scoped.display().to_string(),
        "--no-scope-token-file",
        &no_scope.display().to_string(),
        "--argocd",
        "off",
        "--every",
        "100ms",
        "--listen",
        &listen,
    ]);
    let mut monitor = ChildGuard::spawn("muster-check-monitor", command, dir.path())
        .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
    let started = Instant::now();
    wait_for_rounds(&listen, BASELINE_ROUND, PATIENCE)?;
    let baseline = rss_kb(monitor.pid())?;
    let text = wait_for_rounds(&listen, rounds, PATIENCE)?;
    let last = rss_kb(monitor.pid())?;
    let elapsed = started.elapsed();
    let passed = rounds_with(&text, "pass");
    let final_text = metrics(&listen)?;
    if let Some(exited) = monitor.exited() {
        return Err(format!("the monitor exited early: {exited}"));
    }
    monitor.stop();
    let growth = last.saturating_sub(baseline);
    println!(
        "muster-check --every 100ms, {rounds} rounds against the local stack in {:.0} s \
         ({passed} passed): RSS after round {BASELINE_ROUND} {:.1} MB, after round {rounds} \
         {:.1} MB (growth {:.1} MB)",
        elapsed.as_secs_f64(),
        mb(baseline),
        mb(last),
        mb(growth)
    );
    let met = growth <= MAX_GROWTH_KB && last <= MAX_RSS_KB && passed >= rounds;
    println!(
        "budget: growth ≤ {:.0} MB, RSS ≤ {:.0} MB, every round passed: {}",
        mb(MAX_GROWTH_KB),
        mb(MAX_RSS_KB),
        if met { "met" } else { "MISSED" }
    );
    if !met {
        eprintln!("{final_text}");
    }
    Ok(met)
}

/// A binary built beside this one (`target/release/<name>`).
fn sibling(name: &str) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|error| format!("where am I? {error}"))?;
    let path = me.with_file_name(name);
    match path.is_file() {
        true => Ok(path),
        false => Err(format!(
            "no {} (build it: cargo build --release -p muster-check)",
            path.display()
        )),
    }
}

/// The resident set of process `pid`, in KiB (`VmRSS`).
fn rss_kb(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|error| format!("cannot read the monitor's status: {error}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in the monitor's status".to_owned())
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}
