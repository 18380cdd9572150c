//! `muster-check` against the local stack: a healthy stack passes, every
//! fault a client can see fails naming its probe, and whatever stops a run
//! (unreachable host, TLS, rejected tokens, unknown scope) exits 2 with a
//! clear message; the tokens a run mints are revoked however it ends (pass,
//! fail, deadline, Ctrl-C); nothing a server sends can drive the terminal.
//! Most tests call the CLI in process
//! ([`muster_check::run`]); a few spawn the real binary, which they build
//! with `cargo build -p muster-check` first (a no-op when it is fresh), so
//! they work under `cargo test --workspace` and alone alike.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use muster_check::{Exit, Io};
use muster_report::platform::PlatformPart;
use muster_report::probe::run::Run;
use muster_report::probe::snapshot::{self, Snapshot};
use muster_report::probe::{probes, Client};
use muster_report::Status;

use muster_stack::process::{closed_port, output_within, poll_until};
use muster_stack::secrets::{self, Secrets};
use muster_stack::share;
use muster_stack::stack::{Stack, StackOptions, StackTls};
use muster_stack::tls::{self_signed, TestCa};

/// Bound on one run of the `muster-check` binary.
const BINARY_TIMEOUT: Duration = Duration::from_secs(60);

/// What one `muster-check` invocation printed and returned.
#[derive(Debug)]
struct Outcome {
    exit: Exit,
    stdout: String,
    stderr: String,
}

/// Starts the stack, healthy or with `fault`; Muster gives up on a slow
/// Gafaelfawr after 0.5 s so the `slow` fault stays quick.
fn stack(fault: Option<&str>) -> Stack {
    let options = StackOptions {
        fault: fault.map(|name| name.parse().unwrap()),
        server_env: vec![("MUSTER_GAFAELFAWR_TIMEOUT".into(), "0.5".into())],
        ..StackOptions::default()
    };
    Stack::start(options).unwrap()
}

