//! The command line and environment, read once into [`Options`] and
//! validated: nothing else in the crate looks at arguments or variables.
//!
//! The arguments are declared for `clap` ([`Cli`]), which also writes
//! `--help`. The variables come from the map the caller read once (the
//! binary's process environment, or a test's own), not from the process:
//! [`parse`] hands each variable to the argument that declares it.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::builder::NonEmptyStringValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory as _, FromArgMatches as _, Parser, ValueEnum};
use muster_slack::SlackWebhook;
use reqwest::Url;
use thiserror::Error;

pub use crate::argocd::Source as ArgoCdSource;

/// The default Muster path prefix, when `--url` names only a host.
pub const DEFAULT_PREFIX: &str = "/muster";
/// The default path of the home page on Muster's host (`--home-path`).
pub const DEFAULT_HOME_PATH: &str = muster_report::probe::HOME_PATH;
/// The default scope of the minted token (the chart's default).
pub const DEFAULT_SCOPE: &str = "read:image";
/// The default total time allowed for one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default total time allowed for a whole run.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);
/// The longest connect timeout: a host that does not accept a connection
/// within this long is reported unreachable even with a long `--timeout`.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// What `--url` should look like, for messages.
const EXPECTED_URL: &str =
    "expected https://<host>[/<prefix>], e.g. https://data.example.org/muster";

/// What `--help` says after the options.
const AFTER_HELP: &str = "\
Exit codes: 0 pass (warnings allowed), 1 a check failed, 2 could not run (bad
arguments, unreachable host, rejected token, nothing checked, deadline passed,
interrupted).

Token source: give at most one; without one, MUSTER_CHECK_TOKEN is used, else
GAFAELFAWR_BOOTSTRAP_TOKEN. Prefer the environment or a file: command-line
arguments are visible to other local users. Tokens minted with the bootstrap
token are revoked when the run ends (also on failure, at the deadline and on
Ctrl-C) through Gafaelfawr's token API; a failure to revoke is reported on
stderr, and the tokens then expire on their own within 15 minutes.

Output: text is the checklist (with progress and colour on a terminal;
NO_COLOR turns colour off), details of every problem with its fix, and the
share link, all on stdout. json and junit: only the document on stdout; the
share link and any messages go to stderr. Text from the server is shown with
its control characters escaped.

Monitor: with --every, muster-check runs rounds until SIGTERM or Ctrl-C (then
exit 0); see README.md's Monitor section for the routes, metrics and alerts.";

