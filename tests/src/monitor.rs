//! Reading `muster-check --every`'s `/metrics`, for the monitor's tests and
//! its bench: the round counter and each check's status.

use std::time::Duration;

use crate::http;
use crate::process::poll_until;

/// The text of `http://<listen>/metrics`.
pub fn metrics(listen: &str) -> Result<String, String> {
    let reply = http::get(&format!("http://{listen}/metrics"), &[])?;
    match reply.status {
        200 => Ok(reply.body),
        status => Err(format!("/metrics answered {status}: {}", reply.body)),
    }
}

/// Rounds finished, every verdict together (`muster_check_rounds_total`).
pub fn rounds(metrics: &str) -> u64 {
    samples(metrics, "muster_check_rounds_total")
        .map(|(_, value)| value as u64)
        .sum()
}

/// Rounds finished with `verdict` (`pass`, `fail`, `could_not_run`).
pub fn rounds_with(metrics: &str, verdict: &str) -> u64 {
    let labels = format!("{{verdict=\"{verdict}\"}}");
    samples(metrics, "muster_check_rounds_total")
        .filter(|(found, _)| *found == labels)
        .map(|(_, value)| value as u64)
        .sum()
}

/// The status `check` had in the last round that checked (the series of
/// `muster_check_status` at 1), if it has one.
pub fn status_of(metrics: &str, check: &str) -> Option<String> {
    let prefix = format!("{{check=\"{check}\",status=\"");
    samples(metrics, "muster_check_status")
        .filter(|(_, value)| *value == 1.0)
        .find_map(|(labels, _)| {
            let rest = labels.strip_prefix(&prefix)?;
            Some(rest.strip_suffix("\"}")?.to_owned())
        })
}

/// Every `name{labels} value` sample: its labels (braces included, or
/// empty) and value.
pub fn samples<'a>(metrics: &'a str, name: &'a str) -> impl Iterator<Item = (&'a str, f64)> + 'a {
    metrics.lines().filter_map(move |line| {
        let rest = line.strip_prefix(name)?;
        let (labels, value) = match rest.strip_prefix('{') {
            Some(_) => {
                let end = rest.find('}')? + 1;
                (&rest[..end], rest[end..].trim())
            }
            None if rest.starts_with(' ') => ("", rest.trim()),
            None => return None,
        };
        Some((labels, value.split(' ').next()?.parse().ok()?))
    })
}

/// Waits until the monitor listening on `listen` has finished at least
/// `count` rounds; returns its metrics then.
pub fn wait_for_rounds(listen: &str, count: u64, timeout: Duration) -> Result<String, String> {
    let mut last = String::new();
    poll_until(timeout, &format!("round {count} of the monitor"), || {
        // Not up yet, or between connections: look again.
        if let Ok(text) = metrics(listen) {
            last = text;
        }
        Ok(rounds(&last) >= count)
    })?;
    Ok(last)
}