/// Runs the CLI in process with `args`, `env` and `stdin`.
fn check_with(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Outcome {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let env: HashMap<String, String> = env
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let exit = muster_check::run(
        &args,
        &env,
        Io {
            stdin: &mut stdin.as_bytes(),
            stdout: &mut stdout,
            stderr: &mut stderr,
            stdout_is_terminal: false,
        },
    );
    Outcome {
        exit,
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Runs the CLI against `stack` over TLS, as a deployment is reached,
/// trusting the stack's CA, with its bootstrap token in the environment,
/// plus `extra` arguments; checks that neither its output nor what its
/// share link carries shows a token.
fn check(stack: &Stack, extra: &[&str]) -> Outcome {
    let url = stack.tls_url(0).unwrap();
    let ca_file = stack.ca_file().display().to_string();
    let mut args = vec!["--url", url.as_str(), "--ca-file", ca_file.as_str()];
    args.extend_from_slice(extra);
    let bootstrap = stack.gafaelfawr().bootstrap_token().to_owned();
    let outcome = check_with(&args, &[("GAFAELFAWR_BOOTSTRAP_TOKEN", &bootstrap)], "");
    assert_no_secret(&outcome, &[&bootstrap]);
    let links = share_links(&outcome);
    // A run that got as far as checking always prints its link.
    if outcome.exit != Exit::CouldNotRun {
        assert!(!links.is_empty(), "no share link: {outcome:#?}");
    }
    for link in links {
        assert_link_has_no_secret(&link, &[&bootstrap]);
    }
    assert_nothing_issued_shown(stack, &outcome);
    outcome
}

/// Fails if the output, or what a share link in it carries, holds any part
/// of a credential the stack's stand-in has issued: the tokens the CLI
/// minted and those delegated behind its back, which the test never sees
/// whole, matched even when only their secret half or a piece shows.
fn assert_nothing_issued_shown(stack: &Stack, outcome: &Outcome) {
    let secrets = Secrets::issued_in(stack);
    secrets.assert_absent(&outcome.stdout, "the CLI's stdout");
    secrets.assert_absent(&outcome.stderr, "the CLI's stderr");
    for link in share_links(outcome) {
        let json = share::carried_json(&link).unwrap_or_else(|error| panic!("{error}: {link}"));
        secrets.assert_absent(&json, "the JSON the CLI's share link carries");
    }
}

/// Fails if the output shows `secrets` or anything shaped like a whole
/// Gafaelfawr token (the minted ones, which the test never sees).
fn assert_no_secret(outcome: &Outcome, secrets: &[&str]) {
    for text in [&outcome.stdout, &outcome.stderr] {
        for secret in secrets {
            assert!(
                !text.contains(&secret[3..]),
                "a secret was printed:\n{text}"
            );
        }
        assert_eq!(whole_tokens(text), Vec::<String>::new(), "{text}");
    }
}

/// Every share link printed (after `Share link: `), on stdout or stderr.
fn share_links(outcome: &Outcome) -> Vec<String> {
    [&outcome.stdout, &outcome.stderr]
        .into_iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| line.strip_prefix("Share link: "))
        .map(|link| link.trim().to_owned())
        .collect()
}

/// Fails if the JSON `link` carries (inflated, before the decoder's own
/// scrubbing) holds `secrets` or anything shaped like a whole token; the
/// link itself is compressed, so searching its text would find nothing.
fn assert_link_has_no_secret(link: &str, secrets: &[&str]) {
    let json = share::carried_json(link).unwrap_or_else(|error| panic!("{error}: {link}"));
    for secret in secrets {
        assert!(
            !json.contains(&secret[3..]),
            "the share link carries a secret:\n{json}"
        );
    }
    assert_eq!(whole_tokens(&json), Vec::<String>::new(), "{json}");
}

/// The scan of a share link finds a token planted in it, which the
/// decoder alone would have hidden.
#[test]
fn share_link_scan_finds_a_planted_token() {
    let planted = "gt-PlantedKeyPlantedKey00.PlantedSecretPlanted00";
    let run = Run::new(
        format!("0.0.0 {planted}"),
        "https://h.example",
        0,
        Client::Cli,
        Vec::new(),
    );
    let snapshot = Snapshot {
        run,
        identity_included: true,
        answers_abridged: false,
    };
    // Compressed by hand (a first-format link): the encoder would scrub
    // the token.
    let json = serde_json::to_vec(&snapshot).unwrap();
    let payload =
        snapshot::Format::V1.payload_of(&miniz_oxide::deflate::compress_to_vec_zlib(&json, 6));
    let link = snapshot::share_url_of("https://h.example/muster", &payload);
    let decoded = serde_json::to_string(&snapshot::decode(&link).unwrap()).unwrap();
    assert!(!decoded.contains("PlantedSecret"), "{decoded}");
    let carried = share::carried_json(&link).unwrap();
    assert_eq!(whole_tokens(&carried), vec![planted.to_owned()]);
    let caught = std::panic::catch_unwind(|| assert_link_has_no_secret(&link, &[]));
    assert!(caught.is_err(), "the planted token was not found");
}

/// Every `gt-<22>.<22>` in `text` other than the public unknown token.
fn whole_tokens(text: &str) -> Vec<String> {
    let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut found = Vec::new();
    for (start, _) in text.match_indices("gt-") {
        let candidate: String = text[start..].chars().take(48).collect();
        let shaped = candidate.len() == 48
            && candidate[3..25].chars().all(base64url)
            && candidate[25..26] == *"."
            && candidate[26..].chars().all(base64url);
        if shaped && candidate != muster_report::probe::UNKNOWN_TOKEN {
            found.push(candidate);
        }
    }
    found
}

/// The share link printed after `Share link: `.
fn share_link(text: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix("Share link: "))
        .unwrap_or_else(|| panic!("no share link in:\n{text}"))
        .trim()
        .to_owned()
}

#[test]
fn healthy_stack_passes_with_minted_tokens() {
    let stack = stack(None);
    let outcome = check(&stack, &[]);
    assert_eq!(outcome.exit, Exit::Pass, "{outcome:#?}");
    for probe in probes() {
        assert!(
            outcome
                .stdout
                .contains(&format!("PASS  {}", probe.description.id)),
            "{} did not pass:\n{}",
            probe.description.id,
            outcome.stdout
        );
    }
    assert!(
        outcome.stdout.contains("Result: Passes muster"),
        "{}",
        outcome.stdout
    );
    assert!(
        !outcome.stdout.contains('\x1b'),
        "colour without a terminal"
    );
    let link = share_link(&outcome.stdout);
    let origin = stack.tls_url(0).unwrap();
    assert!(link.starts_with(&format!("{origin}/muster/report#v2.")));
    println!("the share link of a passing run: {} characters", link.len());
    assert!(link.len() <= 2_000, "{}", link.len());
    let shared = snapshot::decode(&link).unwrap();
    assert_eq!(shared.run.status, Status::Pass);
    assert!(
        shared.identity_included,
        "the bot's identity is not private"
    );
    assert_link_has_no_secret(&link, &[stack.gafaelfawr().bootstrap_token()]);
}

#[test]
fn json_output_is_the_run_model_and_the_share_link_goes_to_stderr() {
    let stack = stack(None);
    let outcome = check(&stack, &["--format", "json"]);
    assert_eq!(outcome.exit, Exit::Pass, "{outcome:#?}");
    let run: Run = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(run.status, Status::Pass);
    assert_eq!(run.host, stack.tls_url(0).unwrap());
    // Every probe, and the Argo CD row (skipped: these runs name no
    // Argo CD source).
    assert_eq!(run.probes.len(), probes().len() + 1);
    assert_eq!(
        run.probes.last().map(|p| p.check.status),
        Some(Status::Skip)
    );
    assert_ne!(run.muster_version, "unknown");
    let upstream = run
        .checks()
        .find(|check| check.id == "upstream.client_answers")
        .unwrap();
    assert!(
        upstream.observed.contains("as minted"),
        "the minted identity was compared: {}",
        upstream.observed
    );
    let shared = snapshot::decode(&share_link(&outcome.stderr)).unwrap();
    assert_eq!(shared.run.probes.len(), run.probes.len());
}

/// `muster-check` reads the certificate the host presents. nginx serves
/// the stack with certificates from a CA made here — valid for 90 days,
/// 20 days from expiry, 5 days, expired, for another name, self-signed —
/// and only the first passes, the second warns (renewal is failing), the
/// others fail saying why, with the issuer, names and expiry as evidence;
/// a failing certificate gets no other request. Without `--ca-file` the
/// CA is not trusted.
#[test]
fn the_hosts_certificate_passes_warns_or_fails_as_it_should() {
    let ca = TestCa::new("muster test CA").unwrap();
    let here = ["127.0.0.1"];
    let identities = vec![
        ca.issue_expiring(&here, 90).unwrap(),
        ca.issue_expiring(&here, 20).unwrap(),
        ca.issue_expiring(&here, 5).unwrap(),
        ca.issue_expiring(&here, -3).unwrap(),
        ca.issue_expiring(&["muster.example.org"], 90).unwrap(),
        self_signed(&here).unwrap(),
    ];
    let stack = Stack::start(StackOptions {
        tls: Some(StackTls {
            ca_pem: ca.cert_pem().to_owned(),
            identities,
        }),
        ..StackOptions::default()
    })
    .unwrap();
    let bootstrap = stack.gafaelfawr().bootstrap_token().to_owned();
    let env = [("GAFAELFAWR_BOOTSTRAP_TOKEN", bootstrap.as_str())];
    let ca_file = stack.ca_file().display().to_string();
    let cases: [(usize, bool, Exit, &str, &[&str]); 7] = [
        (0, true, Exit::Pass, "PASS", &[]),
        (
            1,
            true,
            Exit::Pass,
            "WARN",
            &[
                "expires in 20 days",
                "renewal is failing",
                "CertificateRequest",
            ],
        ),
        (
            2,
            true,
            Exit::Failed,
            "FAIL",
            &["expires in 5 days", "ClusterIssuer"],
        ),
        (3, true, Exit::Failed, "FAIL", &["it expired on "]),
        (
            4,
            true,
            Exit::Failed,
            "FAIL",
            &["not valid for 127.0.0.1", "muster.example.org", "dnsNames"],
        ),
        (
            5,
            true,
            Exit::Failed,
            "FAIL",
            &["self-signed", "issuer: CN=muster test server"],
        ),
        (
            0,
            false,
            Exit::Failed,
            "FAIL",
            &["issued by an authority that is not trusted"],
        ),
    ];
    for (index, trust_ca, exit, verdict, named) in cases {
        let url = stack.tls_url(index).unwrap();
        let mut args = vec!["--url", url.as_str()];
        if trust_ca {
            args.extend(["--ca-file", ca_file.as_str()]);
        }
        let outcome = check_with(&args, &env, "");
        let case = format!("certificate {index}, CA trusted: {trust_ca}");
        assert_eq!(outcome.exit, exit, "{case}: {outcome:#?}");
        assert_nothing_issued_shown(&stack, &outcome);
        let stdout = &outcome.stdout;
        assert!(
            stdout.contains(&format!("{verdict}  tls.certificate")),
            "{case}:\n{stdout}"
        );
        for words in named {
            assert!(stdout.contains(words), "{case}: no {words:?} in\n{stdout}");
        }
        if verdict != "PASS" {
            assert!(
                stdout.contains("issuer: CN=") && stdout.contains("expires: "),
                "{case}: the evidence names issuer and expiry:\n{stdout}"
            );
        }
        if exit == Exit::Failed {
            // Nothing else was sent to a host that cannot be trusted.
            let others = probes().len() - 1;
            assert_eq!(
                stdout.matches("no request to it was sent").count(),
                others,
                "{case}:\n{stdout}"
            );
        } else {
            assert!(!stdout.contains("FAIL  "), "{case}:\n{stdout}");
        }
    }
    // The passing row's evidence, and how its answer came: over TLS with
    // ingress-nginx's HSTS.
    let url = stack.tls_url(0).unwrap();
    let outcome = check_with(
        &["--url", &url, "--ca-file", &ca_file, "--format", "json"],
        &env,
        "",
    );
    let run: Run = serde_json::from_str(&outcome.stdout).unwrap();
    let row = run
        .checks()
        .find(|check| check.id == "tls.certificate")
        .unwrap();
    assert_eq!(row.status, Status::Pass, "{row:#?}");
    let evidence = |name: &str| {
        row.evidence
            .iter()
            .find(|fact| fact.name == name)
            .map(|fact| fact.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(evidence("issuer"), "CN=muster test CA");
    assert_eq!(evidence("subject names"), "127.0.0.1");
    assert!(evidence("expires").ends_with(" UTC"), "{row:#?}");
    assert_eq!(
        evidence("served over"),
        "HTTPS, HSTS: max-age=15724800; includeSubDomains"
    );
}

/// Against a plain-HTTP base URL there is no certificate: the row is
/// skipped saying so, and the run still passes.
#[test]
fn a_plain_http_url_skips_the_certificate_saying_so() {
    let stack = stack(None);
    let url = stack.url();
    let bootstrap = stack.gafaelfawr().bootstrap_token().to_owned();
    let outcome = check_with(
        &["--url", &url, "--format", "json"],
        &[("GAFAELFAWR_BOOTSTRAP_TOKEN", &bootstrap)],
        "",
    );
    assert_eq!(outcome.exit, Exit::Pass, "{outcome:#?}");
    let run: Run = serde_json::from_str(&outcome.stdout).unwrap();
    let row = run
        .checks()
        .find(|check| check.id == "tls.certificate")
        .unwrap();
    assert_eq!(row.status, Status::Skip, "{row:#?}");
    assert!(
        row.observed
            .contains("is plain HTTP: there is no certificate to check"),
        "{row:#?}"
    );
}

#[test]
fn junit_output_is_well_formed_with_one_testcase_per_probe_and_fix_hints() {
    let stack = stack(Some("no-autherror"));
    let outcome = check(&stack, &["--format", "junit"]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    let xml = &outcome.stdout;
    let elements = well_formed(xml).unwrap_or_else(|why| panic!("{why}:\n{xml}"));
    let count = |name: &str| elements.iter().filter(|e| *e == name).count();
    assert_eq!(count("testsuites"), 1);
    // One per probe, and the skipped Argo CD row; a suite per platform part,
    // Argo CD's among them.
    assert_eq!(count("testcase"), probes().len() + 1);
    assert_eq!(count("testsuite"), expected_parts().len());
    assert!(count("failure") >= 1, "{xml}");
    assert!(
        xml.contains("name=\"auth.malformed_authorization: "),
        "{xml}"
    );
    assert!(xml.contains("@autherror"), "the fix hint is in the failure");
    assert!(xml.contains("&quot;") || xml.contains("&amp;") || xml.contains("&lt;"));
    assert!(outcome.stderr.contains("Share link: "));
}

/// The parts the checklist shows for these runs: those of the catalogue's
/// probes, and Argo CD's (its skipped row), in platform order.
fn expected_parts() -> Vec<PlatformPart> {
    let mut parts: Vec<PlatformPart> = probes()
        .iter()
        .map(|probe| PlatformPart::of(probe.description.component))
        .chain([PlatformPart::ArgoCd])
        .collect();
    parts.sort();
    parts.dedup();
    parts
}

/// The checklist's groups: each heading's part and status word, and the ids
/// of the rows under it.
fn checklist_groups(stdout: &str) -> Vec<(PlatformPart, String, Vec<String>)> {
    let mut groups: Vec<(PlatformPart, String, Vec<String>)> = Vec::new();
    for line in stdout.lines() {
        if let Some((heading, status)) = line.split_once(" — ") {
            let part = PlatformPart::ALL
                .into_iter()
                .find(|part| part.heading() == heading);
            if let Some(part) = part {
                groups.push((part, status.to_owned(), Vec::new()));
                continue;
            }
        }
        let row: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("  ") && row.len() > 2 && groups.last().is_some() {
            if let Some(group) = groups.last_mut() {
                group.2.push(row[1].to_owned());
            }
        }
        // The checklist ends at the first blank line after it (problems,
        // what was not checked, the verdict follow).
        if line.is_empty() && !groups.is_empty() {
            break;
        }
    }
    groups
}

#[test]
fn checklist_groups_rows_by_platform_part_under_their_worst_status() {
    // Healthy, then with a fault whose failing probe is ingress-nginx's (a
    // fault may fail rows of other parts too).
    for (fault, failing) in [
        (None, None),
        (Some("no-autherror"), Some("auth.malformed_authorization")),
    ] {
        if let Some(failing) = failing {
            let probe = muster_report::probe::probe(failing).unwrap();
            assert_eq!(
                PlatformPart::of(probe.description.component),
                PlatformPart::IngressNginx
            );
        }
        let stack = stack(fault);
        let outcome = check(&stack, &[]);
        let groups = checklist_groups(&outcome.stdout);
        let parts: Vec<PlatformPart> = groups.iter().map(|group| group.0).collect();
        assert_eq!(parts, expected_parts(), "{fault:?}:\n{}", outcome.stdout);
        let run: Run = {
            let link = share_link(&outcome.stdout);
            snapshot::decode(&link).unwrap().run
        };
        for (part, status, ids) in &groups {
            assert!(!ids.is_empty(), "{part:?} has no row:\n{}", outcome.stdout);
            let rows: Vec<_> = run
                .checks()
                .filter(|check| ids.contains(&check.id))
                .collect();
            assert_eq!(rows.len(), ids.len(), "{ids:?}");
            for row in &rows {
                assert_eq!(
                    PlatformPart::of_check(row),
                    *part,
                    "{} under {part:?}",
                    row.id
                );
            }
            let worst = Status::of_group(rows.iter().map(|row| row.status));
            assert_eq!(
                status,
                &worst.as_str().to_uppercase(),
                "{part:?} in {fault:?}"
            );
            let expected = match (*part, failing) {
                (PlatformPart::ArgoCd, _) => Some("SKIP"),
                (_, Some(failing)) if ids.iter().any(|id| id == failing) => Some("FAIL"),
                (_, None) => Some("PASS"),
                // Checked above against the worst of its rows.
                (_, Some(_)) => None,
            };
            if let Some(expected) = expected {
                assert_eq!(
                    status, expected,
                    "{part:?} in {fault:?}:\n{}",
                    outcome.stdout
                );
            }
        }
        // Every row is shown once, in some group.
        let shown: usize = groups.iter().map(|group| group.2.len()).sum();
        assert_eq!(shown, run.probes.len(), "{}", outcome.stdout);
    }
}

/// Checks `xml` is well-formed (one root, tags nested and closed, quoted
/// attributes, known entities) and returns the element names in order.
fn well_formed(xml: &str) -> Result<Vec<String>, String> {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .ok_or("no XML declaration")?;
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut roots = 0;
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad element name {name:?}"));
        }
        check_attributes(attributes)?;
        if stack.is_empty() {
            roots += 1;
        }
        names.push(name.to_owned());
        if !self_closing {
            stack.push(name.to_owned());
        }
    }
    check_text(rest)?;
    match (stack.is_empty(), roots) {
        (true, 1) => Ok(names),
        (false, _) => Err(format!("unclosed {stack:?}")),
        (_, roots) => Err(format!("{roots} root elements")),
    }
}

fn check_attributes(mut text: &str) -> Result<(), String> {
    loop {
        text = text.trim_start();
        if text.is_empty() {
            return Ok(());
        }
        let (name, after) = text.split_once("=\"").ok_or("unquoted attribute")?;
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("bad attribute name {name:?}"));
        }
        let end = after.find('"').ok_or("unterminated attribute")?;
        let value = &after[..end];
        if value.contains('<') {
            return Err(format!("< in attribute {name}"));
        }
        check_text(value)?;
        text = &after[end + 1..];
    }
}