/// The command line, as `clap` reads it.
#[derive(Debug, Parser)]
#[command(
    name = "muster-check",
    version,
    about = "muster-check: does this Phalanx deployment pass muster?",
    long_about = "muster-check: does this Phalanx deployment pass muster?\n\n\
        Runs every Muster probe through the ingress (the same checks as Muster's \
        page), prints a checklist, and exits 0 (pass; warnings allowed), 1 (a \
        check failed) or 2 (could not run).",
    after_long_help = AFTER_HELP,
    args_override_self = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Muster's base URL: https://host, or with its path prefix,
    /// https://host/muster (the default prefix). http:// is accepted for
    /// local stacks.
    #[arg(
        long,
        value_name = "URL",
        env = "MUSTER_CHECK_URL",
        hide_env_values = true,
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Target"
    )]
    url: Option<String>,

    /// The home page's path on --url's host: Squareone's page, which
    /// Phalanx serves at the root.
    #[arg(
        long,
        value_name = "PATH",
        env = "MUSTER_CHECK_HOME_PATH",
        default_value = DEFAULT_HOME_PATH,
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Target"
    )]
    home_path: String,

    /// Also trust the certificate authorities in PATH (PEM), besides the
    /// built-in and system ones: for the requests and for the host's
    /// certificate check (e.g. a private CA).
    #[arg(
        long,
        value_name = "PATH",
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Target"
    )]
    ca_file: Option<String>,

    /// A token with the routes' scope; the probes that need a token without
    /// it are skipped.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MUSTER_CHECK_TOKEN",
        hide_env_values = true,
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Token source"
    )]
    token: Option<String>,

    /// Gafaelfawr's bootstrap token: muster-check mints two 15-minute
    /// service tokens for bot-check-muster, one with --scope and one with no
    /// scope, and revokes them when it ends.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GAFAELFAWR_BOOTSTRAP_TOKEN",
        hide_env_values = true,
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Token source"
    )]
    bootstrap_token: Option<String>,

    /// Read the bootstrap token from PATH ('-': stdin).
    #[arg(
        long,
        value_name = "PATH",
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Token source"
    )]
    bootstrap_token_file: Option<String>,

    /// The scope Muster's GafaelfawrIngresses require: the minted token gets
    /// it, a given token must have it.
    #[arg(long, value_name = "SCOPE", default_value = DEFAULT_SCOPE)]
    scope: String,

    /// text (a checklist), json (the run, as the page renders it) or junit
    /// (JUnit XML).
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Total time allowed for each request; connecting gets at most 5 s of
    /// it.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    timeout: Duration,

    /// Total time allowed for the whole run: then it stops with exit 2, marks
    /// the checks not reached and revokes its tokens.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = seconds)]
    deadline: Duration,

    /// Leave usernames and emails out of the share link (always left out
    /// with --token, which may be a person's).
    #[arg(long)]
    hide_identity: bool,

    /// Read the token with the routes' scope from PATH (e.g. the Secret a
    /// GafaelfawrServiceToken keeps current, mounted as a file).
    #[arg(
        long,
        value_name = "PATH",
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Token source"
    )]
    token_file: Option<String>,

    /// Read a token without the routes' scope from PATH, for the checks
    /// that need one (with --token or --token-file; minted tokens bring
    /// their own).
    #[arg(
        long,
        value_name = "PATH",
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Token source"
    )]
    no_scope_token_file: Option<String>,

    /// Where to read Argo CD's applications: auto (Argo CD's API with
    /// --argocd-url, else the Kubernetes API when a kubeconfig or a pod's
    /// service account is found, else not checked), kubernetes, api, or off.
    #[arg(long, value_name = "SOURCE", value_enum, default_value_t = ArgoCdMode::Auto, help_heading = "Argo CD")]
    argocd: ArgoCdMode,

    /// Argo CD's URL, for its REST API; its token comes from
    /// ARGOCD_AUTH_TOKEN or --argocd-token-file.
    #[arg(long, value_name = "URL", value_parser = NonEmptyStringValueParser::new(), help_heading = "Argo CD")]
    argocd_url: Option<String>,

    /// Read Argo CD's API token from PATH.
    #[arg(long, value_name = "PATH", value_parser = NonEmptyStringValueParser::new(), help_heading = "Argo CD")]
    argocd_token_file: Option<String>,

    /// The namespace of Argo CD's Application objects (Kubernetes API).
    #[arg(long, value_name = "NAMESPACE", default_value = DEFAULT_ARGOCD_NAMESPACE, help_heading = "Argo CD")]
    argocd_namespace: String,

    /// Only applications matching this label selector, e.g. Phalanx's
    /// argocd.argoproj.io/instance=science-platform.
    #[arg(long, value_name = "SELECTOR", value_parser = NonEmptyStringValueParser::new(), help_heading = "Argo CD")]
    argocd_selector: Option<String>,

    /// Only applications of this Argo CD project (repeatable; Argo CD's
    /// API only).
    #[arg(long = "argocd-project", value_name = "PROJECT", value_parser = NonEmptyStringValueParser::new(), help_heading = "Argo CD")]
    argocd_projects: Vec<String>,

    /// The kubeconfig to read (default: KUBECONFIG, then ~/.kube/config,
    /// then the pod's service account).
    #[arg(long, value_name = "PATH", value_parser = NonEmptyStringValueParser::new(), help_heading = "Argo CD")]
    kubeconfig: Option<String>,

    /// First wait, up to DURATION (e.g. 10m), until every Argo CD
    /// application is Healthy and Synced and Muster answers, as an
    /// installer does right after a sync; then run the checks (the
    /// --deadline starts then).
    #[arg(long, value_name = "DURATION", value_parser = wait_duration, help_heading = "Argo CD")]
    wait: Option<Duration>,

    /// Run as a monitor: a round of every check each DURATION (e.g. 5m; at
    /// least 100ms), forever; a round that outlasts it is followed at once
    /// by the next. Each round re-reads the token files and ends at
    /// --deadline.
    #[arg(long, value_name = "DURATION", value_parser = every_duration, help_heading = "Monitor")]
    every: Option<Duration>,

    /// Serve /metrics (Prometheus), /report (the last round's JSON) and
    /// /healthz on ADDR, e.g. 0.0.0.0:9090 (with --every).
    #[arg(long, value_name = "ADDR", help_heading = "Monitor")]
    listen: Option<SocketAddr>,

    /// Read the Slack incoming-webhook URL for alerts from PATH (else
    /// MUSTER_SLACK_WEBHOOK); with --every.
    #[arg(
        long,
        value_name = "PATH",
        value_parser = NonEmptyStringValueParser::new(),
        help_heading = "Monitor"
    )]
    slack_webhook_file: Option<String>,

    /// At most one Slack message per DURATION (e.g. 5m; at least 1s); the
    /// next says how many changes it folds in.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        value_parser = alert_interval,
        help_heading = "Monitor"
    )]
    alert_interval: Duration,
}

/// The shortest `--every`.
pub const MIN_EVERY: Duration = Duration::from_millis(100);
/// The shortest `--alert-interval`.
pub const MIN_ALERT_INTERVAL: Duration = Duration::from_secs(1);
/// The longest `--every` and `--alert-interval`.
pub const MAX_MONITOR_DURATION: Duration = Duration::from_secs(24 * 3600);
/// The largest file `--slack-webhook-file` may be.
const WEBHOOK_FILE_MAX_BYTES: u64 = 4096;

/// A humantime duration between `min` and [`MAX_MONITOR_DURATION`].
fn monitor_duration(text: &str, min: Duration) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text.trim())
        .map_err(|error| format!("not a duration such as 30s, 5m or 1h ({error})"))?;
    if duration < min || duration > MAX_MONITOR_DURATION {
        return Err(format!(
            "not between {} and 24h",
            humantime::format_duration(min)
        ));
    }
    Ok(duration)
}

