//! The checklist for people: one line per probe as it finishes (with a
//! "running" line on a terminal), then the details of every problem with
//! its fix and a copy-as-curl line, the verdict and the share link.

use std::fmt::Write as _;

use anstyle::AnsiColor;
use muster_report::probe::run::Run;
use muster_report::probe::verdict::{headline, Tally};
use muster_report::probe::{ProbeDef, ProbeResult};
use muster_report::{Check, Status};

use crate::terminal::escape as shown;
pub use crate::terminal::Style;

/// Most evidence items shown per problem (the JSON output has them all).
const EVIDENCE_SHOWN: usize = 12;

/// The line shown while probe `index` runs (terminal only; the finished
/// line replaces it).
pub fn running_line(style: Style, index: usize, total: usize, probe: &ProbeDef) -> String {
    style.dim(&format!(
        "  ....  {}  [{}/{total}] {}",
        probe.description.id,
        index + 1,
        probe.description.title
    ))
}

/// The line of a finished probe.
pub fn finished_line(style: Style, result: &ProbeResult) -> String {
    let check = &result.check;
    format!(
        "  {}  {}  {}",
        status(style, check.status),
        check.id,
        check.title
    )
}

/// The line of a finished probe written over its `running` line (terminal
/// only): back to the line's start, then spaces over whatever the finished
/// line is too short to cover. Spaces rather than an erase sequence, so
/// that nothing but colour needs the terminal's escape sequences.
pub fn finished_over(style: Style, result: &ProbeResult, running: &str) -> String {
    let finished = finished_line(style, result);
    let width = |line: &str| {
        anstream::adapter::strip_str(line)
            .to_string()
            .chars()
            .count()
    };
    let pad = width(running).saturating_sub(width(&finished));
    format!("\r{finished}{}\n", " ".repeat(pad))
}

/// The verdict word, coloured.
pub fn status(style: Style, status: Status) -> String {
    let (colour, bold, word) = match status {
        Status::Pass => (AnsiColor::Green, false, "PASS"),
        Status::Warn => (AnsiColor::Yellow, false, "WARN"),
        Status::Fail => (AnsiColor::Red, true, "FAIL"),
        Status::Skip => return style.dim("SKIP"),
    };
    style.coloured(colour, bold, word)
}

/// What precedes the checklist.
pub fn header(style: Style, base: &str, version: Option<&str>, who: &str) -> String {
    let muster = version.map_or(String::new(), |version| {
        format!(" (Muster {})", shown(version))
    });
    format!(
        "{} {}{muster}\n{}\n\n",
        style.bold("Checking"),
        shown(base),
        style.dim(&shown(who))
    )
}

/// Everything after the checklist: problems, skips, verdict, share link.
/// `stopped` (why the run ended early) replaces the verdict, which would
/// otherwise judge only the checks reached.
pub fn summary(style: Style, run: &Run, share_url: &str, stopped: Option<&str>) -> String {
    let mut out = String::new();
    let problems: Vec<&ProbeResult> = run
        .probes
        .iter()
        .filter(|probe| matches!(probe.check.status, Status::Fail | Status::Warn))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Problems"));
        for probe in problems {
            out.push_str(&problem(style, probe));
        }
    }
    let skipped: Vec<&Check> = run
        .checks()
        .filter(|check| check.status == Status::Skip)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "\n{}", style.bold("Not checked"));
        for check in skipped {
            let _ = writeln!(out, "  {}: {}", check.id, shown(&check.observed));
        }
    }
    let tally = Tally::of(run.checks());
    let counts = format!(
        "{} pass, {} warn, {} fail, {} skipped",
        tally.pass, tally.warn, tally.fail, tally.skip
    );
    let colour = match run.status {
        Status::Pass => AnsiColor::Green,
        Status::Warn => AnsiColor::Yellow,
        Status::Fail | Status::Skip => AnsiColor::Red,
    };
    let verdict = match stopped {
        Some(why) => style.coloured(AnsiColor::Red, true, &format!("Stopped: {why}")),
        None => style.coloured(colour, true, &headline(run.status, tally, run.partial())),
    };
    let _ = writeln!(out, "\n{} {verdict} ({counts})", style.bold("Result:"));
    let _ = writeln!(out, "{} {share_url}", style.bold("Share link:"));
    out
}

fn problem(style: Style, probe: &ProbeResult) -> String {
    let check = &probe.check;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n  {} {} — {}",
        status(style, check.status),
        style.bold(&check.id),
        check.title
    );
    let _ = writeln!(out, "    Seen: {}", shown(&check.observed));
    if let Some(fix) = &check.fix {
        let _ = writeln!(
            out,
            "    Fix ({}): {}",
            fix.component.name(),
            shown(&fix.hint)
        );
    }
    for evidence in check.evidence.iter().take(EVIDENCE_SHOWN) {
        let _ = writeln!(
            out,
            "    {}",
            style.dim(&format!(
                "{}: {}",
                shown(&evidence.name),
                shown(&evidence.value)
            ))
        );
    }
    if check.evidence.len() > EVIDENCE_SHOWN {
        let more = check.evidence.len() - EVIDENCE_SHOWN;
        let _ = writeln!(
            out,
            "    {}",
            style.dim(&format!("… {more} more in --format json"))
        );
    }
    for exchange in &probe.exchanges {
        let _ = writeln!(out, "    Repeat: {}", shown(&exchange.curl()));
    }
    out
}

#[cfg(test)]
mod tests {
    use muster_report::model::Evidence;

    use super::*;

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let result = ProbeResult {
            check: Check {
                id: "auth.fail_route".into(),
                title: "A title".into(),
                proves: "Something".into(),
                status: Status::Fail,
                observed: "cleared\u{1b}[2J\u{1b}]0;owned\u{7}".into(),
                evidence: vec![Evidence {
                    name: "body\r".into(),
                    value: "\u{1b}[31mred".into(),
                }],
                fix: None,
                skip_reason: None,
            },
            exchanges: Vec::new(),
        };
        let out = problem(Style { colour: false }, &result);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains(r"cleared\u{1b}[2J"), "{out}");
        let header = header(
            Style { colour: false },
            "https://h",
            Some("1\u{1b}[0m"),
            "who",
        );
        assert!(!header.contains('\u{1b}'), "{header:?}");
        assert_eq!(shown("plain text"), "plain text");
    }

    #[test]
    fn a_finished_line_covers_its_running_line_without_escape_sequences() {
        let probe = &muster_report::probe::probes()[0];
        let result = probe.skipped("Not reached.");
        for colour in [false, true] {
            let style = Style { colour };
            let running = running_line(style, 0, 14, probe);
            let over = finished_over(style, &result, &running);
            let visible = |line: &str| anstream::adapter::strip_str(line).to_string();
            let shown = visible(&over);
            assert!(shown.starts_with('\r') && shown.ends_with('\n'), "{over:?}");
            assert!(
                shown.trim_end().len() < visible(&running).len(),
                "the test needs a shorter finished line"
            );
            assert_eq!(
                shown.trim_matches(['\r', '\n']).chars().count(),
                visible(&running).chars().count(),
                "{over:?}"
            );
            // Only colour (SGR) sequences, which anstream strips when colour
            // is off, ever reach the terminal.
            assert_eq!(over.contains('\u{1b}'), colour, "{over:?}");
            assert!(!over.contains("\u{1b}[2K"), "{over:?}");
        }
    }
}
