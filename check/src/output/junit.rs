//! JUnit XML through `quick-junit`: one test suite, one test case per
//! probe. A failed check is a `<failure>` whose text holds what was seen,
//! the fix hint, the evidence and copy-as-curl lines; a skipped one is
//! `<skipped>`; a warning passes with its note in `<system-out>`. Text from
//! a server goes through the same escaping as on a terminal, so a CI log
//! showing the report cannot be driven by it (no raw carriage return or
//! escape sequence survives).

use std::fmt::Write as _;
use std::time::Duration;

use muster_report::probe::run::Run;
use muster_report::probe::ProbeResult;
use muster_report::Status;
use quick_junit::{
    NonSuccessKind, Property, Report, SerializeError, TestCase, TestCaseStatus, TestSuite,
};

use crate::terminal::escape;

/// The JUnit document for `run`.
pub fn render(run: &Run, share_url: &str) -> Result<String, SerializeError> {
    let total: Duration = run.probes.iter().map(time).sum();
    let mut suite = TestSuite::new("muster-check");
    suite
        .extra
        .insert("hostname".into(), escape(&run.host).as_ref().into());
    for (name, value) in [
        ("host", run.host.as_str()),
        ("muster_version", run.muster_version.as_str()),
        ("status", run.status.as_str()),
        ("share_url", share_url),
    ] {
        suite.add_property(Property::new(name, escape(value).as_ref()));
    }
    // quick-junit counts skipped cases as `disabled`; `skipped`, which CI
    // systems also read, is kept on the suite.
    let skipped = run.checks().filter(|c| c.status == Status::Skip).count();
    suite
        .extra
        .insert("skipped".into(), skipped.to_string().into());
    suite.set_time(total);
    let (argocd, probes): (Vec<&ProbeResult>, Vec<&ProbeResult>) = run
        .probes
        .iter()
        .partition(|probe| is_argocd(&probe.check.id));
    suite.add_test_cases(probes.into_iter().map(testcase));
    let mut report = Report::new("muster-check");
    report.set_time(total);
    report.add_test_suite(suite);
    // Argo CD's applications are a group of their own, as in the checklist.
    if !argocd.is_empty() {
        let mut group = TestSuite::new("Argo CD");
        let skipped = argocd
            .iter()
            .filter(|probe| probe.check.status == Status::Skip)
            .count();
        group
            .extra
            .insert("skipped".into(), skipped.to_string().into());
        group.add_test_cases(argocd.into_iter().map(testcase));
        report.add_test_suite(group);
    }
    Ok(report.to_string()? + "\n")
}

/// True for the rows of Argo CD's applications (and the row standing for
/// them when none was judged).
fn is_argocd(id: &str) -> bool {
    id == muster_report::argocd::SUMMARY_ID || id.starts_with("argocd.")
}

/// How long the probe's requests took.
fn time(probe: &ProbeResult) -> Duration {
    Duration::from_millis(
        probe
            .exchanges
            .iter()
            .map(|exchange| exchange.elapsed_ms)
            .sum(),
    )
}

fn testcase(probe: &ProbeResult) -> TestCase {
    let check = &probe.check;
    let family = check.id.split('.').next().unwrap_or("muster");
    let observed = escape(&check.observed);
    let details = || {
        let mut text = String::new();
        if let Some(fix) = &check.fix {
            let _ = writeln!(
                text,
                "Fix ({}): {}",
                fix.component.name(),
                escape(&fix.hint)
            );
        }
        for evidence in &check.evidence {
            let _ = writeln!(
                text,
                "{}: {}",
                escape(&evidence.name),
                escape(&evidence.value)
            );
        }
        for exchange in &probe.exchanges {
            let _ = writeln!(text, "Repeat: {}", escape(&exchange.curl()));
        }
        text
    };
    let mut warning = None;
    let status = match check.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Warn => {
            warning = Some(format!("WARNING: {observed}\n{}", details()));
            TestCaseStatus::success()
        }
        Status::Fail => {
            let kind = check.fix.as_ref().map_or("failure".to_owned(), |fix| {
                serde_json::to_value(fix.component)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_owned))
                    .unwrap_or_default()
            });
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(observed.as_ref())
                .set_type(kind)
                .set_description(format!("{observed}\n{}", details()));
            status
        }
        Status::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(observed.as_ref());
            status
        }
    };
    let mut case = TestCase::new(format!("{}: {}", check.id, check.title), status);
    case.set_classname(format!("muster.{family}"))
        .set_time(time(probe));
    if let Some(text) = warning {
        case.set_system_out(text);
    }
    case
}

#[cfg(test)]
mod tests {
    use muster_report::model::Evidence;
    use muster_report::probe::Client;
    use muster_report::Check;

    use super::*;

    fn run_with(observed: &str, evidence: &str) -> Run {
        let probe = ProbeResult {
            check: Check {
                id: "auth.fail_route".into(),
                title: "A <title>".into(),
                proves: "Something".into(),
                status: Status::Fail,
                observed: observed.into(),
                evidence: vec![Evidence {
                    name: "body".into(),
                    value: evidence.into(),
                }],
                fix: None,
                skip_reason: None,
            },
            exchanges: Vec::new(),
        };
        Run::new("1.0", "https://h", 0, Client::Cli, vec![probe])
    }

    #[test]
    fn escaping_covers_markup_quotes_and_control_characters() {
        let xml = render(
            &run_with("a<b & \"c\" 'd'\n\u{1}", "]]> x\ny\r\u{1b}[2J"),
            "https://h/muster/report#v1.x",
        )
        .unwrap();
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{xml}"
        );
        assert!(xml.contains("a&lt;b &amp; &quot;c&quot;"), "{xml}");
        assert!(xml.contains("]]&gt; x"), "{xml}");
        assert!(xml.contains(" skipped=\"0\""), "{xml}");
        assert!(
            xml.contains("name=\"auth.fail_route: A &lt;title&gt;\""),
            "{xml}"
        );
        let controls: Vec<char> = xml
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert_eq!(controls, Vec::<char>::new(), "{xml}");
    }
}
