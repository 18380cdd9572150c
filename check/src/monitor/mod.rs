//! `muster-check --every`: the same run as a single `muster-check`, made
//! in rounds forever, its results served to Prometheus and its changes
//! posted to Slack.
//!
//! - [`rounds`]: the loop — one round at a time, each ended by
//!   `--deadline`, the next starting `--every` after the last one started
//!   (at once if it ran longer);
//! - [`round`]: what one round found;
//! - [`metrics`]: what Prometheus scrapes;
//! - [`latest`]: the last round's report and the loop's liveness;
//! - [`routes`] and [`serve`]: `/metrics`, `/report`, `/healthz`, served
//!   with limits;
//! - [`alerts`]: Slack messages on changes, not on every round.

pub mod alerts;
pub mod latest;
pub mod metrics;
pub mod round;
pub mod rounds;
pub mod routes;
pub mod serve;

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::args::{Monitor, Options};
use crate::{say, Exit};
use alerts::Alerts;
use latest::Latest;

/// How long, at shutdown, the last Slack posts may take to finish.
const ALERTS_GRACE: Duration = Duration::from_secs(5);

/// Runs the monitor until `interrupted` completes: exit 0 then, or 2 if it
/// cannot start (the address cannot be bound, the Slack client cannot be
/// built).
pub async fn run(
    options: &Options,
    monitor: &Monitor,
    mut stderr: impl Write,
    interrupted: impl Future<Output = ()>,
) -> Exit {
    let latest = Arc::new(Latest::new(options.deadline, options.timeout));
    let (stopping, shutdown) = watch::channel(false);
    let server = match monitor.listen {
        Some(address) => match tokio::net::TcpListener::bind(address).await {
            Ok(listener) => {
                let app = routes::router(Arc::clone(&latest));
                let mut closed = shutdown.clone();
                let stop = async move {
                    let _ = closed.wait_for(|stopping| *stopping).await;
                };
                Some(tokio::spawn(serve::serve(listener, app, stop)))
            }
            Err(error) => {
                say(
                    &mut stderr,
                    &format!("cannot listen on {address} (--listen): {error}"),
                    &[],
                );
                return Exit::CouldNotRun;
            }
        },
        None => None,
    };
    let mut alerts = match &monitor.slack_webhook {
        Some(webhook) => match Alerts::new(webhook.clone(), monitor.alert_interval) {
            Ok(alerts) => Some(alerts),
            Err(error) => {
                say(&mut stderr, &error, &[]);
                return Exit::CouldNotRun;
            }
        },
        None => None,
    };
    {
        let rounds = rounds::run(
            options,
            monitor.every,
            &latest,
            alerts.as_mut(),
            &mut stderr,
            shutdown,
        );
        tokio::pin!(rounds);
        tokio::pin!(interrupted);
        tokio::select! {
            () = rounds.as_mut() => {}
            () = interrupted => {
                // The round under way stops and revokes its tokens.
                let _ = stopping.send(true);
                rounds.await;
            }
        }
    }
    let _ = stopping.send(true);
    if let Some(alerts) = &alerts {
        let abandoned = alerts.finish(ALERTS_GRACE).await;
        if abandoned > 0 {
            say(
                &mut stderr,
                &format!("{abandoned} Slack messages still being posted at shutdown were given up"),
                &[],
            );
        }
    }
    if let Some(server) = server {
        let _ = server.await;
    }
    Exit::Pass
}
