//! JUnit XML: one test suite, one test case per probe. A failed check is a
//! `<failure>` whose text holds what was seen, the fix hint, the evidence
//! and copy-as-curl lines; a skipped one is `<skipped>`; a warning passes
//! with its note in `<system-out>`.

use std::fmt::Write as _;

use muster_report::probe::run::Run;
use muster_report::probe::ProbeResult;
use muster_report::Status;

/// The JUnit document for `run`.
pub fn render(run: &Run, share_url: &str) -> String {
    let count = |status: Status| run.checks().filter(|c| c.status == status).count();
    let seconds = |probe: &ProbeResult| {
        probe
            .exchanges
            .iter()
            .map(|exchange| exchange.elapsed_ms)
            .sum::<u64>() as f64
            / 1000.0
    };
    let total: f64 = run.probes.iter().map(seconds).sum();
    let counts = format!(
        "tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{total:.3}\"",
        run.probes.len(),
        count(Status::Fail),
        count(Status::Skip)
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"muster-check\" {counts}>");
    let _ = writeln!(
        out,
        "  <testsuite name=\"muster-check\" hostname=\"{}\" {counts}>",
        attribute(&run.host)
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("host", run.host.as_str()),
        ("muster_version", run.muster_version.as_str()),
        ("status", run.status.as_str()),
        ("share_url", share_url),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            attribute(value)
        );
    }
    out.push_str("    </properties>\n");
    for probe in &run.probes {
        out.push_str(&testcase(probe, seconds(probe)));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn testcase(probe: &ProbeResult, seconds: f64) -> String {
    let check = &probe.check;
    let family = check.id.split('.').next().unwrap_or("muster");
    let mut out = format!(
        "    <testcase classname=\"muster.{}\" name=\"{}: {}\" time=\"{seconds:.3}\"",
        attribute(family),
        attribute(&check.id),
        attribute(&check.title)
    );
    let details = || {
        let mut text = String::new();
        if let Some(fix) = &check.fix {
            let _ = writeln!(text, "Fix ({}): {}", fix.component.name(), fix.hint);
        }
        for evidence in &check.evidence {
            let _ = writeln!(text, "{}: {}", evidence.name, evidence.value);
        }
        for exchange in &probe.exchanges {
            let _ = writeln!(text, "Repeat: {}", exchange.curl());
        }
        text
    };
    match check.status {
        Status::Pass => out.push_str("/>\n"),
        Status::Fail => {
            let kind = check.fix.as_ref().map_or("failure".to_owned(), |fix| {
                serde_json::to_value(fix.component)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default()
            });
            let _ = write!(
                out,
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                attribute(&check.observed),
                attribute(&kind),
                text(&format!("{}\n{}", check.observed, details()))
            );
        }
        Status::Warn => {
            let _ = write!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>\n",
                text(&format!("WARNING: {}\n{}", check.observed, details()))
            );
        }
        Status::Skip => {
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                attribute(&check.observed)
            );
        }
    }
    out
}

/// `value` escaped for a double-quoted attribute.
fn attribute(value: &str) -> String {
    escape(value, true)
}

/// `value` escaped for element content.
fn text(value: &str) -> String {
    escape(value, false)
}

/// Escapes markup and drops characters XML 1.0 cannot hold at all (most
/// control characters); in attributes, line breaks and tabs become
/// character references so they survive attribute normalisation.
fn escape(value: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' if in_attribute => out.push_str("&#13;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(
            attribute("a<b & \"c\" 'd'\n\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&#10;\u{FFFD}"
        );
        assert_eq!(text("]]> x\ny"), "]]&gt; x\ny");
    }
}
