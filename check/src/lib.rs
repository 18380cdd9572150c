//! `muster-check`: the automated client of Muster for installers and CI.
//!
//! It runs the same probes as Muster's page ([`muster_report::probe`])
//! through the ingress with tokens it mints from Gafaelfawr's bootstrap
//! token (or a token it is given), and prints the resulting
//! [`Run`](muster_report::probe::run::Run) as a checklist, JSON or JUnit, with its
//! share link. Verdicts come from the probes' judges; this crate only
//! makes requests, records them and prints. The tokens it minted are
//! revoked when the run ends, however it ends.
//!
//! The binary is a thin wrapper around [`run_until`], which tests call in
//! process with their own arguments, environment and buffers.
//!
//! Exit codes ([`Exit`]): 0 pass (warnings allowed), 1 a check failed,
//! 2 could not run (bad arguments, unreachable host, rejected token,
//! nothing checked, deadline passed, interrupted).
//!
//! With `--every` it is a monitor instead ([`monitor`]): the same run,
//! made in rounds, its results served as metrics and alerts.

pub mod argocd;
pub mod args;
pub mod http;
pub mod installation;
mod monitor;
pub mod output;
pub mod runner;
pub mod terminal;
pub mod tokens;

use std::collections::HashMap;
use std::future::Future;
use std::io::{Read, Write};
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anstream::{AutoStream, ColorChoice};
use muster_report::platform::{group_by_part, PlatformPart};
use muster_report::probe::run::Run;
use muster_report::probe::{probes, Client, ProbeContext, ProbeDef, ProbeResult, Received, Tokens};
use muster_report::redact;
use muster_report::tls_certificate::{blocks_requests, judge, CertificateState};
use muster_report::Status;

use args::{Command, Format, Options, TokenSource};
use output::text::{self, Style};
use runner::{Progress, Runner};
use tokens::Minted;

/// How a run ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: every check passed (warnings allowed).
    Pass,
    /// 1: at least one check failed.
    Failed,
    /// 2: the checks could not run: bad arguments, unreachable host,
    /// rejected token, nothing was checked, or the run was stopped (its
    /// deadline passed, or it was interrupted) before it finished.
    CouldNotRun,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Pass => 0,
            Exit::Failed => 1,
            Exit::CouldNotRun => 2,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// The process's streams, as [`run`] uses them.
pub struct Io<'a> {
    /// Read only for `--bootstrap-token-file -`.
    pub stdin: &'a mut dyn Read,
    /// The checklist (text) or the document (json, junit). (`'static`
    /// only so that `anstream` can wrap it: a process stream or a buffer.)
    pub stdout: &'a mut (dyn Write + 'static),
    /// Errors; for json and junit also the share link.
    pub stderr: &'a mut (dyn Write + 'static),
    /// Whether stdout is a terminal (progress and colour for text).
    pub stdout_is_terminal: bool,
}

/// Runs `muster-check` with `args` (without the program name) and `env`,
/// to the end or its deadline.
pub fn run(args: &[String], env: &HashMap<String, String>, io: Io<'_>) -> Exit {
    run_until(args, env, io, std::future::pending())
}

/// Like [`run`], but stops early when `interrupted` completes (the binary
/// passes Ctrl-C): the checks not reached are marked so, the minted tokens
/// revoked, and the run exits 2.
pub fn run_until(
    args: &[String],
    env: &HashMap<String, String>,
    io: Io<'_>,
    interrupted: impl Future<Output = ()>,
) -> Exit {
    // Messages never carry styling or a server's control characters.
    let mut stderr = AutoStream::new(io.stderr, ColorChoice::Never);
    let options = match args::parse(args, env, io.stdout_is_terminal) {
        Ok(Command::Check(options)) => options,
        Ok(Command::Help) => {
            let _ = io.stdout.write_all(args::help().as_bytes());
            return Exit::Pass;
        }
        Ok(Command::Version) => {
            let _ = io.stdout.write_all(args::version().as_bytes());
            return Exit::Pass;
        }
        Err(error) => {
            // An argument may be a token given in the wrong place.
            say(&mut stderr, &error.to_string(), &secrets_in(args, env));
            return Exit::CouldNotRun;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            say(&mut stderr, &format!("cannot start: {error}"), &[]);
            return Exit::CouldNotRun;
        }
    };
    let colour = match options.colour {
        true => ColorChoice::AlwaysAnsi,
        false => ColorChoice::Never,
    };
    let streams = Streams {
        stdin: io.stdin,
        stdout: AutoStream::new(io.stdout, colour),
        stderr,
    };
    if let Some(monitor) = &options.monitor {
        return runtime.block_on(monitor::run(&options, monitor, streams.stderr, interrupted));
    }
    runtime.block_on(check(&options, streams, interrupted))
}

