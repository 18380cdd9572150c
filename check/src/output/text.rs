//! The checklist for people: one line per probe as it finishes (with a
//! "running" line on a terminal), then the details of every problem with
//! its fix and a copy-as-curl line, the verdict and the share link.

use std::borrow::Cow;
use std::fmt::Write as _;

use muster_report::probe::run::Run;
use muster_report::probe::verdict::{headline, Tally};
use muster_report::probe::{ProbeDef, ProbeResult};
use muster_report::{Check, Status};

/// Most evidence items shown per problem (the JSON output has them all).
const EVIDENCE_SHOWN: usize = 12;

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit ANSI escapes.
    pub colour: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// The verdict word, coloured.
    pub fn status(self, status: Status) -> String {
        let (code, word) = match status {
            Status::Pass => ("32", "PASS"),
            Status::Warn => ("33", "WARN"),
            Status::Fail => ("1;31", "FAIL"),
            Status::Skip => ("2", "SKIP"),
        };
        self.paint(code, word)
    }
}

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
        style.status(check.status),
        check.id,
        check.title
    )
}

/// `text` from a server (observations, evidence, versions) made safe for a
/// terminal: control characters, which could move the cursor or restyle
/// the output, are shown escaped.
fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
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
pub fn summary(style: Style, run: &Run, share_url: &str) -> String {
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
        Status::Pass => "1;32",
        Status::Warn => "1;33",
        Status::Fail | Status::Skip => "1;31",
    };
    let verdict = style.paint(colour, &headline(run.status, tally, run.partial()));
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
        style.status(check.status),
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
}