/// An `--every` duration.
fn every_duration(text: &str) -> Result<Duration, String> {
    monitor_duration(text, MIN_EVERY)
}

/// An `--alert-interval` duration.
fn alert_interval(text: &str) -> Result<Duration, String> {
    monitor_duration(text, MIN_ALERT_INTERVAL)
}

/// Where `--argocd` reads applications from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArgoCdMode {
    /// Argo CD's API if its URL is given, else the Kubernetes API if a
    /// kubeconfig or service account is found, else not checked.
    Auto,
    /// The Kubernetes API.
    Kubernetes,
    /// Argo CD's REST API.
    Api,
    /// Not checked.
    Off,
}

/// Argo CD's namespace in Phalanx.
pub const DEFAULT_ARGOCD_NAMESPACE: &str = "argocd";

/// The longest `--wait`.
pub const MAX_WAIT: Duration = Duration::from_secs(3 * 3600);

/// A `--wait` duration: `90s`, `10m`, `1h 30m`, or plain seconds.
fn wait_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => humantime::parse_duration(text)
            .map_err(|error| format!("not a duration such as 90s, 10m or 1h ({error})"))?,
    };
    if duration > MAX_WAIT {
        return Err("longer than 3h".to_owned());
    }
    Ok(duration)
}

/// The arguments that name where the tokens come from, in the order their
/// variables are preferred.
const TOKEN_SOURCES: [&str; 4] = [
    "token",
    "token_file",
    "bootstrap_token",
    "bootstrap_token_file",
];

/// A number of seconds from 0.1 to 3600.
fn seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| seconds.is_finite() && (0.1..=3600.0).contains(seconds))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| "not a number of seconds from 0.1 to 3600".to_owned())
}

/// Where the run's tokens come from.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// A ready token with the routes' scope.
    Token(String),
    /// The bootstrap token, to mint tokens with.
    Bootstrap(String),
    /// A file holding the bootstrap token (`-`: stdin), read later.
    BootstrapFile(String),
    /// A file holding a token with the routes' scope, read when the run
    /// starts.
    TokenFile(String),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret itself.
        match self {
            TokenSource::Token(_) => f.write_str("Token(…)"),
            TokenSource::Bootstrap(_) => f.write_str("Bootstrap(…)"),
            TokenSource::BootstrapFile(path) => write!(f, "BootstrapFile({path:?})"),
            TokenSource::TokenFile(path) => write!(f, "TokenFile({path:?})"),
        }
    }
}

/// How to print the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A checklist for people.
    Text,
    /// The run model as JSON.
    Json,
    /// JUnit XML for CI systems.
    Junit,
}

/// Muster's location: its origin and path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `scheme://host[:port]`.
    pub origin: String,
    /// The path prefix, e.g. `/muster` (never a trailing slash).
    pub prefix: String,
}

/// Why `--url` was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlError {
    /// Not a URL at all.
    #[error("--url {given:?} is not a URL ({reason}); {expected}", expected = EXPECTED_URL)]
    NotAUrl {
        /// The value given.
        given: String,
        /// Why the URL parser refused it.
        reason: String,
    },
    /// Neither `https://` nor `http://`.
    #[error("--url {given:?} uses {scheme}://; {expected}", expected = EXPECTED_URL)]
    Scheme {
        /// The value given.
        given: String,
        /// Its scheme.
        scheme: String,
    },
    /// No host name.
    #[error("--url {0:?} names no host; {expected}", expected = EXPECTED_URL)]
    NoHost(String),
    /// A user name or password in the URL.
    #[error("--url must not carry credentials; give a token source instead ({expected})", expected = EXPECTED_URL)]
    Credentials,
    /// A query or fragment.
    #[error("--url {0:?} has a query or fragment; {expected}", expected = EXPECTED_URL)]
    QueryOrFragment(String),
}

impl Target {
    /// Reads `--url`: `http(s)://host[:port][/prefix][/]`, no query,
    /// fragment or credentials.
    pub fn parse(text: &str) -> Result<Target, UrlError> {
        let url = Url::parse(text.trim()).map_err(|error| UrlError::NotAUrl {
            given: text.trim().to_owned(),
            reason: error.to_string(),
        })?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(UrlError::Scheme {
                given: text.to_owned(),
                scheme: url.scheme().to_owned(),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::NoHost(text.to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(UrlError::QueryOrFragment(text.to_owned()));
        }
        let path = url.path().trim_end_matches('/');
        let prefix = if path.is_empty() {
            DEFAULT_PREFIX.to_owned()
        } else {
            path.to_owned()
        };
        Ok(Target {
            origin: url.origin().ascii_serialization(),
            prefix,
        })
    }

    /// Muster's base URL, `origin` + `prefix`.
    pub fn base(&self) -> String {
        format!("{}{}", self.origin, self.prefix)
    }
}

/// Everything a run needs to know, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where Muster is.
    pub target: Target,
    /// Where the tokens come from.
    pub tokens: TokenSource,
    /// The scope to mint the scoped token with.
    pub scope: String,
    /// Output format.
    pub format: Format,
    /// Total time allowed per request.
    pub timeout: Duration,
    /// Total time allowed for the run.
    pub deadline: Duration,
    /// Leave identity out of the share link.
    pub hide_identity: bool,
    /// Use ANSI colour (text on a terminal, `NO_COLOR` unset).
    pub colour: bool,
    /// Show progress while running (text on a terminal).
    pub progress: bool,
    /// A token without the routes' scope, to read from this file.
    pub no_scope_token_file: Option<String>,
    /// Where Argo CD's applications come from, or why they are not checked.
    pub argocd: ArgoCd,
    /// How long to wait for the installation first.
    pub wait: Option<Duration>,
    /// Run as a monitor (`--every`), or once.
    pub monitor: Option<Monitor>,
    /// The home page's path on Muster's host (`--home-path`), from `/`.
    pub home_path: String,
    /// Certificate authorities to trust besides the built-in ones.
    pub ca: Option<CaFile>,
}

/// `--ca-file`, read and checked once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    /// The path given.
    pub path: String,
    /// Its PEM contents.
    pub pem: Vec<u8>,
}

