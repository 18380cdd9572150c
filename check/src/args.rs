//! The command line and environment, read once into [`Options`] and
//! validated: nothing else in the crate looks at arguments or variables.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use reqwest::Url;

/// The default Muster path prefix, when `--url` names only a host.
pub const DEFAULT_PREFIX: &str = "/muster";
/// The default scope of the minted token (the chart's default).
pub const DEFAULT_SCOPE: &str = "read:image";
/// The default total time allowed for one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest connect timeout: a host that does not accept a connection
/// within this long is reported unreachable even with a long `--timeout`.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The usage text of `--help`.
pub const USAGE: &str = "\
muster-check: does this Phalanx deployment pass muster?

Runs every Muster probe through the ingress (the same checks as Muster's
page), prints a checklist, and exits 0 (pass; warnings allowed), 1 (a check
failed) or 2 (could not run: bad arguments, unreachable host, rejected token,
nothing checked).

USAGE:
    muster-check --url https://<host>[/<prefix>] [TOKEN SOURCE] [OPTIONS]

TARGET:
    --url URL                 Muster's base URL: https://host, or with its path
                              prefix, https://host/muster (the default prefix).
                              http:// is accepted for local stacks.
                              [env: MUSTER_CHECK_URL]

TOKEN SOURCE (give at most one; without one, MUSTER_CHECK_TOKEN is used, else
GAFAELFAWR_BOOTSTRAP_TOKEN; prefer the environment or a file, since
command-line arguments are visible to other local users):
    --token TOKEN             a token with the routes' scope; the probes that
                              need a token without it are skipped
                              [env: MUSTER_CHECK_TOKEN]
    --bootstrap-token TOKEN   Gafaelfawr's bootstrap token: muster-check mints
                              two 15-minute service tokens for bot-check-muster,
                              one with --scope and one with no scope
                              [env: GAFAELFAWR_BOOTSTRAP_TOKEN]
    --bootstrap-token-file PATH
                              read the bootstrap token from PATH ('-': stdin)

OPTIONS:
    --scope SCOPE             the scope Muster's GafaelfawrIngresses require:
                              the minted token gets it, a given token must
                              have it [default: read:image]
    --format FORMAT           text (a checklist), json (the run, as the page
                              renders it) or junit (JUnit XML) [default: text]
    --timeout SECONDS         total time allowed for each request; connecting
                              gets at most 5 s of it [default: 10]
    --hide-identity           leave usernames and emails out of the share link
                              (always left out with --token, which may be a
                              person's)
    -h, --help                print this help
    -V, --version             print the version

OUTPUT:
    text: the checklist (with progress and colour on a terminal; NO_COLOR turns
    colour off), details of every problem with its fix, and the share link, all
    on stdout. json and junit: only the document on stdout; the share link and
    any messages go to stderr.
";

/// Where the run's tokens come from.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// A ready token with the routes' scope.
    Token(String),
    /// The bootstrap token, to mint tokens with.
    Bootstrap(String),
    /// A file holding the bootstrap token (`-`: stdin), read later.
    BootstrapFile(String),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret itself.
        match self {
            TokenSource::Token(_) => f.write_str("Token(…)"),
            TokenSource::Bootstrap(_) => f.write_str("Bootstrap(…)"),
            TokenSource::BootstrapFile(path) => write!(f, "BootstrapFile({path:?})"),
        }
    }
}