/// Writes `message` to `stderr` as one `muster-check:` line: secrets
/// replaced by fingerprints, and whatever a server put in it escaped.
fn say(stderr: &mut dyn Write, message: &str, secrets: &[String]) {
    let message = redact::tokens_and_secrets(message, secrets);
    let _ = writeln!(stderr, "muster-check: {}", terminal::escape(&message));
}

/// Values that may be secrets, to scrub from messages about arguments.
fn secrets_in(args: &[String], env: &HashMap<String, String>) -> Vec<String> {
    let from_env = [
        "MUSTER_CHECK_TOKEN",
        "GAFAELFAWR_BOOTSTRAP_TOKEN",
        "ARGOCD_AUTH_TOKEN",
        "MUSTER_SLACK_WEBHOOK",
    ]
    .iter()
    .filter_map(|name| env.get(*name).cloned());
    let mut secrets: Vec<String> = args
        .windows(2)
        .filter(|pair| matches!(pair[0].as_str(), "--token" | "--bootstrap-token"))
        .map(|pair| pair[1].clone())
        .chain(args.iter().filter_map(|arg| {
            let (name, value) = arg.split_once('=')?;
            matches!(name, "--token" | "--bootstrap-token").then(|| value.to_owned())
        }))
        .chain(from_env)
        .collect();
    secrets.retain(|secret| !secret.is_empty());
    secrets
}

/// The streams of a run, stdout and stderr behind `anstream`.
struct Streams<'a> {
    stdin: &'a mut dyn Read,
    stdout: AutoStream<&'a mut (dyn Write + 'static)>,
    stderr: AutoStream<&'a mut (dyn Write + 'static)>,
}

/// Why a run stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stop {
    /// `--deadline` passed.
    Deadline(Duration),
    /// Ctrl-C (or whatever the caller of [`run_until`] passed).
    Interrupted,
}

impl Stop {
    /// What a check not reached says.
    fn not_reached(self) -> String {
        match self {
            Stop::Deadline(deadline) => format!(
                "Not reached before the run's deadline of {} s (--deadline).",
                deadline.as_secs_f64()
            ),
            Stop::Interrupted => "Not reached: the run was interrupted.".to_owned(),
        }
    }

    /// What stopped the run, for the last message.
    fn describe(self) -> String {
        match self {
            Stop::Deadline(deadline) => format!(
                "the run's deadline of {} s (--deadline) passed",
                deadline.as_secs_f64()
            ),
            Stop::Interrupted => "interrupted".to_owned(),
        }
    }
}

/// Awaits `work` unless `stop` completes first.
async fn until<T>(
    stop: &mut Pin<&mut impl Future<Output = Stop>>,
    work: impl Future<Output = T>,
) -> Result<T, Stop> {
    tokio::select! {
        biased;
        stopped = stop.as_mut() => Err(stopped),
        done = work => Ok(done),
    }
}

async fn check(
    options: &Options,
    streams: Streams<'_>,
    interrupted: impl Future<Output = ()>,
) -> Exit {
    let Streams {
        stdin,
        mut stdout,
        mut stderr,
    } = streams;
    let client = match http::client(options.timeout, options.ca.as_ref()) {
        Ok(client) => client,
        Err(error) => {
            say(&mut stderr, &error.to_string(), &[]);
            return Exit::CouldNotRun;
        }
    };
    let installation = match installation::Installation::of(options) {
        Ok(installation) => installation,
        Err(error) => {
            say(&mut stderr, &error.to_string(), &[]);
            return Exit::CouldNotRun;
        }
    };
    tokio::pin!(interrupted);
    // --wait comes first, as an installer runs it right after a sync; the
    // --deadline covers the checks that follow.
    let mut waited = None;
    if let Some(wait) = options.wait {
        let base = options.target.base();
        let waiting = installation.wait(&client, &base, wait, options.timeout, &mut stderr);
        tokio::select! {
            biased;
            () = interrupted.as_mut() => {
                say(&mut stderr, "interrupted while waiting for the installation", &[]);
                return Exit::CouldNotRun;
            }
            finished = waiting => match finished {
                Ok(seconds) => waited = Some(seconds),
                Err(error) => {
                    say(&mut stderr, &error.to_string(), &installation.secrets());
                    return Exit::CouldNotRun;
                }
            },
        }
    }
    let deadline = options.deadline;
    let stop = async move {
        tokio::select! {
            () = tokio::time::sleep(deadline) => Stop::Deadline(deadline),
            () = interrupted => Stop::Interrupted,
        }
    };
    tokio::pin!(stop);
    let mut minted = Minted::default();
    let exit = checks(
        options,
        (stdin, &mut stdout, &mut stderr),
        &client,
        &mut minted,
        &mut stop,
        (&installation, waited),
        Printing::Print,
    )
    .await
    .exit;
    // However the run ended, its tokens go now rather than in 15 minutes.
    if let Err(error) =
        tokens::revoke(&client, &options.target.origin, &minted, options.timeout).await
    {
        say(&mut stderr, &error.to_string(), &secrets(options, &minted));
    }
    exit
}

