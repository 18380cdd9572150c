//! The checklist for people: one line per probe, grouped by platform part
//! under a heading with the part's worst status (with a "running" line on a
//! terminal while a part's probes run), then the details of every problem with
//! its fix and a copy-as-curl line, the verdict and the share link.

use std::fmt::Write as _;

use anstyle::AnsiColor;
use muster_report::platform::{PartRows, PlatformPart};
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

/// What a terminal needs to show before anything written over `running`
/// (the line of the probe that runs): back to the line's start, spaces over
/// it, back again. Spaces rather than an erase sequence, so that nothing but
/// colour needs the terminal's escape sequences.
fn cover(running: &str) -> String {
    let width = anstream::adapter::strip_str(running)
        .to_string()
        .chars()
        .count();
    format!("\r{}\r", " ".repeat(width))
}

/// The checklist as it is printed: rows grouped by platform part, in
/// [`PlatformPart::ALL`] order, each group under a heading with its worst
/// status. The probes run part by part, so each group is printed as soon as
/// its last probe is judged; on a terminal the probe that runs shows on one
/// line that the next output covers.
pub struct Checklist {
    style: Style,
    /// The part whose probes run now, and its rows judged so far.
    current: Option<PartRows<ProbeResult>>,
    /// Groups known before the probes ran (Argo CD's), printed in their
    /// place among the probes' groups.
    known: Vec<PartRows<ProbeResult>>,
    /// The running line on screen, if any.
    running: Option<String>,
}

impl Checklist {
    /// A checklist in `style`, with the groups `known` before any probe
    /// ran.
    pub fn new(style: Style, known: Vec<PartRows<ProbeResult>>) -> Self {
        Checklist {
            style,
            current: None,
            known,
            running: None,
        }
    }

    /// Probe `index` of `total` starts: what to print (the group just
    /// completed, if the probe starts a new part, then, with `progress`,
    /// its running line).
    pub fn started(
        &mut self,
        index: usize,
        total: usize,
        probe: &ProbeDef,
        progress: bool,
    ) -> String {
        let part = PlatformPart::of(probe.description.component);
        let mut out = self.uncover();
        if self
            .current
            .as_ref()
            .is_some_and(|group| group.part != part)
        {
            out.push_str(&self.flush_before(Some(part)));
        }
        if progress {
            let line = running_line(self.style, index, total, probe);
            out.push_str(&line);
            self.running = Some(line);
        }
        out
    }

    /// A probe was judged (or marked not reached): it joins its part's
    /// group, printed when the part is complete. What to print now: the
    /// previous group, when this row starts another part without a
    /// [`Checklist::started`] (the rows of a stopped run).
    pub fn finished(&mut self, result: ProbeResult) -> String {
        let part = PlatformPart::of_check(&result.check);
        let mut out = String::new();
        if self
            .current
            .as_ref()
            .is_some_and(|group| group.part != part)
        {
            out = self.uncover();
            out.push_str(&self.flush_before(Some(part)));
        }
        match &mut self.current {
            Some(group) => group.rows.push(result),
            None => {
                self.current = Some(PartRows {
                    part,
                    rows: vec![result],
                })
            }
        }
        out
    }

    /// Every group not printed yet.
    pub fn finish(&mut self) -> String {
        let mut out = self.uncover();
        out.push_str(&self.flush_before(None));
        out
    }

    /// Covers the running line, if one is on screen.
    fn uncover(&mut self) -> String {
        self.running
            .take()
            .map_or_else(String::new, |running| cover(&running))
    }

