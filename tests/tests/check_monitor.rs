//! `muster-check --every` against the local stack: its metrics follow the
//! platform round by round, Slack hears of changes (once each, flapping
//! folded), rotated token files keep working, and a target that goes down
//! costs rounds, not the loop. Every wait polls the monitor's round
//! counter (or the webhook stand-in) with a deadline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use muster_check::{Exit, Io};
use muster_stack::http::{get, send};
use muster_stack::monitor::{self, rounds_with, status_of, wait_for_rounds};
use muster_stack::process::{free_port, poll_until};
use muster_stack::secrets::Secrets;
use muster_stack::slack::{message_text, SlackStandin, WEBHOOK_SECRET};
use muster_stack::stack::{Stack, StackOptions};
use muster_stack::standin::StandinFault;
use serde_json::{json, Value};

/// Bound on each wait for rounds or posts.
const PATIENCE: Duration = Duration::from_secs(60);
/// The one check the `no-quota` fault fails. A fault that fails several
/// checks could be switched on between two of them in the middle of a
/// round, and its alert would rightly be followed by another for the
/// checks that started failing one round later.
const FAULTY_CHECK: &str = "auth.quota";
/// `--alert-interval` where one alert per change is expected.
const ALERT_INTERVAL: Duration = Duration::from_secs(1);
/// The bot the token files belong to.
const BOT: &str = "bot-check-muster";

/// A monitor running in process on a thread of its own, until stopped.
struct Monitor {
    listen: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<(Exit, String)>>,
}