impl CaFile {
    /// How errors name it.
    pub fn name(&self) -> String {
        format!("--ca-file {:?}", self.path)
    }
}

/// How the monitor (`--every`) runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// Time from the start of one round to the start of the next.
    pub every: Duration,
    /// Where to serve the metrics, report and liveness routes.
    pub listen: Option<SocketAddr>,
    /// Where alerts go (a secret: `Debug` never shows it).
    pub slack_webhook: Option<SlackWebhook>,
    /// At most one Slack message per this long.
    pub alert_interval: Duration,
}

/// Whether and where the run reads Argo CD's applications.
#[derive(Clone, PartialEq, Eq)]
pub enum ArgoCd {
    /// Not checked, for this reason.
    NotChecked(String),
    /// From this source; a token for Argo CD's API is read from
    /// `token_file` when the run starts, if given.
    Source {
        /// The source (with the token from ARGOCD_AUTH_TOKEN, if any).
        source: ArgoCdSource,
        /// Argo CD's token file.
        token_file: Option<String>,
        /// Whether a failure to list ends the run (exit 2). False when
        /// `--argocd auto` only found a kubeconfig or service account the
        /// user did not name: a cluster without Argo CD, or one the
        /// credentials do not reach, then skips the Argo CD row with the
        /// reason instead.
        required: bool,
    },
}

impl fmt::Debug for ArgoCd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token.
        match self {
            ArgoCd::NotChecked(reason) => write!(f, "NotChecked({reason:?})"),
            ArgoCd::Source { source, .. } => write!(f, "Source({})", source.describe()),
        }
    }
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the checks.
    Check(Box<Options>),
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
}

/// Why the command line cannot run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArgsError {
    /// What `clap` refused, in words that name the option.
    #[error("{0}")]
    Usage(String),
    /// More than one token source on the command line.
    #[error("give one token source, not {}", .0.join(" and "))]
    TwoSources(Vec<String>),
    /// No token source anywhere.
    #[error(
        "no token: give --bootstrap-token-file (or GAFAELFAWR_BOOTSTRAP_TOKEN) so muster-check \
         can mint its tokens, or --token (or MUSTER_CHECK_TOKEN) with a token that has the \
         routes' scope"
    )]
    NoToken,
    /// No `--url` and no `MUSTER_CHECK_URL`.
    #[error("no --url: give Muster's base URL, e.g. --url https://data.example.org/muster")]
    NoUrl,
    /// A `--url` that is not Muster's base URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// A `--home-path` that is not a path from the host's root.
    #[error("--home-path {0:?} must be a path from the host's root, e.g. / or /home/")]
    HomePath(String),
    /// A `--scope` that is not one scope name.
    #[error("--scope {0:?} must be one scope name, e.g. read:image")]
    Scope(String),
    /// `--no-scope-token-file` without a token given.
    #[error(
        "--no-scope-token-file goes with --token or --token-file (minted tokens bring their own)"
    )]
    NoScopeWithoutToken,
    /// Argo CD's API chosen without what it needs.
    #[error("{0}")]
    ArgoCd(String),
    /// A `--ca-file` that cannot be read or holds no CA certificate.
    #[error("{0}")]
    CaFile(String),
    /// A monitor option that cannot work (`--every` with a one-shot
    /// option, an unreadable or malformed webhook).
    #[error("{0}")]
    Monitor(String),
}

/// The help text (`--help`).
pub fn help() -> String {
    Cli::command().render_long_help().to_string()
}

/// The version line (`--version`).
pub fn version() -> String {
    Cli::command().render_version().to_string()
}