/// How to print the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl Target {
    /// Reads `--url`: `http(s)://host[:port][/prefix][/]`, no query,
    /// fragment or credentials.
    pub fn parse(text: &str) -> Result<Target, String> {
        let expected = "expected https://<host>[/<prefix>], e.g. https://data.example.org/muster";
        let url = Url::parse(text.trim()).map_err(|error| {
            format!("--url {:?} is not a URL ({error}); {expected}", text.trim())
        })?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(format!(
                "--url {text:?} uses {}://; {expected}",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("--url {text:?} names no host; {expected}"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "--url must not carry credentials; give a token source instead ({expected})"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "--url {text:?} has a query or fragment; {expected}"
            ));
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
    /// Leave identity out of the share link.
    pub hide_identity: bool,
    /// Use ANSI colour (text on a terminal, `NO_COLOR` unset).
    pub colour: bool,
    /// Show progress while running (text on a terminal).
    pub progress: bool,
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the checks.
    Check(Options),
    /// Print the usage text.
    Help,
    /// Print the version.
    Version,
}

/// Reads `args` (without the program name) and `env`. `stdout_is_terminal`
/// decides progress and colour for the text format.
pub fn parse(
    args: &[String],
    env: &HashMap<String, String>,
    stdout_is_terminal: bool,
) -> Result<Command, String> {
    let mut url = None;
    let mut sources: Vec<(&str, TokenSource)> = Vec::new();
    let mut scope = None;
    let mut format = None;
    let mut timeout = None;
    let mut hide_identity = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        // `--name=value` and `--name value` are both accepted.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone().or_else(|| rest.next().cloned()) {
                Some(value) if !value.is_empty() => Ok(value),
                _ => Err(format!("{name} needs a value (see --help)")),
            }
        };
        match name {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--url" => url = Some(value(name)?),
            "--token" => sources.push(("--token", TokenSource::Token(value(name)?))),
            "--bootstrap-token" => {
                sources.push(("--bootstrap-token", TokenSource::Bootstrap(value(name)?)))
            }
            "--bootstrap-token-file" => sources.push((
                "--bootstrap-token-file",
                TokenSource::BootstrapFile(value(name)?),
            )),
            "--scope" => scope = Some(value(name)?),
            "--format" => {
                format = Some(match value(name)?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "junit" => Format::Junit,
                    other => {
                        return Err(format!(
                            "--format {other:?} is not one of text, json, junit"
                        ))
                    }
                })
            }
            "--timeout" => {
                let text = value(name)?;
                let seconds: f64 = text
                    .parse()
                    .ok()
                    .filter(|seconds: &f64| {
                        seconds.is_finite() && *seconds >= 0.1 && *seconds <= 3600.0
                    })
                    .ok_or_else(|| {
                        format!("--timeout {text:?} is not a number of seconds from 0.1 to 3600")
                    })?;
                timeout = Some(Duration::from_secs_f64(seconds));
            }
            "--hide-identity" => hide_identity = true,
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other} (see --help)"))
            }
            other => return Err(format!("unexpected argument {other:?} (see --help)")),
        }
    }
    if sources.len() > 1 {
        let names: Vec<&str> = sources.iter().map(|(name, _)| *name).collect();
        return Err(format!(
            "give one token source, not {}",
            names.join(" and ")
        ));
    }
    let from_env = |name: &str| {
        env.get(name)
            .filter(|value| !value.trim().is_empty())
            .cloned()
    };
    let tokens = match sources.pop() {
        Some((_, source)) => source,
        None => match (
            from_env("MUSTER_CHECK_TOKEN"),
            from_env("GAFAELFAWR_BOOTSTRAP_TOKEN"),
        ) {
            (Some(token), _) => TokenSource::Token(token),
            (None, Some(token)) => TokenSource::Bootstrap(token),
            (None, None) => {
                return Err("no token: give --bootstrap-token-file (or \
                            GAFAELFAWR_BOOTSTRAP_TOKEN) so muster-check can mint its tokens, \
                            or --token (or MUSTER_CHECK_TOKEN) with a token that has the \
                            routes' scope"
                    .to_owned())
            }
        },
    };
    let url = url
        .or_else(|| from_env("MUSTER_CHECK_URL"))
        .ok_or_else(|| {
            "no --url: give Muster's base URL, e.g. --url https://data.example.org/muster"
                .to_owned()
        })?;
    let target = Target::parse(&url)?;
    let scope = scope.unwrap_or_else(|| DEFAULT_SCOPE.to_owned());
    if scope.is_empty() || scope.contains(char::is_whitespace) {
        return Err(format!(
            "--scope {scope:?} must be one scope name, e.g. read:image"
        ));
    }
    let format = format.unwrap_or(Format::Text);
    let text_on_terminal = format == Format::Text && stdout_is_terminal;
    let no_colour = env.get("NO_COLOR").is_some_and(|value| !value.is_empty());
    Ok(Command::Check(Options {
        target,
        tokens,
        scope,
        format,
        timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
        hide_identity,
        colour: text_on_terminal && !no_colour,
        progress: text_on_terminal,
    }))
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
        match parse(&args(list), &env, terminal)? {
            Command::Check(options) => Ok(options),
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
    fn bad_urls_say_what_is_expected() {
        for bad in [
            "data.example.org",
            "ftp://data.example.org",
            "https://user:pw@data.example.org",
            "https://data.example.org/muster?x=1",
            "https://",
        ] {
            let error = Target::parse(bad).unwrap_err();
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
    fn debug_output_hides_tokens() {
        let shown = format!("{:?}", TokenSource::Bootstrap("gt-secret".into()));
        assert!(!shown.contains("secret"));
    }
}