impl Monitor {
    /// Starts `muster-check --every 100ms --listen <free port>` with `args`.
    fn start(args: &[&str]) -> Monitor {
        let listen = format!("127.0.0.1:{}", free_port().unwrap());
        let mut all: Vec<String> = ["--every", "100ms", "--listen", &listen]
            .iter()
            .chain(args)
            .map(|arg| (*arg).to_owned())
            .collect();
        all.extend(["--argocd".to_owned(), "off".to_owned()]);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
            let exit = muster_check::run_until(
                &all,
                &HashMap::new(),
                Io {
                    stdin: &mut std::io::empty(),
                    stdout: &mut stdout,
                    stderr: &mut stderr,
                    stdout_is_terminal: false,
                },
                async {
                    let _ = stopped.await;
                },
            );
            (exit, String::from_utf8_lossy(&stderr).into_owned())
        });
        Monitor {
            listen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Rounds finished so far (0 before its listener is up).
    fn rounds(&self) -> u64 {
        monitor::metrics(&self.listen)
            .map(|text| monitor::rounds(&text))
            .unwrap_or(0)
    }

    /// Waits for `more` rounds after those finished now; the metrics then.
    fn wait_rounds(&self, more: u64) -> String {
        let target = self.rounds() + more;
        wait_for_rounds(&self.listen, target, PATIENCE).unwrap()
    }

    /// Waits for `more` rounds after those finished now, and at least
    /// `at_least` from now; the metrics then.
    fn wait_rounds_and(&self, more: u64, at_least: Duration) -> String {
        let started = Instant::now();
        let target = self.rounds() + more;
        let mut last = String::new();
        poll_until(
            PATIENCE,
            &format!("round {target}, {at_least:?} on"),
            || {
                last = monitor::metrics(&self.listen).unwrap_or_default();
                Ok(monitor::rounds(&last) >= target && started.elapsed() >= at_least)
            },
        )
        .unwrap_or_else(|error| panic!("{error}:\n{last}"));
        last
    }

    /// Waits until the last round gave `check` the status `status`.
    fn wait_status(&self, check: &str, status: &str) -> String {
        let mut last = String::new();
        poll_until(PATIENCE, &format!("{check} to be {status}"), || {
            last = monitor::metrics(&self.listen).unwrap_or_default();
            Ok(status_of(&last, check).as_deref() == Some(status))
        })
        .unwrap_or_else(|error| panic!("{error}:\n{last}"));
        last
    }

    fn route(&self, path: &str) -> muster_stack::http::Reply {
        get(&format!("http://{}{path}", self.listen), &[]).unwrap()
    }

    /// Stops the loop; its exit and everything it said on stderr.
    fn stop(mut self) -> (Exit, String) {
        self.finish().expect("the monitor was already stopped")
    }

    fn finish(&mut self) -> Option<(Exit, String)> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let thread = self.thread.take()?;
        Some(thread.join().expect("the monitor's thread panicked"))
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// A healthy stack; Muster gives up on a slow Gafaelfawr after 0.5 s.
fn stack() -> Stack {
    Stack::start(StackOptions {
        server_env: vec![("MUSTER_GAFAELFAWR_TIMEOUT".into(), "0.5".into())],
        ..StackOptions::default()
    })
    .unwrap()
}

/// A service token for the bot with `scopes`, minted through the
/// stand-in's admin route with the bootstrap token.
fn mint(stack: &Stack, scopes: &[&str]) -> String {
    let bootstrap = format!("Bearer {}", stack.gafaelfawr().bootstrap_token());
    let body = json!({
        "username": BOT, "token_type": "service", "scopes": scopes,
        "name": "Muster check", "uid": 90701, "gid": 90701,
        "groups": [{"name": "g-muster-check", "id": 90701}],
    });
    let url = format!("{}/auth/api/v1/tokens", stack.url());
    let reply = send("POST", &url, &[("authorization", &bootstrap)], Some(&body)).unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json().unwrap()["token"].as_str().unwrap().to_owned()
}

/// Revokes `token` through the token API, as an admin.
fn revoke(stack: &Stack, token: &str) {
    let admin = format!("Bearer {}", mint(stack, &["admin:token"]));
    let key = token
        .strip_prefix("gt-")
        .and_then(|rest| rest.split('.').next())
        .unwrap();
    let url = format!("{}/auth/api/v1/users/{BOT}/tokens/{key}", stack.url());
    let reply = send("DELETE", &url, &[("authorization", &admin)], None).unwrap();
    assert_eq!(reply.status, 204, "{}", reply.body);
}

/// Replaces `path`'s content at once, as the kubelet updates a mounted
/// Secret (a new file renamed over the old).
fn write_atomically(path: &Path, text: &str) {
    let new = path.with_extension("new");
    std::fs::write(&new, text).unwrap();
    std::fs::rename(&new, path).unwrap();
}

/// Token files for the monitor: the scoped token and the no-scope one.
struct TokenFiles {
    dir: tempfile::TempDir,
    scoped: String,
    no_scope: String,
}

impl TokenFiles {
    fn mint(stack: &Stack) -> TokenFiles {
        let dir = tempfile::tempdir().unwrap();
        let files = TokenFiles {
            dir,
            scoped: mint(stack, &["read:image"]),
            no_scope: mint(stack, &[]),
        };
        write_atomically(&files.scoped_path(), &files.scoped);
        write_atomically(&files.no_scope_path(), &files.no_scope);
        files
    }

    fn scoped_path(&self) -> PathBuf {
        self.dir.path().join("token")
    }

    fn no_scope_path(&self) -> PathBuf {
        self.dir.path().join("no-scope-token")
    }

    /// The monitor's arguments for `stack` with these files.
    fn args(&self, stack: &Stack) -> Vec<String> {
        vec![
            "--url".to_owned(),
            stack.url(),
            "--token-file".to_owned(),
            self.scoped_path().display().to_string(),
            "--no-scope-token-file".to_owned(),
            self.no_scope_path().display().to_string(),
        ]
    }
}

/// Writes the stand-in's webhook URL to a file for `--slack-webhook-file`.
fn webhook_file(dir: &Path, slack: &SlackStandin) -> String {
    let path = dir.join("slack-webhook");
    std::fs::write(&path, slack.url()).unwrap();
    path.display().to_string()
}

/// Switches the stand-in's `fault` on (or off) while `monitor` runs:
/// within two rounds [`FAULTY_CHECK`] fails (or passes), the webhook then
/// gets its `nth` post, and three rounds later no other; returns the text
/// of that post.
fn switch_fault(
    stack: &Stack,
    monitor: &Monitor,
    slack: &SlackStandin,
    fault: Option<StandinFault>,
    nth: usize,
) -> String {
    stack.gafaelfawr().set_fault(fault);
    let metrics = monitor.wait_rounds(2);
    let expected = if fault.is_some() { "fail" } else { "pass" };
    assert_eq!(
        status_of(&metrics, FAULTY_CHECK).as_deref(),
        Some(expected),
        "{metrics}"
    );
    let posts = wait_posts(slack, nth);
    // Past the alert interval, so that a monitor posting every round
    // would have posted again.
    monitor.wait_rounds_and(3, ALERT_INTERVAL * 2);
    assert_eq!(slack.posts().len(), nth, "{:#?}", slack.posts());
    message_text(&posts[nth - 1])
}

/// Starts a monitor of `stack` with token `files`, posting to a new
/// webhook stand-in at most once per `interval`.
fn monitor_with_slack(
    stack: &Stack,
    files: &TokenFiles,
    interval: &str,
) -> (Monitor, SlackStandin) {
    let slack = SlackStandin::start().unwrap();
    let mut args = files.args(stack);
    let webhook = webhook_file(files.dir.path(), &slack);
    args.extend(["--slack-webhook-file".to_owned(), webhook]);
    args.extend(["--alert-interval".to_owned(), interval.to_owned()]);
    (Monitor::start(&strs(&args)), slack)
}

/// Waits until the stand-in has received `count` posts; returns them.
fn wait_posts(slack: &SlackStandin, count: usize) -> Vec<Value> {
    poll_until(PATIENCE, &format!("{count} Slack posts"), || {
        Ok(slack.posts().len() >= count)
    })
    .unwrap_or_else(|error| panic!("{error}: {:#?}", slack.posts()));
    slack.posts()
}

/// Fails if a post shows any credential the stand-in issued, the token
/// files' tokens or the webhook's secret.
fn assert_posts_clean(stack: &Stack, slack: &SlackStandin) {
    let secrets = Secrets::issued_in(stack);
    for post in slack.posts() {
        let text = post.to_string();
        secrets.assert_absent(&text, "a Slack post");
        assert!(!text.contains(WEBHOOK_SECRET), "{text}");
    }
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn a_fault_alerts_once_and_its_repair_once_while_metrics_follow() {
    let stack = stack();
    let files = TokenFiles::mint(&stack);
    let interval = format!("{}s", ALERT_INTERVAL.as_secs());
    let (monitor, slack) = monitor_with_slack(&stack, &files, &interval);

    let metrics = wait_for_rounds(&monitor.listen, 1, PATIENCE).unwrap();
    assert_eq!(
        status_of(&metrics, FAULTY_CHECK).as_deref(),
        Some("pass"),
        "{metrics}"
    );
    assert!(rounds_with(&metrics, "pass") >= 1, "{metrics}");
    for name in [
        "muster_check_round_duration_seconds",
        "muster_check_last_round_timestamp_seconds",
        "muster_check_last_success_timestamp_seconds",
    ] {
        let (_, value) = monitor::samples(&metrics, name)
            .next()
            .unwrap_or_else(|| panic!("no {name}"));
        assert!(value > 0.0, "{name}: {metrics}");
    }
    let report = monitor.route("/report");
    assert_eq!(report.status, 200, "{}", report.body);
    let report = report.json().unwrap();
    assert_eq!(report["status"], "pass", "{report:#}");
    let link = report["share_url"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/muster/report#v2.", stack.url())),
        "{link}"
    );
    assert_eq!(monitor.route("/healthz").status, 200);
    assert!(slack.posts().is_empty(), "a healthy start says nothing");

    // Fault on: the metric flips within two rounds, one alert goes out.
    let alert = switch_fault(&stack, &monitor, &slack, Some(StandinFault::NoQuota), 1);
    assert!(alert.contains("failing"), "{alert}");
    assert!(alert.contains(FAULTY_CHECK), "{alert}");
    assert!(
        alert.contains("/muster/report#v2."),
        "the share link: {alert}"
    );

    // Fault off: the metric flips back, one "recovered" goes out.
    let recovered = switch_fault(&stack, &monitor, &slack, None, 2);
    assert!(recovered.contains("recovered"), "{recovered}");
    assert_posts_clean(&stack, &slack);

    let (exit, stderr) = monitor.stop();
    assert_eq!(exit, Exit::Pass, "{stderr}");
    Secrets::issued_in(&stack).assert_absent(&stderr, "the monitor's stderr");
}

#[test]
fn a_flapping_fault_is_folded_into_one_message_not_a_flood() {
    const INTERVAL: Duration = Duration::from_secs(20);
    let stack = stack();
    let files = TokenFiles::mint(&stack);
    let (monitor, slack) = monitor_with_slack(&stack, &files, "20s");
    monitor.wait_status(FAULTY_CHECK, "pass");

    let standin = stack.gafaelfawr();
    standin.set_fault(Some(StandinFault::NoQuota));
    monitor.wait_status(FAULTY_CHECK, "fail");
    wait_posts(&slack, 1);
    let first_post = Instant::now();
    // Three more changes within the interval: recovered, failing, recovered.
    for (fault, status) in [
        (None, "pass"),
        (Some(StandinFault::NoQuota), "fail"),
        (None, "pass"),
    ] {
        standin.set_fault(fault);
        monitor.wait_status(FAULTY_CHECK, status);
    }
    assert!(
        first_post.elapsed() < INTERVAL,
        "the flapping took longer than the alert interval: the test proves nothing"
    );
    assert_eq!(slack.posts().len(), 1, "{:#?}", slack.posts());

    // Once the interval has passed, one message folds the three in.
    let posts = wait_posts(&slack, 2);
    let folded = message_text(&posts[1]);
    assert!(folded.contains("recovered"), "{folded}");
    assert!(folded.contains("folds in 3 changes"), "{folded}");
    monitor.wait_rounds(3);
    assert_eq!(slack.posts().len(), 2, "{:#?}", slack.posts());
    assert_posts_clean(&stack, &slack);
}

#[test]
fn token_files_rotated_between_rounds_keep_working() {
    let stack = stack();
    let files = TokenFiles::mint(&stack);
    let monitor = Monitor::start(&strs(&files.args(&stack)));
    monitor.wait_status(FAULTY_CHECK, "pass");

    // Gafaelfawr rotates both tokens: new ones in the files, old revoked.
    write_atomically(&files.scoped_path(), &mint(&stack, &["read:image"]));
    write_atomically(&files.no_scope_path(), &mint(&stack, &[]));
    revoke(&stack, &files.scoped);
    revoke(&stack, &files.no_scope);

    // The round under way may have read the old tokens; the next cannot.
    let before = monitor.wait_rounds(1);
    let metrics = monitor.wait_rounds(2);
    assert!(
        rounds_with(&metrics, "pass") >= rounds_with(&before, "pass") + 2,
        "rounds after the rotation did not pass:\n{metrics}"
    );
    let report = monitor.route("/report").json().unwrap();
    assert_eq!(report["status"], "pass", "{report:#}");
    let (exit, stderr) = monitor.stop();
    assert_eq!(exit, Exit::Pass, "{stderr}");
}

#[test]
fn a_target_that_goes_down_costs_rounds_not_the_loop() {
    let stack = stack();
    let files = TokenFiles::mint(&stack);
    let mut args = files.args(&stack);
    args.extend(["--deadline".to_owned(), "10".to_owned()]);
    let monitor = Monitor::start(&strs(&args));
    monitor.wait_status(FAULTY_CHECK, "pass");

    drop(stack);
    let before = monitor.wait_rounds(1);
    let started = Instant::now();
    let metrics = monitor.wait_rounds(3);
    // Refused connections fail at once: three rounds well within one
    // round's deadline.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        rounds_with(&metrics, "could_not_run") >= rounds_with(&before, "could_not_run") + 3,
        "{metrics}"
    );
    assert_eq!(
        status_of(&metrics, FAULTY_CHECK),
        None,
        "no stale verdict: {metrics}"
    );
    let report = monitor.route("/report");
    assert_eq!(report.status, 503, "{}", report.body);
    assert_eq!(report.json().unwrap()["error"], "could_not_run");
    assert_eq!(monitor.route("/healthz").status, 200);
    let (exit, _) = monitor.stop();
    assert_eq!(exit, Exit::Pass);
}

#[test]
fn a_hung_target_costs_each_round_its_deadline_not_the_loop() {
    let stack = stack();
    let files = TokenFiles::mint(&stack);
    let mut args = files.args(&stack);
    args.extend(["--deadline", "1", "--timeout", "30"].map(str::to_owned));
    let monitor = Monitor::start(&strs(&args));
    monitor.wait_status(FAULTY_CHECK, "pass");

    // Gafaelfawr hangs: every authenticated request waits on it.
    stack.gafaelfawr().hold_auth_subrequests(true);
    let before = monitor.wait_rounds(1);
    let metrics = monitor.wait_rounds(2);
    assert!(
        rounds_with(&metrics, "could_not_run") >= rounds_with(&before, "could_not_run") + 2,
        "{metrics}"
    );
    let (_, duration) = monitor::samples(&metrics, "muster_check_round_duration_seconds")
        .next()
        .unwrap();
    assert!((1.0..5.0).contains(&duration), "a round took {duration} s");
    assert_eq!(monitor.route("/healthz").status, 200);

    // Gafaelfawr answers again: so do the rounds.
    stack.gafaelfawr().hold_auth_subrequests(false);
    monitor.wait_status(FAULTY_CHECK, "pass");
    let (exit, _) = monitor.stop();
    assert_eq!(exit, Exit::Pass);
}