/// Reads `args` (without the program name) and `env`. `stdout_is_terminal`
/// decides progress and colour for the text format.
pub fn parse(
    args: &[String],
    env: &HashMap<String, String>,
    stdout_is_terminal: bool,
) -> Result<Command, ArgsError> {
    // Each variable reaches its argument as a default, so that the command
    // line wins and [`ValueSource`] tells a flag from a variable.
    let command = Cli::command().mut_args(|arg| {
        let Some(name) = arg
            .get_env()
            .and_then(|name| name.to_str())
            .map(str::to_owned)
        else {
            return arg;
        };
        let value = env
            .get(&name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty());
        let arg = arg.env(None);
        match value {
            Some(value) => arg.default_value(value).hide_default_value(true),
            None => arg,
        }
    });
    let words = std::iter::once("muster-check".to_owned()).chain(args.iter().cloned());
    let matches = match command.try_get_matches_from(words) {
        Ok(matches) => matches,
        Err(error) => {
            return match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    Ok(Command::Help)
                }
                ErrorKind::DisplayVersion => Ok(Command::Version),
                _ => Err(ArgsError::Usage(usage_message(&error))),
            }
        }
    };
    let flags: Vec<String> = TOKEN_SOURCES
        .iter()
        .filter(|id| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|id| format!("--{}", id.replace('_', "-")))
        .collect();
    if flags.len() > 1 {
        return Err(ArgsError::TwoSources(flags));
    }
    let cli = Cli::from_arg_matches(&matches).map_err(|error| {
        // Every value was validated above; this is only a safety net.
        ArgsError::Usage(usage_message(&error))
    })?;
    let tokens = token_source(&cli, &matches).ok_or(ArgsError::NoToken)?;
    let url = cli.url.as_deref().ok_or(ArgsError::NoUrl)?;
    let target = Target::parse(url)?;
    let home_path = cli.home_path.trim().to_owned();
    let odd = |c: char| c.is_whitespace() || c.is_control() || c == '#';
    if !home_path.starts_with('/') || home_path.starts_with("//") || home_path.contains(odd) {
        return Err(ArgsError::HomePath(home_path));
    }
    let scope = cli.scope.clone();
    if scope.is_empty() || scope.contains(char::is_whitespace) {
        return Err(ArgsError::Scope(scope));
    }
    if cli.no_scope_token_file.is_some()
        && !matches!(tokens, TokenSource::Token(_) | TokenSource::TokenFile(_))
    {
        return Err(ArgsError::NoScopeWithoutToken);
    }
    let argocd = argocd_source(&cli, env)?;
    let monitor = monitor(&cli, &tokens, env)?;
    let ca = cli.ca_file.as_deref().map(read_ca_file).transpose()?;
    let text_on_terminal = cli.format == Format::Text && stdout_is_terminal;
    let no_colour = env.get("NO_COLOR").is_some_and(|value| !value.is_empty());
    Ok(Command::Check(Box::new(Options {
        target,
        tokens,
        scope,
        format: cli.format,
        timeout: cli.timeout,
        deadline: cli.deadline,
        hide_identity: cli.hide_identity,
        colour: text_on_terminal && !no_colour,
        progress: text_on_terminal,
        no_scope_token_file: cli.no_scope_token_file,
        argocd,
        wait: cli.wait,
        monitor,
        home_path,
        ca,
    })))
}

/// The monitor's settings, when `--every` is given.
fn monitor(
    cli: &Cli,
    tokens: &TokenSource,
    env: &HashMap<String, String>,
) -> Result<Option<Monitor>, ArgsError> {
    let refuse = |text: &str| Err(ArgsError::Monitor(text.to_owned()));
    let Some(every) = cli.every else {
        if cli.listen.is_some() || cli.slack_webhook_file.is_some() {
            return refuse("--listen and --slack-webhook-file go with --every (the monitor)");
        }
        return Ok(None);
    };
    if cli.wait.is_some() {
        return refuse("--wait goes with a single run, not with --every");
    }
    if matches!(tokens, TokenSource::BootstrapFile(path) if path == "-") {
        return refuse(
            "--every re-reads the bootstrap token each round: give a file, not '-' (stdin)",
        );
    }
    let slack_webhook = match &cli.slack_webhook_file {
        Some(path) => Some(read_webhook_file(path)?),
        None => match env.get("MUSTER_SLACK_WEBHOOK").map(|url| url.trim()) {
            Some(url) if !url.is_empty() => Some(SlackWebhook::parse(url).map_err(|problem| {
                ArgsError::Monitor(format!(
                    "MUSTER_SLACK_WEBHOOK: {problem}; expected a Slack incoming-webhook URL"
                ))
            })?),
            _ => None,
        },
    };
    Ok(Some(Monitor {
        every,
        listen: cli.listen,
        slack_webhook,
        alert_interval: cli.alert_interval,
    }))
}

/// Largest `--ca-file` read: a bundle of hundreds of certificates.
const CA_FILE_MAX_BYTES: u64 = 1024 * 1024;

/// `--ca-file`'s contents, refused unless they hold a CA certificate.
fn read_ca_file(path: &str) -> Result<CaFile, ArgsError> {
    use std::io::Read as _;
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(CA_FILE_MAX_BYTES + 1).read_to_end(&mut pem))
        .map_err(|error| ArgsError::CaFile(format!("--ca-file {path:?}: {error}")))?;
    if pem.len() as u64 > CA_FILE_MAX_BYTES {
        return Err(ArgsError::CaFile(format!(
            "--ca-file {path:?} is larger than {CA_FILE_MAX_BYTES} bytes"
        )));
    }
    let ca = CaFile {
        path: path.to_owned(),
        pem,
    };
    muster_tls::roots(Some((&ca.name(), &ca.pem)))
        .map_err(|error| ArgsError::CaFile(error.to_string()))?;
    Ok(ca)
}

