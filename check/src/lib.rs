//! `muster-check`: the automated client of Muster for installers and CI.
//!
//! It runs the same probes as Muster's page ([`muster_report::probe`])
//! through the ingress with tokens it mints from Gafaelfawr's bootstrap
//! token (or a token it is given), and prints the resulting
//! [`Run`](muster_report::probe::run::Run) as a checklist, JSON or JUnit, with its
//! share link. Verdicts come from the probes' judges; this crate only
//! makes requests, records them and prints.
//!
//! The binary is a thin wrapper around [`run`], which tests call in
//! process with their own arguments, environment and buffers.
//!
//! Exit codes ([`Exit`]): 0 pass (warnings allowed), 1 a check failed,
//! 2 could not run (bad arguments, unreachable host, rejected token,
//! nothing checked).

pub mod argocd;
pub mod args;
pub mod http;
pub mod output;
pub mod runner;
pub mod tokens;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use muster_report::probe::run::Run;
use muster_report::probe::{probes, Client, ProbeContext, Received};
use muster_report::redact;
use muster_report::Status;

use args::{Command, Format, Options, TokenSource};
use output::text::{self, Style};
use runner::{Progress, Runner};

/// How a run ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: every check passed (warnings allowed).
    Pass,
    /// 1: at least one check failed.
    Failed,
    /// 2: the checks could not run: bad arguments, unreachable host,
    /// rejected token, or nothing was checked.
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
    /// The checklist (text) or the document (json, junit).
    pub stdout: &'a mut dyn Write,
    /// Errors; for json and junit also the share link.
    pub stderr: &'a mut dyn Write,
    /// Whether stdout is a terminal (progress and colour for text).
    pub stdout_is_terminal: bool,
}

/// Runs `muster-check` with `args` (without the program name) and `env`.
pub fn run(args: &[String], env: &HashMap<String, String>, io: Io<'_>) -> Exit {
    let options = match args::parse(args, env, io.stdout_is_terminal) {
        Ok(Command::Check(options)) => options,
        Ok(Command::Help) => {
            let _ = io.stdout.write_all(args::USAGE.as_bytes());
            return Exit::Pass;
        }
        Ok(Command::Version) => {
            let _ = writeln!(io.stdout, "muster-check {}", env!("CARGO_PKG_VERSION"));
            return Exit::Pass;
        }
        Err(message) => {
            // An argument may be a token given in the wrong place.
            let message = redact::tokens_and_secrets(&message, &secrets_in(args, env));
            let _ = writeln!(io.stderr, "muster-check: {message}");
            return Exit::CouldNotRun;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(io.stderr, "muster-check: cannot start: {error}");
            return Exit::CouldNotRun;
        }
    };
    runtime.block_on(check(&options, io))
}

/// Values that may be secrets, to scrub from messages about arguments.
fn secrets_in(args: &[String], env: &HashMap<String, String>) -> Vec<String> {
    let from_env = ["MUSTER_CHECK_TOKEN", "GAFAELFAWR_BOOTSTRAP_TOKEN"]
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

async fn check(options: &Options, io: Io<'_>) -> Exit {
    let Io {
        stdin,
        stdout,
        stderr,
        ..
    } = io;
    let mut fail = |message: &str, secrets: &[String]| {
        let _ = writeln!(
            stderr,
            "muster-check: {}",
            redact::tokens_and_secrets(message, secrets)
        );
        Exit::CouldNotRun
    };
    let base = options.target.base();
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let client = match http::client(options.timeout) {
        Ok(client) => client,
        Err(message) => return fail(&message, &[]),
    };
    let version = match output::preflight(&client, &base, options.timeout).await {
        Ok(version) => version,
        Err(message) => return fail(&message, &[]),
    };
    let obtained = tokens::obtain(
        &client,
        &options.target.origin,
        &options.tokens,
        &options.scope,
        stdin,
        options.timeout,
    )
    .await;
    let run_tokens = match obtained {
        Ok(run_tokens) => run_tokens,
        Err(message) => return fail(&message, &[]),
    };
    let secrets = run_tokens.secrets.clone();
    let mut context = ProbeContext::new(Client::Cli);
    if let Some(identity) = &run_tokens.minted_for {
        context = context.expecting(identity.clone());
    }
    let style = Style {
        colour: options.colour,
    };
    let text = options.format == Format::Text;
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
        http: &client,
        base: &base,
        tokens: &run_tokens.tokens,
        context: &context,
        timeout: options.timeout,
    };
    let results = runner
        .run(probes(), |progress| {
            if !text {
                return;
            }
            let line = match progress {
                Progress::Started {
                    index,
                    total,
                    probe,
                } if options.progress => text::running_line(style, index, total, probe),
                Progress::Started { .. } => return,
                Progress::Finished { result, .. } if options.progress => {
                    format!("\r\x1b[2K{}\n", text::finished_line(style, result))
                }
                Progress::Finished { result, .. } => {
                    format!("{}\n", text::finished_line(style, result))
                }
            };
            let _ = stdout.write_all(redact::secrets_in_text(&line, &secrets).as_bytes());
            let _ = stdout.flush();
        })
        .await;
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
    let document = match options.format {
        Format::Text => text::summary(style, &run, &share_url),
        Format::Json => match serde_json::to_string_pretty(&run) {
            Ok(json) => json + "\n",
            Err(error) => return fail(&format!("cannot write the run as JSON: {error}"), &[]),
        },
        Format::Junit => output::junit::render(&run, &share_url),
    };
    let _ = stdout.write_all(redact::secrets_in_text(&document, &secrets).as_bytes());
    let _ = stdout.flush();
    if !text {
        let _ = writeln!(stderr, "Share link: {share_url}");
    }
    let exit = verdict(&run);
    if exit == Exit::CouldNotRun {
        let why = if unreachable(&run) {
            format!("no request to {base} got an answer (see the checks above)")
        } else {
            "nothing could be checked: every probe was skipped".to_owned()
        };
        let _ = writeln!(stderr, "muster-check: {why}");
    }
    exit
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
