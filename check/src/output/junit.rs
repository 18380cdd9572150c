//! JUnit XML through `quick-junit`: one test suite per platform part (as
//! the checklist groups its rows), one test case per probe. A failed check is a `<failure>` whose text holds what was seen,
//! the fix hint, the evidence and copy-as-curl lines; a skipped one is
//! `<skipped>`; a warning passes with its note in `<system-out>`. Text from
//! a server goes through the same escaping as on a terminal, so a CI log
//! showing the report cannot be driven by it (no raw carriage return or
//! escape sequence survives).

use std::fmt::Write as _;
use std::time::Duration;

use muster_report::platform::{group_by_part, PlatformPart};
use muster_report::probe::run::Run;
use muster_report::probe::ProbeResult;
use muster_report::Status;
use quick_junit::{
    NonSuccessKind, Property, Report, SerializeError, TestCase, TestCaseStatus, TestSuite,
};

use crate::terminal::escape;

/// The JUnit document for `run`: one test suite per platform part, in the
/// checklist's order, each with the run's properties.
pub fn render(run: &Run, share_url: &str) -> Result<String, SerializeError> {
    let total: Duration = run.probes.iter().map(time).sum();
    let mut report = Report::new("muster-check");
    report.set_time(total);
    for group in group_by_part(&run.probes, |probe| PlatformPart::of_check(&probe.check)) {
        let mut suite = TestSuite::new(group.part.heading());
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
        // quick-junit counts skipped cases as `disabled`; `skipped`, which
        // CI systems also read, is kept on the suite.
        let skipped = group
            .rows
            .iter()
            .filter(|probe| probe.check.status == Status::Skip)
            .count();
        suite
            .extra
            .insert("skipped".into(), skipped.to_string().into());
        suite.set_time(group.rows.iter().copied().map(time).sum());
        suite.add_test_cases(group.rows.into_iter().map(testcase));
        report.add_test_suite(suite);
    }
    Ok(report.to_string()? + "\n")
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

    #[test]
    fn each_platform_part_is_a_suite_of_its_own() {
        let mut probes: Vec<ProbeResult> =
            ["upstream.client_answers", "auth.challenge", "auth.quota"]
                .into_iter()
                .map(|id| {
                    muster_report::probe::probe(id)
                        .unwrap()
                        .skipped("Not reached.")
                })
                .collect();
        probes[1].check.status = Status::Fail;
        probes.push(ProbeResult {
            check: muster_report::argocd::not_checked("No source."),
            exchanges: Vec::new(),
        });
        let run = Run::new("1.0", "https://h", 0, Client::Cli, probes);
        let xml = render(&run, "https://h/muster/report#v1.x").unwrap();
        let suites: Vec<(&str, usize)> = xml
            .split("<testsuite ")
            .skip(1)
            .map(|suite| {
                let name = suite.split('"').nth(1).unwrap_or_default();
                (name, suite.matches("<testcase ").count())
            })
            .collect();
        assert_eq!(
            suites,
            [
                ("ingress-nginx", 1),
                ("Gafaelfawr", 1),
                ("Argo CD", 1),
                ("Muster itself", 1)
            ],
            "{xml}"
        );
        assert_eq!(xml.matches("name=\"share_url\"").count(), 4, "{xml}");
    }
}