/// One round of the monitor: the run of [`check`] without `--wait`,
/// printing only its messages (to `stderr`), ended by `--deadline` or
/// when `shutdown` turns true; its minted tokens revoked however it ends.
pub(crate) async fn round(
    options: &Options,
    stderr: &mut dyn Write,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Checked {
    let client = match http::client(options.timeout, options.ca.as_ref()) {
        Ok(client) => client,
        Err(error) => {
            say(stderr, &error.to_string(), &[]);
            return Exit::CouldNotRun.into();
        }
    };
    // Read each round, so that a rotated Argo CD token file is followed.
    let installation = match installation::Installation::of(options) {
        Ok(installation) => installation,
        Err(error) => {
            say(stderr, &error.to_string(), &[]);
            return Exit::CouldNotRun.into();
        }
    };
    let deadline = options.deadline;
    let stop = async move {
        tokio::select! {
            () = tokio::time::sleep(deadline) => Stop::Deadline(deadline),
            _ = shutdown.wait_for(|stopping| *stopping) => Stop::Interrupted,
        }
    };
    tokio::pin!(stop);
    let mut minted = Minted::default();
    let checked = checks(
        options,
        (&mut std::io::empty(), &mut std::io::sink(), &mut *stderr),
        &client,
        &mut minted,
        &mut stop,
        (&installation, None),
        Printing::MessagesOnly,
    )
    .await;
    if let Err(error) =
        tokens::revoke(&client, &options.target.origin, &minted, options.timeout).await
    {
        say(stderr, &error.to_string(), &secrets(options, &minted));
    }
    checked
}

/// Whether a run prints its checklist or document, or only its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Printing {
    /// Progress, checklist or document, share link (a single run).
    Print,
    /// Only the messages on stderr (a monitor's round).
    MessagesOnly,
}

/// How a run ended, and the run itself if it got as far as checking.
pub(crate) struct Checked {
    /// The exit code a single run would end with.
    pub exit: Exit,
    /// The run, unless it stopped before the checks.
    pub finished: Option<Finished>,
}

impl From<Exit> for Checked {
    fn from(exit: Exit) -> Self {
        Checked {
            exit,
            finished: None,
        }
    }
}

/// The certificate the host of `--url` presents, as this client reads it
/// (trusting `--ca-file` besides the built-in and system roots).
async fn read_certificate(options: &Options) -> Result<CertificateState, String> {
    let name = options.ca.as_ref().map(args::CaFile::name);
    let ca = name
        .as_deref()
        .zip(options.ca.as_ref().map(|ca| ca.pem.as_slice()));
    let roots = muster_tls::roots(ca).map_err(|error| error.to_string())?;
    Ok(muster_tls::inspect(&options.target.origin, roots, options.timeout).await)
}

/// A run that got as far as checking.
pub(crate) struct Finished {
    /// The run, as `--format json` prints it.
    pub run: Run,
    /// Its share link.
    pub share_url: String,
    /// The secrets the run used, to keep out of anything shown.
    pub secrets: Vec<String>,
}

/// Every secret the run knows of: the token or bootstrap token given, and
/// the tokens minted.
fn secrets(options: &Options, minted: &Minted) -> Vec<String> {
    let given = match &options.tokens {
        TokenSource::Token(token) | TokenSource::Bootstrap(token) => Some(token.trim().to_owned()),
        TokenSource::BootstrapFile(_) | TokenSource::TokenFile(_) => None,
    };
    given.into_iter().chain(minted.secrets()).collect()
}