    /// The current group, and the known groups of parts before `next` (all
    /// of them without one), in part order.
    fn flush_before(&mut self, next: Option<PlatformPart>) -> String {
        let mut groups: Vec<PartRows<ProbeResult>> = self.current.take().into_iter().collect();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.known)
            .into_iter()
            .partition(|group| next.is_none_or(|next| group.part < next));
        self.known = later;
        groups.extend(due);
        groups.sort_by_key(|group| group.part);
        groups.iter().map(|group| self.group(group)).collect()
    }

    /// One group: its heading with the worst status, then its rows.
    fn group(&self, group: &PartRows<ProbeResult>) -> String {
        let worst = Status::of_group(group.rows.iter().map(|row| row.check.status));
        let mut out = format!(
            "{} — {}\n",
            self.style.bold(group.part.heading()),
            status(self.style, worst)
        );
        for row in &group.rows {
            let _ = writeln!(out, "{}", finished_line(self.style, row));
        }
        out
    }
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

    /// A terminal's view of `written`: each `\r` goes back to the line's
    /// start and what follows overwrites what was there.
    fn screen(written: &str) -> Vec<String> {
        let mut lines = vec![Vec::<char>::new()];
        let mut column = 0;
        for c in anstream::adapter::strip_str(written).to_string().chars() {
            match c {
                '\r' => column = 0,
                '\n' => {
                    lines.push(Vec::new());
                    column = 0;
                }
                c => {
                    let line = lines.last_mut().unwrap();
                    if column < line.len() {
                        line[column] = c;
                    } else {
                        line.push(c);
                    }
                    column += 1;
                }
            }
        }
        lines
            .into_iter()
            .map(|line| line.into_iter().collect::<String>().trim_end().to_owned())
            .collect()
    }

    #[test]
    fn a_running_line_is_covered_without_escape_sequences() {
        let probe = muster_report::probe::probe("anonymous.credentials_stripped").unwrap();
        let next = muster_report::probe::probe("auth.invalid_token").unwrap();
        for colour in [false, true] {
            let style = Style { colour };
            let mut checklist = Checklist::new(style, Vec::new());
            let mut written = checklist.started(0, 2, probe, true);
            written += &checklist.finished(probe.skipped("Not reached."));
            written += &checklist.started(1, 2, next, true);
            written += &checklist.finished(next.skipped("Not reached."));
            written += &checklist.finish();
            assert_eq!(
                screen(&written),
                [
                    "ingress-nginx — SKIP",
                    "  SKIP  anonymous.credentials_stripped  Your credentials are stripped on \
                     the anonymous route",
                    "Gafaelfawr — SKIP",
                    "  SKIP  auth.invalid_token  An unknown token is rejected as invalid",
                    "",
                ],
                "{written:?}"
            );
            // Only colour (SGR) sequences, which anstream strips when colour
            // is off, ever reach the terminal.
            assert_eq!(written.contains('\u{1b}'), colour, "{written:?}");
            assert!(!written.contains("\u{1b}[2K"), "{written:?}");
        }
    }

    #[test]
    fn groups_print_in_platform_order_with_their_worst_status() {
        let judged = |id: &str, status: Status| {
            let mut result = muster_report::probe::probe(id).unwrap().skipped("");
            result.check.status = status;
            result
        };
        let argocd = ProbeResult {
            check: muster_report::argocd::not_checked("No source."),
            exchanges: Vec::new(),
        };
        let known = muster_report::platform::group_by_part([argocd], |row| {
            PlatformPart::of_check(&row.check)
        });
        let mut checklist = Checklist::new(Style { colour: false }, known);
        let mut written = String::new();
        for (index, (id, status)) in [
            ("anonymous.credentials_stripped", Status::Pass),
            ("auth.challenge", Status::Fail),
            ("auth.invalid_token", Status::Warn),
            ("upstream.client_answers", Status::Pass),
        ]
        .into_iter()
        .enumerate()
        {
            let probe = muster_report::probe::probe(id).unwrap();
            written += &checklist.started(index, 4, probe, false);
            written += &checklist.finished(judged(id, status));
        }
        written += &checklist.finish();
        let headings: Vec<&str> = written
            .lines()
            .filter(|line| !line.starts_with(' '))
            .collect();
        assert_eq!(
            headings,
            [
                "ingress-nginx — FAIL",
                "Gafaelfawr — WARN",
                "Argo CD — SKIP",
                "Muster itself — PASS"
            ],
            "{written}"
        );
        assert!(
            written.contains("Argo CD — SKIP\n  SKIP  argocd  "),
            "{written}"
        );
    }
}