/// The webhook URL in `path` (a mounted Secret); errors never show it.
fn read_webhook_file(path: &str) -> Result<SlackWebhook, ArgsError> {
    use std::io::Read as _;
    let problem =
        |reason: String| ArgsError::Monitor(format!("--slack-webhook-file {path:?}: {reason}"));
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| {
            file.take(WEBHOOK_FILE_MAX_BYTES + 1)
                .read_to_string(&mut text)
        })
        .map_err(|error| problem(error.to_string()))?;
    if text.len() as u64 > WEBHOOK_FILE_MAX_BYTES {
        return Err(problem(format!(
            "it is longer than {WEBHOOK_FILE_MAX_BYTES} bytes, not a webhook URL"
        )));
    }
    SlackWebhook::parse(text.trim()).map_err(|reason| {
        problem(format!(
            "{reason}; expected a Slack incoming-webhook URL such as https://hooks.slack.com/services/…"
        ))
    })
}

/// Where Argo CD's applications come from, following `--argocd`.
fn argocd_source(cli: &Cli, env: &HashMap<String, String>) -> Result<ArgoCd, ArgsError> {
    let variable = |name: &str| {
        env.get(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let api = |url: &str| {
        let token = variable("ARGOCD_AUTH_TOKEN");
        if token.is_none() && cli.argocd_token_file.is_none() {
            return Err(ArgsError::ArgoCd(
                "Argo CD's API needs a token: set ARGOCD_AUTH_TOKEN or give --argocd-token-file"
                    .to_owned(),
            ));
        }
        Ok(ArgoCd::Source {
            source: ArgoCdSource::ArgoCd {
                url: url.trim_end_matches('/').to_owned(),
                token: token.unwrap_or_default(),
                selector: cli.argocd_selector.clone(),
                projects: cli.argocd_projects.clone(),
            },
            token_file: cli.argocd_token_file.clone(),
            required: true,
        })
    };
    // The kubeconfig as kubectl finds it, from the environment the run
    // was given; `None` inside a pod (kube-rs then reads the service
    // account).
    let kubeconfig = cli.kubeconfig.clone().or_else(|| {
        variable("KUBECONFIG")
            .and_then(|paths| paths.split(':').find(|p| !p.is_empty()).map(str::to_owned))
    });
    let home_kubeconfig = variable("HOME")
        .map(|home| std::path::Path::new(&home).join(".kube").join("config"))
        .filter(|path| path.is_file());
    let in_pod = variable("KUBERNETES_SERVICE_HOST").is_some();
    let kubernetes = |kubeconfig: Option<std::path::PathBuf>, required: bool| ArgoCd::Source {
        source: ArgoCdSource::Kubernetes {
            kubeconfig,
            namespace: cli.argocd_namespace.clone(),
            selector: cli.argocd_selector.clone(),
        },
        token_file: None,
        required,
    };
    let named = cli.kubeconfig.is_some();
    match cli.argocd {
        ArgoCdMode::Off => Ok(ArgoCd::NotChecked(
            "Argo CD was not checked (--argocd off).".to_owned(),
        )),
        ArgoCdMode::Api => match &cli.argocd_url {
            Some(url) => api(url),
            None => Err(ArgsError::ArgoCd(
                "--argocd api needs --argocd-url".to_owned(),
            )),
        },
        ArgoCdMode::Kubernetes => Ok(kubernetes(
            kubeconfig
                .map(std::path::PathBuf::from)
                .or(home_kubeconfig.filter(|_| !in_pod)),
            true,
        )),
        ArgoCdMode::Auto => match (&cli.argocd_url, kubeconfig, home_kubeconfig) {
            (Some(url), _, _) => api(url),
            (None, Some(path), _) => Ok(kubernetes(Some(path.into()), named)),
            (None, None, _) if in_pod => Ok(kubernetes(None, false)),
            (None, None, Some(path)) => Ok(kubernetes(Some(path), false)),
            (None, None, None) => Ok(ArgoCd::NotChecked(
                muster_report::argocd::NOT_CONFIGURED.to_owned(),
            )),
        },
    }
}

/// The token source: the flag given, else the first variable set.
fn token_source(cli: &Cli, matches: &ArgMatches) -> Option<TokenSource> {
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let from = |id: &str| -> Option<TokenSource> {
        match id {
            "token" => cli.token.clone().map(TokenSource::Token),
            "bootstrap_token" => cli.bootstrap_token.clone().map(TokenSource::Bootstrap),
            "token_file" => cli.token_file.clone().map(TokenSource::TokenFile),
            _ => cli
                .bootstrap_token_file
                .clone()
                .map(TokenSource::BootstrapFile),
        }
    };
    let flag = TOKEN_SOURCES.iter().find(|id| given(id));
    match flag {
        Some(id) => from(id),
        None => TOKEN_SOURCES.iter().find_map(|id| from(id)),
    }
}

/// `clap`'s refusal in one line that names the option, and where to look.
fn usage_message(error: &clap::Error) -> String {
    let context = |kind: ContextKind| match error.get(kind) {
        Some(ContextValue::String(text)) => Some(text.clone()),
        _ => None,
    };
    // `--url <URL>` → `--url`.
    let option = context(ContextKind::InvalidArg)
        .map(|arg| arg.split_whitespace().next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    match (error.kind(), context(ContextKind::InvalidValue)) {
        (ErrorKind::UnknownArgument, _) if option.starts_with('-') => {
            format!("unknown option {option} (see --help)")
        }
        (ErrorKind::UnknownArgument, _) => {
            format!("unexpected argument {option:?} (see --help)")
        }
        (ErrorKind::InvalidValue, Some(value)) if value.is_empty() => {
            format!("{option} needs a value (see --help)")
        }
        (ErrorKind::InvalidValue, Some(value)) => {
            let valid = match error.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(valid)) => valid.join(", "),
                _ => String::new(),
            };
            format!("{option} {value:?} is not one of {valid}")
        }
        _ => {
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            format!("{first} (see --help)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    fn options(list: &[&str], env: &[(&str, &str)], terminal: bool) -> Result<Options, String> {
        let env = env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        match parse(&args(list), &env, terminal).map_err(|error| error.to_string())? {
            Command::Check(options) => Ok(*options),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn urls_default_the_prefix_and_accept_a_trailing_slash() {
        let target = Target::parse("https://data.example.org").unwrap();
        assert_eq!(target.base(), "https://data.example.org/muster");
        let target = Target::parse("https://data.example.org/checks/muster/").unwrap();
        assert_eq!(target.prefix, "/checks/muster");
        let target = Target::parse("http://127.0.0.1:8080/muster").unwrap();
        assert_eq!(target.base(), "http://127.0.0.1:8080/muster");
    }

    #[test]
    fn the_home_page_is_at_the_root_unless_told_otherwise() {
        let env = [("MUSTER_CHECK_TOKEN", "gt-token")];
        let url = ["--url", "https://data.example.org"];
        assert_eq!(options(&url, &env, false).unwrap().home_path, "/");
        let moved = options(
            &[&url[..], &["--home-path", "/home/"]].concat(),
            &env,
            false,
        );
        assert_eq!(moved.unwrap().home_path, "/home/");
        let from_env = [env[0], ("MUSTER_CHECK_HOME_PATH", "/portal")];
        assert_eq!(
            options(&url, &from_env, false).unwrap().home_path,
            "/portal"
        );
        for bad in ["home", "//evil.example/", "/a b", "/#top"] {
            let error = options(&[&url[..], &["--home-path", bad]].concat(), &env, false);
            assert!(error.unwrap_err().contains("--home-path"), "{bad}");
        }
    }

    #[test]
    fn bad_urls_say_what_is_expected() {
        for bad in [
            "data.example.org",
            "ftp://data.example.org",
            "https://user:pw@data.example.org",
            "https://data.example.org/muster?x=1",
            "https://",
        ] {
            let error = Target::parse(bad).unwrap_err().to_string();
            assert!(error.contains("https://<host>"), "{bad}: {error}");
        }
    }

    #[test]
    fn flags_win_over_the_environment_and_conflict_with_each_other() {
        let env = [("GAFAELFAWR_BOOTSTRAP_TOKEN", "gt-boot")];
        let chosen = options(&["--url", "https://h", "--token", "gt-t"], &env, false).unwrap();
        assert_eq!(chosen.tokens, TokenSource::Token("gt-t".into()));
        let from_env = options(&["--url=https://h"], &env, false).unwrap();
        assert_eq!(from_env.tokens, TokenSource::Bootstrap("gt-boot".into()));
        let both = options(
            &[
                "--url",
                "https://h",
                "--token",
                "a",
                "--bootstrap-token",
                "b",
            ],
            &[],
            false,
        );
        assert!(both.unwrap_err().contains("one token source"));
        let none = options(&["--url", "https://h"], &[], false).unwrap_err();
        assert!(none.contains("no token"), "{none}");
    }

    #[test]
    fn the_given_token_variable_wins_over_the_bootstrap_variable() {
        let env = [
            ("MUSTER_CHECK_TOKEN", "gt-given"),
            ("GAFAELFAWR_BOOTSTRAP_TOKEN", "gt-boot"),
            ("MUSTER_CHECK_URL", "https://h/m"),
        ];
        let chosen = options(&[], &env, false).unwrap();
        assert_eq!(chosen.tokens, TokenSource::Token("gt-given".into()));
        assert_eq!(chosen.target.base(), "https://h/m");
        let file = options(&["--bootstrap-token-file", "-"], &env, false).unwrap();
        assert_eq!(file.tokens, TokenSource::BootstrapFile("-".into()));
        let blank = options(
            &["--url", "https://h"],
            &[("MUSTER_CHECK_TOKEN", " ")],
            false,
        );
        assert!(blank.unwrap_err().contains("no token"));
    }

    #[test]
    fn colour_only_for_text_on_a_terminal_without_no_color() {
        let base = ["--url", "https://h", "--token", "t"];
        assert!(options(&base, &[], true).unwrap().colour);
        assert!(!options(&base, &[], false).unwrap().colour);
        assert!(!options(&base, &[("NO_COLOR", "1")], true).unwrap().colour);
        assert!(options(&base, &[("NO_COLOR", "")], true).unwrap().colour);
        let mut json = base.to_vec();
        json.extend(["--format", "json"]);
        let json = options(&json, &[], true).unwrap();
        assert!(!json.colour && !json.progress);
    }

    #[test]
    fn bad_values_are_refused_with_the_option_named() {
        let base = ["--url", "https://h", "--token", "t"];
        for (extra, named) in [
            (["--timeout", "0"], "--timeout"),
            (["--timeout", "1e-12"], "--timeout"),
            (["--timeout", "soon"], "--timeout"),
            (["--deadline", "0"], "--deadline"),
            (["--format", "xml"], "--format"),
            (["--scope", "a b"], "--scope"),
        ] {
            let mut list = base.to_vec();
            list.extend(extra);
            let error = options(&list, &[], false).unwrap_err();
            assert!(error.contains(named), "{error}");
        }
        let error = options(&["--url", "https://h", "--frobnicate"], &[], false).unwrap_err();
        assert!(error.contains("unknown option --frobnicate"));
        let error = options(&["--url"], &[], false).unwrap_err();
        assert!(error.contains("--url needs a value"));
    }

    #[test]
    fn the_deadline_defaults_to_a_minute() {
        let base = ["--url", "https://h", "--token", "t"];
        assert_eq!(
            options(&base, &[], false).unwrap().deadline,
            DEFAULT_DEADLINE
        );
        let mut list = base.to_vec();
        list.extend(["--deadline", "2.5"]);
        let chosen = options(&list, &[], false).unwrap();
        assert_eq!(chosen.deadline, Duration::from_millis(2500));
        assert_eq!(chosen.timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn help_names_every_option_and_variable() {
        let text = help();
        for name in [
            "--url",
            "--token",
            "--bootstrap-token-file",
            "--deadline",
            "MUSTER_CHECK_URL",
            "GAFAELFAWR_BOOTSTRAP_TOKEN",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        let parsed = parse(&args(&["--url", "x", "-h"]), &HashMap::new(), false);
        assert_eq!(parsed, Ok(Command::Help));
    }

    #[test]
    fn debug_output_hides_tokens() {
        let shown = format!("{:?}", TokenSource::Bootstrap("gt-secret".into()));
        assert!(!shown.contains("secret"));
    }

    const BASE: [&str; 4] = ["--url", "https://h.example", "--token", "gt-x.y"];

    fn monitor_of(extra: &[&str], env: &[(&str, &str)]) -> Result<Option<Monitor>, String> {
        let mut list = BASE.to_vec();
        list.extend_from_slice(extra);
        options(&list, env, false).map(|options| options.monitor)
    }

    #[test]
    fn every_makes_a_monitor_with_its_defaults() {
        assert_eq!(monitor_of(&[], &[]).unwrap(), None);
        let monitor = monitor_of(&["--every", "5m", "--listen", "0.0.0.0:9090"], &[])
            .unwrap()
            .unwrap();
        assert_eq!(monitor.every, Duration::from_secs(300));
        assert_eq!(monitor.listen, Some("0.0.0.0:9090".parse().unwrap()));
        assert_eq!(monitor.alert_interval, Duration::from_secs(300));
        assert_eq!(monitor.slack_webhook, None);
    }

    #[test]
    fn monitor_options_are_refused_where_they_cannot_work() {
        for (extra, expected) in [
            (&["--listen", "127.0.0.1:9090"][..], "--every"),
            (&["--every", "10ms"][..], "--every"),
            (&["--every", "25h"][..], "--every"),
            (
                &["--every", "1m", "--alert-interval", "0s"][..],
                "--alert-interval",
            ),
            (&["--every", "1m", "--wait", "1m"][..], "--wait"),
            (&["--every", "1m", "--listen", "nowhere"][..], "--listen"),
        ] {
            let error = monitor_of(extra, &[]).unwrap_err();
            assert!(error.contains(expected), "{extra:?}: {error}");
        }
    }

    #[test]
    fn the_webhook_is_a_secret_from_a_file_or_the_environment() {
        let secret = "WebhookCanary0007";
        let url = format!("https://hooks.slack.com/services/T0/B0/{secret}");
        let from_env = monitor_of(&["--every", "1m"], &[("MUSTER_SLACK_WEBHOOK", &url)])
            .unwrap()
            .unwrap();
        assert_eq!(
            from_env.slack_webhook.as_ref().map(SlackWebhook::url),
            Some(url.as_str())
        );
        assert!(!format!("{from_env:?}").contains(secret));
        let dir = std::env::temp_dir().join(format!("muster-check-webhook-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("webhook");
        std::fs::write(&file, format!("{url}\n")).unwrap();
        let path = file.display().to_string();
        let from_file = monitor_of(&["--every", "1m", "--slack-webhook-file", &path], &[])
            .unwrap()
            .unwrap();
        assert_eq!(from_file.slack_webhook, from_env.slack_webhook);
        let plain = url.replace("https://", "http://");
        std::fs::write(&file, &plain).unwrap();
        let error = monitor_of(&["--every", "1m", "--slack-webhook-file", &path], &[]).unwrap_err();
        assert!(error.contains("--slack-webhook-file"), "{error}");
        assert!(!error.contains(secret), "{error}");
        let error =
            monitor_of(&["--every", "1m"], &[("MUSTER_SLACK_WEBHOOK", &plain)]).unwrap_err();
        assert!(
            error.contains("MUSTER_SLACK_WEBHOOK") && !error.contains(secret),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