/// The run itself: find Muster, obtain the tokens (noting each minted one
/// in `minted`), probe, print. Ends early, exit 2, when `stop` completes.
async fn checks(
    options: &Options,
    (stdin, stdout, stderr): (&mut dyn Read, &mut dyn Write, &mut dyn Write),
    client: &reqwest::Client,
    minted: &mut Minted,
    stop: &mut Pin<&mut impl Future<Output = Stop>>,
    (installation, waited): (&installation::Installation, Option<u64>),
    printing: Printing,
) -> Checked {
    let base = options.target.base();
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let certificate = match until(stop, read_certificate(options)).await {
        Ok(Ok(certificate)) => certificate,
        Ok(Err(error)) => {
            say(stderr, &error, &[]);
            return Exit::CouldNotRun.into();
        }
        Err(stopped) => {
            let message = format!(
                "{} before the host's certificate was read",
                stopped.describe()
            );
            say(stderr, &message, &[]);
            return Exit::CouldNotRun.into();
        }
    };
    // A host whose certificate fails gets no request (and no token): the
    // certificate's row says why, the others are skipped.
    let blocked = blocks_requests(&certificate);
    let preflight = async {
        if blocked {
            return Ok(None);
        }
        output::preflight(client, &base, options.timeout).await
    };
    let version = match until(stop, preflight).await {
        Ok(Ok(version)) => version,
        Ok(Err(error)) => {
            say(stderr, &error.to_string(), &[]);
            return Exit::CouldNotRun.into();
        }
        Err(stopped) => {
            say(
                stderr,
                &format!("{} before Muster answered", stopped.describe()),
                &[],
            );
            return Exit::CouldNotRun.into();
        }
    };
    let argocd_rows = match until(stop, installation.rows(options.timeout, waited)).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(error)) => {
            say(stderr, &error.to_string(), &installation.secrets());
            return Exit::CouldNotRun.into();
        }
        Err(stopped) => {
            let message = format!("{} before Argo CD answered", stopped.describe());
            say(stderr, &message, &installation.secrets());
            return Exit::CouldNotRun.into();
        }
    };
    let obtain = async {
        if blocked {
            return Ok(tokens::RunTokens {
                tokens: Tokens::default(),
                minted_for: None,
                secrets: Vec::new(),
            });
        }
        tokens::obtain(
            client,
            &options.target.origin,
            &options.tokens,
            &options.scope,
            stdin,
            options.timeout,
            minted,
        )
        .await
    };
    let obtained = until(stop, obtain).await;
    let run_tokens = match obtained {
        Ok(Ok(run_tokens)) => run_tokens,
        Ok(Err(error)) => {
            say(stderr, &error.to_string(), &secrets(options, minted));
            return Exit::CouldNotRun.into();
        }
        Err(stopped) => {
            let message = format!("{} before the tokens were ready", stopped.describe());
            say(stderr, &message, &secrets(options, minted));
            return Exit::CouldNotRun.into();
        }
    };
    let mut run_tokens = run_tokens;
    if let Some(path) = &options.no_scope_token_file {
        match tokens::read_token_file(path) {
            Ok(token) => {
                run_tokens.secrets.push(token.clone());
                run_tokens.tokens.no_scope = Some(token);
            }
            Err(error) => {
                say(stderr, &error.to_string(), &run_tokens.secrets);
                return Exit::CouldNotRun.into();
            }
        }
    }
    let run_secrets = run_tokens.secrets.clone();
    let mut context = ProbeContext::new(Client::Cli).with_certificate(judge(&certificate));
    if let Some(identity) = &run_tokens.minted_for {
        context = context.expecting(identity.clone());
    }
    let style = Style {
        colour: options.colour,
    };
    let text = printing == Printing::Print && options.format == Format::Text;
    if text {
        let who = match (&options.tokens, &run_tokens.minted_for) {
            (_, Some(identity)) => format!(
                "as {}, with tokens minted for 15 minutes (scope {} and none)",
                identity.username, options.scope
            ),
            (TokenSource::Token(_), None) | (_, None) => "with the given token".to_owned(),
        };
        let _ = stdout.write_all(text::header(style, &base, version.as_deref(), &who).as_bytes());
    }
    let runner = Runner {
        http: client,
        base: &base,
        home_path: &options.home_path,
        tokens: &run_tokens.tokens,
        context: &context,
        timeout: options.timeout,
        blocked,
    };
    let mut results: Vec<ProbeResult> = Vec::new();
    // The probes run part by part, so that the checklist can print each
    // part's group as soon as it is complete.
    let in_parts: Vec<&ProbeDef> = group_by_part(probes(), |probe| {
        PlatformPart::of(probe.description.component)
    })
    .into_iter()
    .flat_map(|group| group.rows)
    .collect();
    let argocd_rows: Vec<ProbeResult> = argocd_rows
        .into_iter()
        .map(|check| ProbeResult {
            check,
            exchanges: Vec::new(),
        })
        .collect();
    let mut checklist = text::Checklist::new(
        style,
        group_by_part(argocd_rows.iter().cloned(), |row| {
            PlatformPart::of_check(&row.check)
        }),
    );
    let show = |line: &str, stdout: &mut dyn Write| {
        if line.is_empty() {
            return;
        }
        let _ = stdout.write_all(redact::secrets_in_text(line, &run_secrets).as_bytes());
        let _ = stdout.flush();
    };
    let stopped = until(
        stop,
        runner.run(&in_parts, &mut results, |progress| {
            if !text {
                return;
            }
            let line = match progress {
                Progress::Started {
                    index,
                    total,
                    probe,
                } => checklist.started(index, total, probe, options.progress),
                Progress::Finished { result, .. } => checklist.finished(result.clone()),
            };
            show(&line, stdout);
        }),
    )
    .await
    .err();
    let reached = results.len();
    if let Some(stopped) = stopped {
        for probe in &in_parts[reached..] {
            let result = probe.skipped(&stopped.not_reached());
            if text {
                show(&checklist.finished(result.clone()), stdout);
            }
            results.push(result);
        }
    }
    if text {
        show(&checklist.finish(), stdout);
    }
    // The run lists the probes in the catalogue's order, as the page's
    // does, then Argo CD's rows.
    results.sort_by_key(|result| {
        probes()
            .iter()
            .position(|probe| probe.description.id == result.check.id)
    });
    results.extend(argocd_rows);
    let version = version
        .or_else(|| Run::reported_version(&results))
        .unwrap_or_else(|| "unknown".to_owned());
    let run = Run::new(
        version,
        options.target.origin.clone(),
        started_at,
        Client::Cli,
        results,
    );
    let include_identity = run_tokens.minted_for.is_some() && !options.hide_identity;
    let share_url =
        muster_report::probe::snapshot::share_url(&format!("{base}/"), &run, include_identity);
    let stop_note = stopped.map(|stopped| {
        let not_reached = run.probes.len() - reached;
        format!("{}: {not_reached} checks not reached", stopped.describe())
    });
    if printing == Printing::Print {
        let document = match options.format {
            Format::Text => text::summary(style, &run, &share_url, stop_note.as_deref()),
            Format::Json => match serde_json::to_string_pretty(&run) {
                Ok(json) => terminal::escape_json(&json).into_owned() + "\n",
                Err(error) => {
                    say(
                        stderr,
                        &format!("cannot write the run as JSON: {error}"),
                        &[],
                    );
                    return Exit::CouldNotRun.into();
                }
            },
            Format::Junit => match output::junit::render(&run, &share_url) {
                Ok(xml) => xml,
                Err(error) => {
                    say(
                        stderr,
                        &format!("cannot write the run as JUnit XML: {error}"),
                        &[],
                    );
                    return Exit::CouldNotRun.into();
                }
            },
        };
        let _ = stdout.write_all(redact::secrets_in_text(&document, &run_secrets).as_bytes());
        let _ = stdout.flush();
        if !text {
            let _ = writeln!(stderr, "Share link: {share_url}");
        }
    }
    let exit = match stop_note {
        Some(note) => {
            say(stderr, &note, &run_secrets);
            Exit::CouldNotRun
        }
        None => {
            let exit = verdict(&run);
            if exit == Exit::CouldNotRun {
                let why = if unreachable(&run) {
                    format!("no request to {base} got an answer (see the checks above)")
                } else {
                    "nothing could be checked: every probe was skipped".to_owned()
                };
                say(stderr, &why, &run_secrets);
            }
            exit
        }
    };
    Checked {
        exit,
        finished: Some(Finished {
            run,
            share_url,
            secrets: run_secrets,
        }),
    }
}

/// The exit code for a finished run.
pub fn verdict(run: &Run) -> Exit {
    if unreachable(run) {
        return Exit::CouldNotRun;
    }
    match run.status {
        Status::Pass | Status::Warn => Exit::Pass,
        Status::Fail => Exit::Failed,
        Status::Skip => Exit::CouldNotRun,
    }
}

/// True when requests were made and none got an HTTP answer.
fn unreachable(run: &Run) -> bool {
    let mut exchanges = run.probes.iter().flat_map(|probe| &probe.exchanges);
    let mut any = false;
    let all_failed = exchanges.all(|exchange| {
        any = true;
        matches!(exchange.received, Received::TransportError { .. })
    });
    any && all_failed
}