fn check_text(text: &str) -> Result<(), String> {
    if text.contains('>') && text.contains("]]>") {
        return Err("]]> in text".into());
    }
    if text
        .chars()
        .any(|c| (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("control character".into());
    }
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        let end = rest[start..].find(';').ok_or("bare &")? + start;
        let entity = &rest[start + 1..end];
        let known = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity
                .strip_prefix('#')
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
        if !known {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &rest[end + 1..];
    }
    Ok(())
}

/// Each fault makes the run fail (exit 1) and names the probe that sees it.
macro_rules! fault_fails {
    ($($test:ident: $fault:literal => $probe:literal;)*) => {$(
        #[test]
        fn $test() {
            let stack = stack(Some($fault));
            let outcome = check(&stack, &[]);
            assert_eq!(outcome.exit, Exit::Failed, "{}: {outcome:#?}", $fault);
            assert!(
                outcome.stdout.contains(concat!("FAIL  ", $probe)),
                "{}: {} did not fail:\n{}",
                $fault,
                $probe,
                outcome.stdout
            );
            assert!(
                outcome.stdout.contains(concat!("FAIL ", $probe, " — ")),
                "{}: no details with a fix for {}:\n{}",
                $fault,
                $probe,
                outcome.stdout
            );
        }
    )*};
}

fault_fails! {
    autherror_missing_fails_the_malformed_authorization_probe:
        "no-autherror" => "auth.malformed_authorization";
    no_auth_signin_fails_the_login_redirect_probe:
        "no-auth-signin" => "auth.login_redirect";
    no_quota_fails_the_quota_probe:
        "no-quota" => "auth.quota";
    ldap_down_fails_the_authenticated_routes:
        "ldap-down" => "auth.fail_route";
    unprocessed_anonymous_ingress_fails_the_stripping_probe:
        "anonymous-not-auth-processed" => "anonymous.credentials_stripped";
    unstripped_cookie_fails_the_stripping_probe:
        "no-cookie-header" => "anonymous.credentials_stripped";
    unstripped_authorization_fails_the_stripping_probe:
        "no-authorization-header" => "anonymous.credentials_stripped";
    forged_user_header_fails_the_masking_probe:
        "no-user-header" => "anonymous.forged_identity_masked";
    no_delegation_fails_the_delegation_probe:
        "no-delegation" => "delegated.header_route";
    no_use_authorization_fails_the_authorization_probe:
        "no-use-authorization" => "delegated.authorization_route";
    wrong_username_fails_the_delegation_probe:
        "wrong-username" => "delegated.header_route";
    wrong_email_fails_the_delegation_probe:
        "wrong-email" => "delegated.header_route";
    user_info_500_fails_the_delegation_probe:
        "user-info-500" => "delegated.header_route";
    slow_gafaelfawr_fails_the_delegation_probe:
        "slow" => "delegated.header_route";
    unreachable_gafaelfawr_fails_the_delegation_probe:
        "gafaelfawr-unreachable" => "delegated.authorization_route";
    garbage_user_info_fails_the_delegation_probe:
        "garbage-json" => "delegated.header_route";
    missing_uid_and_gid_fail_the_existing_clients_probe:
        "no-uid-gid" => "upstream.client_answers";
    missing_vault_secret_fails_the_vault_probe:
        "vault-secret-missing" => "vault.secret_delivered";
    missing_home_page_fails_the_home_page_probe:
        "home-page-missing" => "home.page";
    failing_home_page_fails_the_home_page_probe:
        "home-page-error" => "home.page";
    home_page_routed_to_a_json_service_fails_the_home_page_probe:
        "home-page-not-html" => "home.page";
    expired_certificate_fails_the_certificate_probe:
        "certificate-expired" => "tls.certificate";
}

/// A missing home page fails its own row only, saying what came back and
/// naming Squareone and its Argo CD application as what to look at.
#[test]
fn a_missing_home_page_names_squareone_and_fails_nothing_else() {
    let stack = stack(Some("home-page-missing"));
    let outcome = check(&stack, &["--format", "json"]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    let run: Run = serde_json::from_str(&outcome.stdout).unwrap();
    let failing: Vec<&str> = run
        .checks()
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.id.as_str())
        .collect();
    assert_eq!(failing, ["home.page"]);
    let check = run.checks().find(|check| check.id == "home.page").unwrap();
    assert!(
        check.observed.contains("Nothing serves /"),
        "{}",
        check.observed
    );
    let asked = &home_page_result(&run).exchanges[0];
    assert_eq!(asked.request.url, format!("{}/", stack.tls_url(0).unwrap()));
    assert_eq!(asked.response_seen().map(|seen| seen.status), Some(404));
    let fix = check.fix.as_ref().unwrap();
    assert_eq!(PlatformPart::of(fix.component), PlatformPart::HomePage);
    assert!(fix.hint.contains("Squareone"), "{}", fix.hint);
    assert!(
        fix.hint.contains("Argo CD application squareone"),
        "{}",
        fix.hint
    );
}

/// `--home-path` moves the probe: on a healthy stack, a path nothing
/// serves fails the row with the URL asked.
#[test]
fn home_path_says_where_the_home_page_probe_looks() {
    let stack = stack(None);
    let outcome = check(&stack, &["--home-path", "/portal/", "--format", "json"]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    let run: Run = serde_json::from_str(&outcome.stdout).unwrap();
    let failing: Vec<&str> = run
        .checks()
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.id.as_str())
        .collect();
    assert_eq!(failing, ["home.page"]);
    let asked = &home_page_result(&run).exchanges[0];
    assert_eq!(
        asked.request.url,
        format!("{}/portal/", stack.tls_url(0).unwrap())
    );
}

/// The home page probe's result in `run`.
fn home_page_result(run: &Run) -> &muster_report::probe::ProbeResult {
    run.probes
        .iter()
        .find(|result| result.check.id == "home.page")
        .expect("a home.page row")
}

/// A secret that never arrived from Vault fails its own row only, with a
/// hint naming each link from Vault to the pod; the planted value shows
/// nowhere (`check` searches the output and the share link for it).
#[test]
fn a_missing_vault_secret_fails_only_its_row_naming_the_vault_secret_and_the_operator() {
    let stack = stack(Some("vault-secret-missing"));
    let outcome = check(&stack, &[]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    for probe in probes() {
        let id = probe.description.id;
        let verdict = if id == "vault.secret_delivered" {
            "FAIL"
        } else {
            "PASS"
        };
        assert!(
            outcome.stdout.contains(&format!("{verdict}  {id}")),
            "{id} is not {verdict}:\n{}",
            outcome.stdout
        );
    }
    for named in [
        "VaultSecret muster",
        "vault-secrets-operator",
        "phalanx secrets sync",
        "pod is missing",
    ] {
        assert!(
            outcome.stdout.contains(named),
            "{named}:\n{}",
            outcome.stdout
        );
    }
}

/// A full run, under the faults that let the session cookie or the
/// caller's token reach Muster or that make it log a failed Gafaelfawr
/// call, leaves no issued credential in Muster's log — captured at its
/// most verbose, in both formats.
#[test]
fn full_runs_leave_no_credential_in_musters_log() {
    for (fault, profile) in [
        (None, "production"),
        (Some("no-cookie-header"), "development"),
        (Some("no-authorization-header"), "production"),
        (Some("garbage-json"), "development"),
    ] {
        let options = StackOptions {
            fault: fault.map(|name| name.parse().unwrap()),
            server_env: vec![
                ("MUSTER_GAFAELFAWR_TIMEOUT".into(), "0.5".into()),
                ("MUSTER_LOG_LEVEL".into(), "trace".into()),
                ("MUSTER_LOG_PROFILE".into(), profile.into()),
            ],
            ..StackOptions::default()
        };
        let stack = Stack::start(options).unwrap();
        let outcome = check(&stack, &[]);
        assert_ne!(outcome.exit, Exit::CouldNotRun, "{fault:?}: {outcome:#?}");
        let logs = secrets::assert_logs_clean(&stack);
        // The delegated routes, where the delegated token reaches Muster
        // and Muster passes it on to Gafaelfawr, were logged too.
        assert!(logs.contains("/delegated/header"), "{fault:?}: {logs}");
        if fault == Some("garbage-json") {
            assert!(logs.contains("Gafaelfawr call failed"), "{logs}");
        }
    }
}

#[test]
fn warnings_alone_still_pass() {
    let stack = stack(Some("delegated-scopes"));
    let outcome = check(&stack, &[]);
    assert_eq!(outcome.exit, Exit::Pass, "{outcome:#?}");
    assert!(
        outcome.stdout.contains("WARN  delegated.header_route"),
        "{}",
        outcome.stdout
    );
    // The page's words: warnings are not problems.
    assert!(
        outcome.stdout.contains("Result: Passes, with 2 warnings"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn unreachable_url_could_not_run() {
    let closed = closed_port().unwrap();
    let port = closed.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/muster");
    let outcome = check_with(&["--url", &url, "--bootstrap-token", "gt-x"], &[], "");
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome.stderr.contains("cannot reach Muster"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("refused"), "{}", outcome.stderr);
    assert!(outcome.stdout.is_empty());
}

#[test]
fn tls_to_a_plain_http_port_is_explained() {
    let stack = stack(None);
    let url = stack.url().replace("http://", "https://");
    let outcome = check_with(&["--url", &url, "--token", "gt-x"], &[], "");
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome.stderr.contains("TLS with 127.0.0.1 failed"),
        "{}",
        outcome.stderr
    );
    assert_nothing_issued_shown(&stack, &outcome);
}

#[test]
fn rejected_bootstrap_token_could_not_run_and_says_so() {
    let stack = stack(None);
    let wrong = "gt-WrongBootstrapToken0000.WrongBootstrapSecret00";
    let url = stack.url();
    let outcome = check_with(
        &["--url", &url],
        &[("GAFAELFAWR_BOOTSTRAP_TOKEN", wrong)],
        "",
    );
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome
            .stderr
            .contains("Gafaelfawr rejected the bootstrap token (401"),
        "{}",
        outcome.stderr
    );
    assert_no_secret(&outcome, &[wrong]);
    assert_nothing_issued_shown(&stack, &outcome);
}

#[test]
fn unknown_scope_could_not_run_and_names_the_scope() {
    let stack = stack(None);
    let outcome = check(&stack, &["--scope", "read:nonexistent"]);
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome
            .stderr
            .contains("Gafaelfawr does not know scope \"read:nonexistent\""),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("invalid_scopes"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn rejected_given_token_could_not_run() {
    let stack = stack(None);
    let url = stack.url();
    let token = "gt-NeverIssuedTokenKey0000.NeverIssuedTokenSecret";
    let outcome = check_with(&["--url", &url], &[("MUSTER_CHECK_TOKEN", token)], "");
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome
            .stderr
            .contains("Gafaelfawr rejected the token (401"),
        "{}",
        outcome.stderr
    );
    assert_no_secret(&outcome, &[token]);
    assert_nothing_issued_shown(&stack, &outcome);
}

#[test]
fn given_token_without_the_route_scope_could_not_run() {
    let stack = stack(None);
    let token = stack
        .gafaelfawr()
        .issue_token("someuser", "user", &["exec:admin"]);
    let outcome = check_with(&["--url", &stack.url(), "--token", &token], &[], "");
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome.stderr.contains(
            "the token lacks scope read:image, which Muster's routes require (it has: exec:admin)"
        ),
        "{}",
        outcome.stderr
    );
    assert_no_secret(&outcome, &[&token]);
}

#[test]
fn given_token_with_a_slow_gafaelfawr_reports_the_fault() {
    // The platform's fault, not a reason to give up: exit 1 with the
    // delegated checks failing, as with minted tokens.
    let stack = stack(Some("slow"));
    let token = stack
        .gafaelfawr()
        .issue_token("someuser", "user", &["read:image"]);
    let outcome = check_with(&["--url", &stack.url(), "--token", &token], &[], "");
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    assert!(
        outcome.stdout.contains("FAIL  delegated."),
        "{}",
        outcome.stdout
    );
    assert_no_secret(&outcome, &[&token]);
}

#[test]
fn given_token_skips_the_no_scope_probe_and_hides_identity_in_the_link() {
    let stack = stack(None);
    let token = stack
        .gafaelfawr()
        .issue_token("someuser", "user", &["read:image"]);
    let url = format!("{}/muster/", stack.url());
    let outcome = check_with(&["--url", &url, "--token", &token], &[], "");
    assert_eq!(outcome.exit, Exit::Pass, "{outcome:#?}");
    assert_no_secret(&outcome, &[&token]);
    assert_nothing_issued_shown(&stack, &outcome);
    assert!(
        outcome.stdout.contains("SKIP  auth.insufficient_scope"),
        "{}",
        outcome.stdout
    );
    let shared = snapshot::decode(&share_link(&outcome.stdout)).unwrap();
    assert!(!shared.identity_included);
    let json = serde_json::to_string(&shared.run).unwrap();
    assert!(!json.contains("someuser"), "identity leaked: {json}");
}

#[test]
fn bootstrap_token_is_read_from_stdin_or_a_file() {
    let stack = stack(None);
    let url = stack.url();
    let bootstrap = format!("{}\n", stack.gafaelfawr().bootstrap_token());
    let from_stdin = check_with(
        &[
            "--url",
            &url,
            "--bootstrap-token-file",
            "-",
            "--format",
            "json",
        ],
        &[],
        &bootstrap,
    );
    assert_eq!(from_stdin.exit, Exit::Pass, "{from_stdin:#?}");
    assert_nothing_issued_shown(&stack, &from_stdin);
    let file = stack.work_dir().join("bootstrap-token");
    std::fs::write(&file, &bootstrap).unwrap();
    let path = file.display().to_string();
    let from_file = check_with(
        &[
            "--url",
            &url,
            "--bootstrap-token-file",
            &path,
            "--format",
            "json",
        ],
        &[],
        "",
    );
    assert_eq!(from_file.exit, Exit::Pass, "{from_file:#?}");
    assert_nothing_issued_shown(&stack, &from_file);
}

#[test]
fn bad_arguments_could_not_run_before_any_request() {
    for (args, expected) in [
        (
            &["--url", "data.example.org", "--token", "t"][..],
            "https://<host>",
        ),
        (
            &["--url", "https://h", "--format", "yaml", "--token", "t"][..],
            "--format",
        ),
        (&["--url", "https://h"][..], "no token"),
        (&["--token", "t"][..], "no --url"),
    ] {
        let outcome = check_with(args, &[], "");
        assert_eq!(outcome.exit, Exit::CouldNotRun, "{args:?}");
        assert!(
            outcome.stderr.contains(expected),
            "{args:?}: {}",
            outcome.stderr
        );
    }
}

/// The `muster-check` binary, built (or found fresh) beside this test's
/// own build directory.
fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/check_cli-<hash> → target/<profile>
        let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build
            .args(["build", "-q", "-p", "muster-check", "--bin", "muster-check"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            build.arg("--release");
        }
        let status = build.status().unwrap();
        assert!(status.success(), "cargo build -p muster-check failed");
        let binary = profile_dir.join("muster-check");
        assert!(binary.exists(), "no {}", binary.display());
        binary
    })
}

#[test]
fn binary_passes_a_healthy_stack_with_the_bootstrap_token_on_stdin() {
    let stack = stack(None);
    let mut command = Command::new(binary());
    command
        .args(["--url", &stack.url(), "--bootstrap-token-file", "-"])
        .env_remove("MUSTER_CHECK_TOKEN")
        .env_remove("GAFAELFAWR_BOOTSTRAP_TOKEN");
    let bootstrap = stack.gafaelfawr().bootstrap_token().to_owned();
    let output = run_binary(command, bootstrap.as_bytes());
    let outcome = Outcome {
        exit: match output.status.code() {
            Some(0) => Exit::Pass,
            Some(1) => Exit::Failed,
            _ => Exit::CouldNotRun,
        },
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert_eq!(output.status.code(), Some(0), "{outcome:#?}");
    assert!(
        outcome.stdout.contains("Result: Passes muster"),
        "{}",
        outcome.stdout
    );
    assert_no_secret(&outcome, &[&bootstrap]);
    assert_link_has_no_secret(&share_link(&outcome.stdout), &[&bootstrap]);
    assert_nothing_issued_shown(&stack, &outcome);
}

#[test]
fn binary_exits_2_on_bad_arguments_and_0_on_help() {
    let mut bad = Command::new(binary());
    bad.args(["--url", "ftp://h"])
        .env_remove("MUSTER_CHECK_TOKEN")
        .env_remove("GAFAELFAWR_BOOTSTRAP_TOKEN");
    let bad = run_binary(bad, b"");
    assert_eq!(bad.status.code(), Some(2));
    let mut not_utf8 = Command::new(binary());
    not_utf8.arg(std::ffi::OsStr::from_bytes(b"--url=\xff"));
    let not_utf8 = run_binary(not_utf8, b"");
    assert_eq!(not_utf8.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&not_utf8.stderr);
    assert!(stderr.contains("argument 1 is not valid UTF-8"), "{stderr}");
    let mut help = Command::new(binary());
    help.arg("--help");
    let help = run_binary(help, b"");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--bootstrap-token-file"));
}

/// Runs the `muster-check` binary `command` with `stdin`, stopping it if
/// it outlasts [`BINARY_TIMEOUT`].
fn run_binary(command: Command, stdin: &[u8]) -> Output {
    output_within("muster-check", command, stdin, BINARY_TIMEOUT)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// The component the run's check `probe` points its fix at, under `fault`.
fn component_under(fault: &str, probe: &str) -> String {
    let stack = stack(Some(fault));
    let outcome = check(&stack, &["--format", "json"]);
    assert_eq!(outcome.exit, Exit::Failed, "{fault}: {outcome:#?}");
    let run: Run = serde_json::from_str(&outcome.stdout).unwrap();
    let check = run
        .checks()
        .find(|check| check.id == probe)
        .unwrap_or_else(|| panic!("{fault}: no {probe} in the run"));
    let fix = check
        .fix
        .as_ref()
        .unwrap_or_else(|| panic!("{fault}: {probe} has no fix"));
    assert!(!fix.hint.is_empty(), "{fault}: empty hint");
    serde_json::to_value(fix.component)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// Faults only a client can see: the hint must name the right component.
macro_rules! fault_points_at {
    ($($test:ident: $fault:literal => $probe:literal at $component:literal;)*) => {$(
        #[test]
        fn $test() {
            assert_eq!(component_under($fault, $probe), $component);
        }
    )*};
}

fault_points_at! {
    missing_autherror_points_at_ingress_nginx:
        "no-autherror" => "auth.malformed_authorization" at "ingress_nginx";
    missing_auth_signin_points_at_the_gafaelfawr_ingress:
        "no-auth-signin" => "auth.login_redirect" at "gafaelfawr_ingress";
    missing_quota_points_at_gafaelfawr:
        "no-quota" => "auth.quota" at "gafaelfawr";
    // A client sees only ingress-nginx's 500; the hint names the directory.
    failing_user_directory_points_at_gafaelfawr:
        "ldap-down" => "auth.fail_route" at "gafaelfawr";
    // A header that never arrived: the ingress's auth-response-headers.
    missing_token_header_points_at_the_gafaelfawr_ingress:
        "no-token-header" => "delegated.header_route" at "gafaelfawr_ingress";
    missing_user_header_points_at_the_gafaelfawr_ingress:
        "no-user-header" => "auth.fail_route" at "gafaelfawr_ingress";
    missing_delegation_points_at_the_gafaelfawr_ingress:
        "no-delegation" => "delegated.header_route" at "gafaelfawr_ingress";
    // A value that arrived but disagrees with Gafaelfawr's user-info.
    wrong_username_points_at_gafaelfawr:
        "wrong-username" => "delegated.header_route" at "gafaelfawr";
    // Gafaelfawr could not read the user: its user directory.
    failing_user_info_points_at_the_user_directory:
        "user-info-500" => "delegated.header_route" at "user_directory";
    // Nothing answers where Muster calls Gafaelfawr.
    unreachable_gafaelfawr_points_at_gafaelfawr:
        "gafaelfawr-unreachable" => "delegated.header_route" at "gafaelfawr";
    // An answer that is not Gafaelfawr's: most likely the wrong URL.
    garbage_user_info_points_at_the_configured_url:
        "garbage-json" => "delegated.header_route" at "muster_configuration";
    // The cache answered another request's verdict: the auth cache key.
    cache_key_without_authorization_points_at_the_gafaelfawr_ingress:
        "cache-key-without-authorization" => "auth.cache_isolation" at "gafaelfawr_ingress";
    cache_key_without_method_points_at_the_gafaelfawr_ingress:
        "cache-key-without-method" => "auth.cache_isolation" at "gafaelfawr_ingress";
    missing_vault_secret_points_at_vault_secrets:
        "vault-secret-missing" => "vault.secret_delivered" at "vault_secrets";
    failing_home_page_points_at_the_home_page:
        "home-page-error" => "home.page" at "home_page";
    // mobu's view: the upstream answers alone, whose bodies name the error
    // but not the check; the hint follows the check behind them.
    client_answers_missing_a_header_point_at_the_gafaelfawr_ingress:
        "no-token-header" => "upstream.client_answers" at "gafaelfawr_ingress";
    client_answers_naming_another_email_point_at_gafaelfawr:
        "wrong-email" => "upstream.client_answers" at "gafaelfawr";
    client_answers_without_user_info_point_at_the_user_directory:
        "user-info-500" => "upstream.client_answers" at "user_directory";
}

/// Fails unless every token the run minted with the bootstrap token (the
/// stand-in's service tokens) was revoked through Gafaelfawr's token API.
fn assert_minted_revoked(stack: &Stack) {
    let standin = stack.gafaelfawr();
    let minted: Vec<String> = standin
        .issued_tokens()
        .into_iter()
        .filter(|issued| issued.kind == "service")
        .map(|issued| issued.token.key)
        .collect();
    assert!(minted.len() >= 2, "the run minted {} tokens", minted.len());
    let revoked: Vec<String> = standin
        .revocations()
        .into_iter()
        .map(|revocation| revocation.key)
        .collect();
    for key in &minted {
        assert!(
            revoked.contains(key),
            "minted token gt-{}… was not revoked ({} revocations)",
            &key[..4],
            revoked.len()
        );
    }
}

#[test]
fn a_passing_run_revokes_the_tokens_it_minted() {
    let stack = stack(None);
    let outcome = check(&stack, &[]);
    assert_eq!(outcome.exit, Exit::Pass, "{outcome:#?}");
    assert_minted_revoked(&stack);
    assert!(
        !outcome.stderr.contains("revok"),
        "a revocation failure was reported: {}",
        outcome.stderr
    );
}

#[test]
fn a_failing_run_revokes_the_tokens_it_minted() {
    let stack = stack(Some("no-autherror"));
    let outcome = check(&stack, &["--format", "json"]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    assert_minted_revoked(&stack);
}

#[test]
fn a_stalled_run_ends_at_its_deadline_with_exit_2_and_revokes_its_tokens() {
    let stack = stack(None);
    // Every protected route now waits on Gafaelfawr, far past --timeout's
    // reach: only the deadline can end the run.
    stack.gafaelfawr().hold_auth_subrequests(true);
    let started = Instant::now();
    let outcome = check(&stack, &["--deadline", "2", "--timeout", "600"]);
    let took = started.elapsed();
    stack.gafaelfawr().hold_auth_subrequests(false);
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        stack.gafaelfawr().held_auth_subrequests() > 0,
        "no request stalled"
    );
    assert!(took < Duration::from_secs(30), "the run took {took:?}");
    assert!(
        outcome.stderr.contains("deadline of 2 s"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stdout
            .contains("Not reached before the run's deadline"),
        "{}",
        outcome.stdout
    );
    // Anonymous probes do not wait on Gafaelfawr: they ran and passed.
    assert!(
        outcome.stdout.contains("PASS  anonymous."),
        "{}",
        outcome.stdout
    );
    assert_minted_revoked(&stack);
}

#[test]
fn an_interrupted_binary_revokes_its_tokens_and_exits_2() {
    let stack = stack(None);
    stack.gafaelfawr().hold_auth_subrequests(true);
    let mut command = Command::new(binary());
    command
        .args(["--url", &stack.url(), "--bootstrap-token-file", "-"])
        .env_remove("MUSTER_CHECK_TOKEN")
        .env_remove("GAFAELFAWR_BOOTSTRAP_TOKEN");
    let running = Running::start(command, stack.gafaelfawr().bootstrap_token().as_bytes());
    poll_until(BINARY_TIMEOUT, "muster-check to wait on Gafaelfawr", || {
        Ok(stack.gafaelfawr().held_auth_subrequests() > 0)
    })
    .unwrap();
    running.interrupt();
    let (code, stdout, stderr) = running.finish();
    stack.gafaelfawr().hold_auth_subrequests(false);
    assert_eq!(code, Some(2), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_minted_revoked(&stack);
}

/// The `muster-check` binary running in the background, killed if the test
/// ends before it does.
struct Running {
    child: std::process::Child,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Running {
    fn start(mut command: Command, stdin: &[u8]) -> Running {
        use std::io::{Read as _, Write as _};
        use std::process::Stdio;
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin).unwrap();
        drop(input);
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        // Threads, so that a full pipe never blocks the binary.
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does.
    fn interrupt(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) only sends a signal to our own child.
        let sent = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(sent, 0, "kill failed");
    }

    /// Waits (bounded) for the exit; its code, stdout and stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let mut status = None;
        let waited = poll_until(BINARY_TIMEOUT, "muster-check to exit", || {
            status = self.child.try_wait().map_err(|error| error.to_string())?;
            Ok(status.is_some())
        });
        if let Err(error) = waited {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("{error}");
        }
        let stdout = std::mem::replace(&mut self.stdout, std::thread::spawn(String::new));
        let stderr = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        (
            status.and_then(|status| status.code()),
            stdout.join().unwrap_or_default(),
            stderr.join().unwrap_or_default(),
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Bytes a hostile server may send to move the cursor, retitle the
/// terminal, clear the screen, hide lines and (with the one-character C1
/// CSI, which JSON does not escape) recolour.
const TERMINAL_ATTACK: &str = "oops \u{1b}]0;TITLE\u{7}\u{1b}[2J\r\u{1b}[1A\u{9b}31m";

/// Fails if `text` holds a control character other than a line feed.
fn assert_inert(text: &str, what: &str) {
    let controls: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(controls.is_empty(), "{what} holds {controls:?}:\n{text:?}");
}

/// A server on a loopback port of its own, serving `router` until dropped.
struct LocalServer {
    url: String,
    _runtime: tokio::runtime::Runtime,
}

fn serve(router: axum::Router) -> LocalServer {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    LocalServer {
        url,
        _runtime: runtime,
    }
}

/// A Muster index that answers, so a run gets as far as its tokens.
fn index_route() -> axum::Router {
    axum::Router::new().route(
        "/muster/",
        axum::routing::get(|| async {
            axum::Json(serde_json::json!({"metadata": {"version": "1.0.0"}}))
        }),
    )
}

#[test]
fn error_bodies_from_gafaelfawr_cannot_drive_the_terminal() {
    use axum::http::{header, StatusCode};
    let detail = serde_json::json!({"detail": [{"msg": TERMINAL_ATTACK, "type": TERMINAL_ATTACK}]})
        .to_string();
    let cases = [
        ("mint", 500, "text/plain", TERMINAL_ATTACK.to_owned()),
        ("mint", 401, "application/json", detail.clone()),
        ("mint", 403, "application/json", detail.clone()),
        ("mint", 422, "application/json", detail.clone()),
        ("token-info", 401, "application/json", detail.clone()),
    ];
    for (route, status, content_type, body) in cases {
        let answer = move || {
            let body = body.clone();
            async move {
                (
                    StatusCode::from_u16(status).unwrap(),
                    [(header::CONTENT_TYPE, content_type)],
                    body,
                )
            }
        };
        let router = match route {
            "mint" => index_route().route("/auth/api/v1/tokens", axum::routing::post(answer)),
            _ => index_route().route("/auth/api/v1/token-info", axum::routing::get(answer)),
        };
        let server = serve(router);
        let source = if route == "mint" {
            "--bootstrap-token"
        } else {
            "--token"
        };
        let outcome = check_with(
            &["--url", &server.url, source, "gt-x", "--timeout", "5"],
            &[],
            "",
        );
        let case = format!("{route} answering {status}");
        assert_eq!(outcome.exit, Exit::CouldNotRun, "{case}: {outcome:#?}");
        assert!(
            outcome.stderr.contains("oops"),
            "{case}: {}",
            outcome.stderr
        );
        assert_inert(&outcome.stderr, &format!("{case}: stderr"));
        assert_inert(&outcome.stdout, &format!("{case}: stdout"));
    }
}

/// A fake token that a fake Gafaelfawr mints.
const FAKE_MINTED: &str = "gt-FakeMintedTokenKey0000.FakeMintedTokenSecret0";

/// [`index_route`] plus a token API that mints [`FAKE_MINTED`] for anyone.
fn minting_route() -> axum::Router {
    index_route().route(
        "/auth/api/v1/tokens",
        axum::routing::post(|| async {
            (
                axum::http::StatusCode::CREATED,
                axum::Json(serde_json::json!({ "token": FAKE_MINTED })),
            )
        }),
    )
}

#[test]
fn server_text_in_every_output_format_cannot_drive_the_terminal() {
    use axum::http::header;
    let router = minting_route().fallback(|| async {
        (
            [(header::CONTENT_TYPE, "application/json")],
            format!(
                "{{\"detail\": \"{}\"}}\r\n{TERMINAL_ATTACK}",
                "\\r\\u001b[2J"
            ),
        )
    });
    let server = serve(router);
    for format in ["text", "junit", "json"] {
        let outcome = check_with(
            &[
                "--url",
                &server.url,
                "--bootstrap-token",
                "gt-x",
                "--format",
                format,
            ],
            &[],
            "",
        );
        assert_ne!(outcome.exit, Exit::Pass, "{format}: {outcome:#?}");
        assert!(
            outcome.stdout.contains("oops"),
            "{format}: {}",
            outcome.stdout
        );
        assert_inert(&outcome.stdout, &format!("{format}: stdout"));
        assert_inert(&outcome.stderr, &format!("{format}: stderr"));
    }
}

#[test]
fn a_revocation_gafaelfawr_refuses_is_said_on_stderr() {
    let router = minting_route().fallback(|| async {
        (
            axum::http::StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({"detail": [{
                "msg": "Missing required user:token scope",
                "type": "permission_denied"
            }]})),
        )
    });
    let server = serve(router);
    let outcome = check_with(
        &[
            "--url",
            &server.url,
            "--bootstrap-token",
            "gt-x",
            "--format",
            "json",
        ],
        &[],
        "",
    );
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    assert!(
        outcome.stderr.contains("could not revoke token gt-Fake…")
            && outcome.stderr.contains(
                "HTTP 403 from Gafaelfawr's token API: Missing required user:token scope"
            )
            && outcome
                .stderr
                .contains("expire on their own within 15 minutes"),
        "{}",
        outcome.stderr
    );
    assert!(
        !outcome.stderr.contains("FakeMintedTokenSecret"),
        "{}",
        outcome.stderr
    );
}

/// A run with many failing checks still prints a link short enough to
/// paste into a ticket: the user directory down fails every authenticated
/// route and what depends on one.
#[test]
fn a_failing_runs_share_link_stays_under_three_thousand_characters() {
    let stack = stack(Some("ldap-down"));
    let outcome = check(&stack, &[]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    let failing = outcome
        .stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("FAIL  "))
        .count();
    assert!(failing >= 5, "{failing} failing:\n{}", outcome.stdout);
    let link = share_link(&outcome.stdout);
    println!(
        "the share link of a run with {failing} failing checks: {} characters",
        link.len()
    );
    assert!(link.len() <= 3_000, "{}", link.len());
    assert_eq!(
        snapshot::decode(&link).unwrap().run.status,
        Status::Fail,
        "the link carries the failing run"
    );
}
