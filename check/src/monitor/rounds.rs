//! The monitor's loop: one round at a time (a round never overlaps the
//! next), each bounded by `--deadline` so that a hung target costs one
//! round, not the loop; the next starts `every` after the last one
//! started, or at once if the round ran longer. Each round re-reads the
//! token files, as a single run does, so tokens rotated in their Secrets
//! keep working.

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use super::alerts::Alerts;
use super::latest::Latest;
use super::round::Round;
use crate::args::Options;

/// Runs rounds until `shutdown` turns true, recording each in `latest` and
/// telling `alerts` (if any); every round's messages and a one-line
/// summary go to `stderr`.
pub async fn run(
    options: &Options,
    every: Duration,
    latest: &Latest,
    mut alerts: Option<&mut Alerts>,
    stderr: &mut dyn Write,
    mut shutdown: watch::Receiver<bool>,
) {
    let _alive = latest.loop_started();
    loop {
        let began = Instant::now();
        let started = SystemTime::now();
        latest.round_started(began);
        let mut messages = Vec::new();
        let checked = crate::round(options, &mut messages, shutdown.clone()).await;
        let _ = stderr.write_all(&messages);
        let round = Round {
            exit: checked.exit,
            started,
            duration: began.elapsed(),
            finished: checked.finished,
            messages: String::from_utf8_lossy(&messages).into_owned(),
        };
        let number = latest.record(&round);
        let _ = writeln!(
            stderr,
            "muster-check: round {number}: {} in {:.2} s",
            round.verdict(),
            round.duration.as_secs_f64()
        );
        if let Some(alerts) = alerts.as_deref_mut() {
            for problem in alerts.observe(&round, &options.target.base()) {
                let _ = writeln!(stderr, "muster-check: {problem}");
            }
        }
        if *shutdown.borrow() {
            return;
        }
        let next = tokio::time::Instant::from_std(began + every);
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        }
    }
}
