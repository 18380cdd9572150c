//! `muster-check` proving the installation through Argo CD, against the
//! local stack and the Argo CD stand-in: healthy applications pass; a
//! Degraded or OutOfSync one fails naming the application and the
//! resource; `--wait` waits for a Progressing application to turn Healthy,
//! and warns when it does not in time; a source that refuses or cannot be
//! reached ends the run with exit 2 naming it; 500 applications are one
//! row each. The rows are in the same checklist, JSON and JUnit as the
//! probes.

use std::collections::HashMap;

use muster_check::{Exit, Io};
use muster_report::probe::run::Run;
use muster_report::Status;
use muster_stack::argocd::{write_kubeconfig, AppState, ArgoCdStandin, Refusal, ScriptedApp};
use muster_stack::stack::{Stack, StackOptions};

const ARGOCD_TOKEN: &str = "argocd-api-token-for-muster-check";

#[derive(Debug)]
struct Outcome {
    exit: Exit,
    stdout: String,
    stderr: String,
}

/// Runs the CLI in process against `stack`, with Argo CD's API at
/// `argocd_url`, plus `extra` arguments.
fn check(stack: &Stack, argocd_url: &str, extra: &[&str]) -> Outcome {
    let url = stack.url();
    let mut args: Vec<String> = ["--url", url.as_str(), "--argocd-url", argocd_url]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect();
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let env = HashMap::from([
        bootstrap(stack),
        ("ARGOCD_AUTH_TOKEN".to_owned(), ARGOCD_TOKEN.to_owned()),
    ]);
    let outcome = run_cli(args, env);
    for text in [&outcome.stdout, &outcome.stderr] {
        assert!(
            !text.contains(ARGOCD_TOKEN),
            "Argo CD's token was printed:\n{text}"
        );
    }
    outcome
}

/// The stack's bootstrap token, as the CLI's environment gives it.
fn bootstrap(stack: &Stack) -> (String, String) {
    (
        "GAFAELFAWR_BOOTSTRAP_TOKEN".to_owned(),
        stack.gafaelfawr().bootstrap_token().to_owned(),
    )
}

/// Runs the CLI in process with `args` and `env`.
fn run_cli(args: Vec<String>, env: HashMap<String, String>) -> Outcome {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let exit = muster_check::run(
        &args,
        &env,
        Io {
            stdin: &mut "".as_bytes(),
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

/// The stand-in, served by a runtime of its own while the CLI (which runs
/// its own) is called from the test's thread.
struct ArgoCd {
    runtime: tokio::runtime::Runtime,
    standin: Option<ArgoCdStandin>,
}

impl ArgoCd {
    fn start(apps: Vec<ScriptedApp>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let standin = runtime
            .block_on(ArgoCdStandin::start(ARGOCD_TOKEN, apps))
            .unwrap();
        Self {
            runtime,
            standin: Some(standin),
        }
    }

    fn standin(&self) -> &ArgoCdStandin {
        self.standin.as_ref().expect("running")
    }

    fn url(&self) -> String {
        self.standin().url()
    }
}

impl Drop for ArgoCd {
    fn drop(&mut self) {
        if let Some(standin) = self.standin.take() {
            self.runtime.block_on(standin.stop());
        }
    }
}

/// The one Argo CD row of a run that judged no application; it must be
/// skipped.
fn skipped_argocd_row(run: &Run) -> &muster_report::Check {
    let row = run
        .probes
        .iter()
        .find(|p| p.check.id == "argocd")
        .expect("the Argo CD row");
    assert_eq!(row.check.status, Status::Skip);
    &row.check
}

fn run_of(outcome: &Outcome) -> Run {
    serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| panic!("{e}: {}", outcome.stdout))
}

#[test]
fn healthy_applications_pass_in_the_checklist_json_and_junit() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let argocd = ArgoCd::start(vec![
        ScriptedApp::new("gafaelfawr", AppState::healthy()),
        ScriptedApp::new("muster", AppState::healthy()),
    ]);
    let text = check(&stack, &argocd.url(), &[]);
    assert_eq!(text.exit, Exit::Pass, "{text:#?}");
    assert!(
        text.stdout.contains("\nArgo CD — PASS\n"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("argocd.gafaelfawr"), "{}", text.stdout);

    let json = check(&stack, &argocd.url(), &["--format", "json"]);
    assert_eq!(json.exit, Exit::Pass, "{json:#?}");
    let run = run_of(&json);
    let rows: Vec<(&str, Status)> = run
        .probes
        .iter()
        .filter(|p| p.check.id.starts_with("argocd"))
        .map(|p| (p.check.id.as_str(), p.check.status))
        .collect();
    assert_eq!(
        rows,
        [
            ("argocd.gafaelfawr", Status::Pass),
            ("argocd.muster", Status::Pass)
        ]
    );

    let junit = check(&stack, &argocd.url(), &["--format", "junit"]);
    assert_eq!(junit.exit, Exit::Pass, "{junit:#?}");
    let suite = junit
        .stdout
        .split("<testsuite ")
        .find(|suite| suite.starts_with("name=\"Argo CD\""))
        .unwrap_or_else(|| panic!("no Argo CD testsuite:\n{}", junit.stdout));
    assert_eq!(suite.matches("<testcase ").count(), 2, "{suite}");
}

#[test]
fn a_degraded_or_out_of_sync_application_fails_naming_it_and_its_resource() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let argocd = ArgoCd::start(vec![
        ScriptedApp::degraded("gafaelfawr"),
        ScriptedApp::new("muster", AppState::new("Healthy", "OutOfSync")),
    ]);
    let outcome = check(&stack, &argocd.url(), &[]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    for expected in [
        "argocd.gafaelfawr",
        "Application gafaelfawr is Degraded",
        "Deployment gafaelfawr/gafaelfawr",
        "argocd.muster",
        "OutOfSync",
    ] {
        assert!(
            outcome.stdout.contains(expected),
            "{expected}:\n{}",
            outcome.stdout
        );
    }
}

#[test]
fn the_wait_ends_when_a_progressing_application_turns_healthy() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let argocd = ArgoCd::start(vec![
        ScriptedApp::new("muster", AppState::healthy()),
        ScriptedApp::new("gafaelfawr", AppState::new("Progressing", "Synced"))
            .then(AppState::new("Progressing", "Synced"))
            .then(AppState::healthy()),
    ]);
    let outcome = check(&stack, &argocd.url(), &["--wait", "1m"]);
    assert_eq!(outcome.exit, Exit::Pass, "{outcome:#?}");
    assert!(
        outcome
            .stderr
            .contains("1/2 applications healthy, waiting for gafaelfawr (Progressing)"),
        "{}",
        outcome.stderr
    );
    // Two waiting looks, the one that saw it Healthy, and the checks' own.
    assert!(
        argocd.standin().reads() >= 4,
        "{}",
        argocd.standin().reads()
    );
    assert!(
        !outcome.stdout.contains("still Progressing"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn an_application_still_progressing_when_the_wait_ends_warns() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let argocd = ArgoCd::start(vec![ScriptedApp::new(
        "gafaelfawr",
        AppState::new("Progressing", "Synced"),
    )]);
    let outcome = check(&stack, &argocd.url(), &["--wait", "3s", "--format", "json"]);
    assert_eq!(outcome.exit, Exit::Pass, "warnings pass: {outcome:#?}");
    assert!(
        outcome.stderr.contains("the wait of 3 s ended"),
        "{}",
        outcome.stderr
    );
    let run = run_of(&outcome);
    let row = run
        .probes
        .iter()
        .find(|p| p.check.id == "argocd.gafaelfawr")
        .expect("the application's row");
    assert_eq!(row.check.status, Status::Warn);
    assert!(row
        .check
        .observed
        .contains("still Progressing when the wait ended"));
    assert_eq!(run.status, Status::Warn);
}

#[test]
fn a_source_that_refuses_or_is_unreachable_ends_the_run_naming_it() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let argocd = ArgoCd::start(vec![ScriptedApp::new("muster", AppState::healthy())]);
    let source = format!("Argo CD's API at {}", argocd.url());
    for (refusal, words) in [
        (Refusal::Unauthorized, "refused the credentials (401"),
        (Refusal::ServerError, "answered 500"),
        (Refusal::Malformed, "cannot read"),
    ] {
        argocd.standin().set_refusal(Some(refusal));
        let outcome = check(&stack, &argocd.url(), &[]);
        assert_eq!(outcome.exit, Exit::CouldNotRun, "{refusal:?}: {outcome:#?}");
        assert!(
            outcome.stderr.contains(&source),
            "{refusal:?}: {}",
            outcome.stderr
        );
        assert!(
            outcome.stderr.contains(words),
            "{refusal:?}: {}",
            outcome.stderr
        );
    }
    // Argo CD leaves out what an account may not see: no applications at
    // all is a failed check naming the likely cause.
    argocd.standin().set_refusal(Some(Refusal::Forbidden));
    let outcome = check(&stack, &argocd.url(), &[]);
    assert_eq!(outcome.exit, Exit::Failed, "{outcome:#?}");
    assert!(
        outcome.stdout.contains("listed no applications"),
        "{}",
        outcome.stdout
    );

    let url = argocd.url();
    drop(argocd);
    let outcome = check(&stack, &url, &[]);
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome.stderr.contains("could not be reached"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn five_hundred_applications_are_one_row_each() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let apps = (0..500)
        .map(|i| ScriptedApp::new(&format!("app-{i:03}"), AppState::healthy()))
        .collect();
    let argocd = ArgoCd::start(apps);
    let outcome = check(&stack, &argocd.url(), &["--format", "json"]);
    assert_eq!(outcome.exit, Exit::Pass, "{}", outcome.stderr);
    let run = run_of(&outcome);
    let rows = run
        .probes
        .iter()
        .filter(|p| p.check.id.starts_with("argocd."))
        .count();
    assert_eq!(rows, 500);
}

#[test]
fn without_a_source_argo_cd_is_skipped_with_the_reason() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let url = stack.url();
    let args: Vec<String> = vec!["--url".into(), url, "--format".into(), "json".into()];
    let outcome = run_cli(args, HashMap::from([bootstrap(&stack)]));
    assert_eq!(outcome.exit, Exit::Pass, "{}", outcome.stderr);
    let run = run_of(&outcome);
    let row = skipped_argocd_row(&run);
    assert!(
        row.observed.contains("give --argocd-url"),
        "{}",
        row.observed
    );
}

#[test]
fn the_kubernetes_api_refusing_to_list_ends_the_run_naming_it() {
    use muster_stack::tls::TestCa;
    let stack = Stack::start(StackOptions::default()).unwrap();
    let ca = TestCa::new("cluster CA for muster-check").unwrap();
    let identity = ca.issue(&["127.0.0.1"]).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let token = "service-account-token";
    let standin = runtime
        .block_on(ArgoCdStandin::start_tls(
            token,
            vec![ScriptedApp::new("muster", AppState::healthy())],
            &identity,
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    write_kubeconfig(&kubeconfig, &standin.url(), token, Some(&ca_file)).unwrap();
    let kubeconfig = kubeconfig.display().to_string();
    let url = stack.url();
    let run = |extra: &[&str]| {
        let mut args: Vec<String> = vec!["--url".into(), url.clone()];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let outcome = run_cli(args, HashMap::from([bootstrap(&stack)]));
        assert!(!outcome.stderr.contains(token), "{}", outcome.stderr);
        (outcome.exit, outcome.stdout, outcome.stderr)
    };
    let (exit, stdout, _) = run(&["--kubeconfig", &kubeconfig]);
    assert_eq!(exit, Exit::Pass, "{stdout}");
    assert!(stdout.contains("argocd.muster"), "{stdout}");
    standin.set_refusal(Some(Refusal::Forbidden));
    let (exit, _, stderr) = run(&["--argocd", "kubernetes", "--kubeconfig", &kubeconfig]);
    assert_eq!(exit, Exit::CouldNotRun, "{stderr}");
    assert!(
        stderr.contains("the Kubernetes API (Applications in namespace argocd)"),
        "{stderr}"
    );
    assert!(stderr.contains("403 Forbidden"), "{stderr}");
    assert!(
        stderr.contains("get and list on applications.argoproj.io"),
        "{stderr}"
    );
    runtime.block_on(standin.stop());
}

#[test]
fn a_kubeconfig_only_found_that_reaches_no_argo_cd_skips_the_row_with_the_reason() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    // A developer's ~/.kube/config whose cluster does not answer: auto mode
    // found it, the user did not name it, so the run goes on.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".kube")).unwrap();
    // Bound, never listening: connections are refused while it lives.
    let closed = muster_stack::process::closed_port().unwrap();
    let port = closed.local_addr().unwrap().port();
    let server = format!("http://127.0.0.1:{port}");
    write_kubeconfig(
        &home.path().join(".kube").join("config"),
        &server,
        "t",
        None,
    )
    .unwrap();
    let home = home.path().display().to_string();
    let args = vec![
        "--url".to_owned(),
        stack.url(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    let env = HashMap::from([bootstrap(&stack), ("HOME".to_owned(), home.clone())]);
    let outcome = run_cli(args.clone(), env);
    assert_eq!(outcome.exit, Exit::Pass, "{}", outcome.stderr);
    let run = run_of(&outcome);
    let row = skipped_argocd_row(&run);
    assert!(
        row.observed.contains("found (not named)"),
        "{}",
        row.observed
    );
    let error = &row.evidence.iter().find(|e| e.name == "error");
    let error = &error.expect("the failure as evidence").value;
    assert!(error.contains("could not be reached"), "{error}");

    // Named, the same source ends the run.
    let mut named = args;
    named.extend(["--argocd".to_owned(), "kubernetes".to_owned()]);
    let env = HashMap::from([bootstrap(&stack), ("HOME".to_owned(), home)]);
    let outcome = run_cli(named, env);
    assert_eq!(outcome.exit, Exit::CouldNotRun, "{outcome:#?}");
    assert!(
        outcome.stderr.contains("could not be reached"),
        "{}",
        outcome.stderr
    );
}
