//! What a client checks by probing: the HTTP requests the browser app and
//! `muster-check` make through the ingress, the pure judgements of what
//! came back, and the run they make together.
//!
//! A probe ([`ProbeDef`]) is data — id, title, what it proves, default fix,
//! the requests to make — plus a judge. Both clients walk [`probes()`] the
//! same way, so they render identical checks:
//!
//! ```
//! use muster_report::probe::{probes, Client, Exchange, ProbeContext, Tokens};
//! use muster_report::probe::run::Run;
//!
//! let context = ProbeContext::new(Client::Cli);
//! let tokens = Tokens { user: Some("gt-…".into()), no_scope: None };
//! let mut results = Vec::new();
//! for probe in probes() {
//!     let requests = match probe.prepare("https://example.com/muster", Client::Cli, &tokens) {
//!         Ok(requests) => requests,
//!         Err(reason) => {
//!             results.push(probe.skipped(&reason));
//!             continue;
//!         }
//!     };
//!     let mut exchanges = Vec::new();
//!     for request in &requests {
//!         // Make the request (never following redirects), then record it;
//!         // recording redacts every secret.
//!         exchanges.push(Exchange::transport_error(request, "connection refused", 3));
//!     }
//!     results.push(probe.result(exchanges, &context));
//! }
//! let run = Run::new("1.0.0", "https://example.com", 1_700_000_000, Client::Cli, results);
//! assert_eq!(run.probes.len(), probes().len());
//! ```
//!
//! The judges live in `judges`, the list in [`catalogue`], what a client
//! saw in [`exchange`]; the probes' results form a [`run`], which a
//! [`snapshot`] share link carries and [`verdict`] puts into words.

pub mod catalogue;
pub mod exchange;
pub(crate) mod judges;

pub use judges::tls::certificate_row;
pub mod run;
pub mod snapshot;
#[cfg(test)]
pub(crate) mod testing;
pub mod verdict;

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::description::Description;
use crate::model::{Check, Route};
use crate::outcome::Outcome;
use crate::received::upstream::DelegatedUserInfo;
use crate::redact;

pub use catalogue::{probe, probes};
pub use exchange::{Exchange, Header, Received, ResponseSeen, SentRequest};

/// A well-formed Gafaelfawr token that no Gafaelfawr issued: Gafaelfawr
/// must answer it with 401 `invalid_token`. Public, so never redacted in
/// copy-as-curl lines.
pub const UNKNOWN_TOKEN: &str = "gt-MusterUnknownToken0000.NotARealSecret00000000";

/// Which client runs the probes. Some answers look different to each: a
/// browser sees a login redirect only as an opaque redirect, and has no
/// token without the route's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// The app, calling `fetch` from the page (same origin).
    Browser,
    /// `muster-check`.
    Cli,
}

/// The credentials a probe's request carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credentials {
    /// None at all (browser: `credentials: 'omit'`).
    None,
    /// The person's or bot's own: browser: the session cookie
    /// (`credentials: 'same-origin'`); CLI: the scoped token as Bearer.
    User,
    /// A token without the route's scope (CLI only; the browser skips).
    NoScope,
    /// This literal `Authorization` value, e.g. a malformed `Token bogus`
    /// (browser: `credentials: 'omit'`).
    Authorization(Cow<'static, str>),
    /// `Authorization: Bearer` [`UNKNOWN_TOKEN`].
    UnknownToken,
}

impl Credentials {
    /// How the credentials were sent, for the "request made" details.
    pub fn describe(&self, client: Client) -> String {
        match (self, client) {
            (Credentials::None, Client::Browser) => "none (credentials: 'omit')".to_owned(),
            (Credentials::None, Client::Cli) => "none".to_owned(),
            (Credentials::User, Client::Browser) => {
                "your session cookie (credentials: 'same-origin')".to_owned()
            }
            (Credentials::User, Client::Cli) => "the scoped token (Bearer)".to_owned(),
            (Credentials::NoScope, _) => "a token without the route's scope (Bearer)".to_owned(),
            (Credentials::Authorization(value), _) => format!("Authorization: {value}"),
            (Credentials::UnknownToken, _) => {
                "a well-formed token Gafaelfawr never issued (Bearer)".to_owned()
            }
        }
    }
}

/// The path of the environment's home page (Squareone in Phalanx) on
/// Muster's host, unless a client is told another ([`ProbeDef::prepare_with_home`]).
pub const HOME_PATH: &str = "/";

/// Where a probe's request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One of Muster's routes, below its base URL.
    Muster(Route),
    /// The environment's home page, at the root of Muster's host
    /// ([`HOME_PATH`]): another application, outside Muster's prefix.
    HomePage,
}

/// One request of a probe, relative to Muster's base URL. Redirects are
/// never followed (browser: `redirect: 'manual'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    /// HTTP method.
    pub method: &'static str,
    /// What is requested: a route of Muster's, or the home page.
    pub target: Target,
    /// Query string without `?`, e.g. `report=true`, or empty.
    pub query: &'static str,
    /// What credentials to attach.
    pub credentials: Credentials,
    /// Further headers to set (lower-case names), e.g. a forged identity.
    pub headers: &'static [(&'static str, &'static str)],
    /// Headers only the CLI sets: a browser's `fetch` may not set `Cookie`,
    /// and sends its real session cookie instead.
    pub cli_headers: &'static [(&'static str, &'static str)],
}

impl ProbeRequest {
    /// The absolute URL below `base` (e.g. `https://host/muster`); the home
    /// page at [`HOME_PATH`] on `base`'s host.
    pub fn url(&self, base: &str) -> String {
        self.url_with_home(base, HOME_PATH)
    }

    /// The absolute URL below `base`, the home page at `home_path` (from
    /// `/`) on `base`'s host.
    fn url_with_home(&self, base: &str, home_path: &str) -> String {
        // `concat`, not `format!`: the page's wasm is smaller without it.
        let url = match self.target {
            Target::Muster(route) => [base.trim_end_matches('/'), "/", route.path()].concat(),
            Target::HomePage => [origin_of(base), home_path].concat(),
        };
        match self.query {
            "" => url,
            query => [&url, "?", query].concat(),
        }
    }

    /// Whether the request goes to one of Muster's routes (below its base URL).
    pub fn is_musters(&self) -> bool {
        matches!(self.target, Target::Muster(_))
    }
}

/// `scheme://host[:port]` of `url`; `url` itself when it has no path.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    match url[after_scheme..].find('/') {
        Some(at) => &url[..after_scheme + at],
        None => url,
    }
}

/// The tokens a client holds. The browser holds none: its user
/// credentials are the session cookie, which scripts cannot read.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    /// A token with the routes' scope (CLI: minted or `--token`).
    pub user: Option<String>,
    /// A token without it (CLI: minted from the bootstrap token).
    pub no_scope: Option<String>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |token: &Option<String>| token.as_deref().map(redact::fingerprint);
        f.debug_struct("Tokens")
            .field("user", &shown(&self.user))
            .field("no_scope", &shown(&self.no_scope))
            .finish()
    }
}

/// A request ready to send, with real secret values. Send exactly this and
/// record the answer with [`Exchange::response`], [`Exchange::opaque_redirect`]
/// or [`Exchange::transport_error`], which redact it.
#[derive(Clone, PartialEq, Eq)]
pub struct Prepared {
    /// HTTP method.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// What the credentials are, for display.
    pub credentials: Credentials,
    /// Browser only: send the session cookie (`credentials: 'same-origin'`)
    /// rather than none (`'omit'`). The CLI never sends cookies.
    pub send_cookies: bool,
    /// Headers to set, with real values (including `authorization`).
    pub headers: Vec<(String, String)>,
}

impl Prepared {
    /// The browser `fetch` `credentials` mode: `same-origin` or `omit`.
    pub fn fetch_credentials(&self) -> &'static str {
        if self.send_cookies {
            "same-origin"
        } else {
            "omit"
        }
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), redact::header_value(name, value)))
            .collect();
        f.debug_struct("Prepared")
            .field("method", &self.method)
            .field("url", &redact::tokens_in_text(&self.url))
            .field("credentials", &self.credentials)
            .field("send_cookies", &self.send_cookies)
            .field("headers", &headers)
            .finish()
    }
}

/// What judges know besides the exchanges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeContext {
    /// The client that made the requests.
    pub client: Client,
    /// Who the user token belongs to, when the client knows exactly (the
    /// CLI minted it with this identity): Muster's upstream-compatible
    /// answers must then name exactly this user, as the existing automated
    /// client requires. `None`: only their consistency is checked.
    pub expected_user: Option<DelegatedUserInfo>,
    /// The client's own judgement of the certificate the host it probes
    /// presents ([`crate::tls_certificate::judge`]: the CLI reads it; a
    /// page cannot, and shows the row Muster's server made instead).
    pub certificate: Option<Outcome>,
}

impl ProbeContext {
    /// The context of `client`, with no expected identity.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            expected_user: None,
            certificate: None,
        }
    }

    /// The same context, with the client's own judgement of the host's
    /// certificate.
    pub fn with_certificate(mut self, certificate: Outcome) -> Self {
        self.certificate = Some(certificate);
        self
    }

    /// The same context, expecting the upstream answers to name `user`.
    pub fn expecting(mut self, user: DelegatedUserInfo) -> Self {
        self.expected_user = Some(user);
        self
    }
}

/// One probe: its description, its requests and its judge.
#[derive(Debug)]
pub struct ProbeDef {
    /// What the probe checks and where to look when it does not pass.
    pub description: Description,
    /// The requests to make, in order.
    pub requests: &'static [ProbeRequest],
    /// The requests depend on one another (the quota's pair: the second
    /// must follow the first) and go out one after another; otherwise a
    /// client may send them all at once.
    pub in_order: bool,
    /// For probes whose requests go in order: whether, once all are made,
    /// the last must be made once more. The quota's pair can straddle the
    /// start of a minute; the second request then opened a new window, and
    /// only a third shows the limit. The judge sees every exchange.
    pub(crate) repeat_last: Option<fn(&[Exchange]) -> bool>,
    /// The judgement of the exchanges, one per request, in order. Only
    /// [`ProbeDef::result`] calls it, once it has made sure every request
    /// has its exchange.
    pub(crate) judge: fn(&[Exchange], &ProbeContext) -> judges::Judgement,
}

/// A probe's verdict and what was exchanged to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The verdict, in the same model as the server's checks.
    pub check: Check,
    /// The requests made and their answers, redacted; empty when skipped.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

impl ProbeDef {
    /// The requests to make below `base` (e.g. `https://host/muster`), or
    /// why `client` holding `tokens` cannot make them (pass it to
    /// [`ProbeDef::skipped`]).
    pub fn prepare(
        &self,
        base: &str,
        client: Client,
        tokens: &Tokens,
    ) -> Result<Vec<Prepared>, String> {
        self.prepare_with_home(base, HOME_PATH, client, tokens)
    }

    /// As [`ProbeDef::prepare`], with the home page at `home_path` (from
    /// `/`, e.g. `/` or `/home/`) on `base`'s host.
    pub fn prepare_with_home(
        &self,
        base: &str,
        home_path: &str,
        client: Client,
        tokens: &Tokens,
    ) -> Result<Vec<Prepared>, String> {
        self.requests
            .iter()
            .map(|request| prepare_one(request, (base, home_path), client, tokens))
            .collect()
    }

    /// Makes `requests` (this probe's, from [`ProbeDef::prepare`]) one
    /// after another with `send`, then the last once more if the probe asks
    /// for it (see `repeat_last`). Every client sends an in-order probe's
    /// requests through here.
    pub async fn send_in_order<'r, F, Fut>(
        &self,
        requests: &'r [Prepared],
        mut send: F,
    ) -> Vec<Exchange>
    where
        F: FnMut(&'r Prepared) -> Fut,
        Fut: std::future::Future<Output = Exchange>,
    {
        let mut exchanges = Vec::with_capacity(requests.len() + 1);
        for request in requests {
            exchanges.push(send(request).await);
        }
        let again = self.repeat_last.is_some_and(|rule| rule(&exchanges));
        if let (true, Some(last)) = (again, requests.last()) {
            exchanges.push(send(last).await);
        }
        exchanges
    }

    /// Judges `exchanges` (one per request, in order) into a result.
    pub fn result(&self, exchanges: Vec<Exchange>, context: &ProbeContext) -> ProbeResult {
        let outcome = if exchanges.len() < self.requests.len() {
            Outcome::fail(format!(
                "Only {} of this probe's {} requests were made.",
                exchanges.len(),
                self.requests.len()
            ))
        } else {
            (self.judge)(&exchanges, context).unwrap_or_else(|early| *early)
        };
        ProbeResult {
            check: self.check(outcome),
            exchanges,
        }
    }

    /// The result of a probe that was not run, saying why.
    pub fn skipped(&self, reason: &str) -> ProbeResult {
        ProbeResult {
            check: self.check(Outcome::skip(reason)),
            exchanges: Vec::new(),
        }
    }

    /// The result of this probe for a client whose own reading of the
    /// host's certificate fails ([`crate::tls_certificate::blocks_requests`]),
    /// which therefore sent nothing: the certificate's probe shows the
    /// client's judgement, every other probe is skipped.
    pub fn blocked_by_certificate(&self, context: &ProbeContext) -> ProbeResult {
        let outcome = match &context.certificate {
            Some(own) if self.description.id == crate::tls_certificate::PROBE_ID => own.clone(),
            _ => Outcome::skip(crate::tls_certificate::BLOCKED),
        };
        ProbeResult {
            check: self.check(outcome),
            exchanges: Vec::new(),
        }
    }

    /// The check for `outcome` under this probe's description.
    fn check(&self, outcome: Outcome) -> Check {
        self.description.check(outcome)
    }
}

fn prepare_one(
    request: &ProbeRequest,
    (base, home_path): (&str, &str),
    client: Client,
    tokens: &Tokens,
) -> Result<Prepared, String> {
    let bearer = |token: &str| Some(format!("Bearer {token}"));
    let (send_cookies, authorization) = match (&request.credentials, client) {
        (Credentials::None, _) => (false, None),
        (Credentials::User, Client::Browser) => (true, None),
        (Credentials::User, Client::Cli) => match &tokens.user {
            Some(token) => (false, bearer(token)),
            None => {
                return Err("Needs a token with the routes' scope (--token, or \
                            --bootstrap-token so muster-check can mint one)."
                    .to_owned())
            }
        },
        (Credentials::NoScope, Client::Browser) => {
            return Err(
                "Needs a token without the route's scope, which a browser does not \
                        have: run muster-check to check this."
                    .to_owned(),
            )
        }
        (Credentials::NoScope, Client::Cli) => match &tokens.no_scope {
            Some(token) => (false, bearer(token)),
            None => {
                return Err(
                    "Needs a token without the route's scope: give muster-check a \
                            bootstrap token (--bootstrap-token) so it can mint one."
                        .to_owned(),
                )
            }
        },
        (Credentials::Authorization(value), _) => (false, Some(value.to_string())),
        (Credentials::UnknownToken, _) => (false, bearer(UNKNOWN_TOKEN)),
    };
    let cli_headers = match client {
        Client::Cli => request.cli_headers,
        Client::Browser => &[],
    };
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .chain(cli_headers)
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    if let Some(value) = authorization {
        headers.push(("authorization".to_owned(), value));
    }
    Ok(Prepared {
        method: request.method,
        url: request.url_with_home(base, home_path),
        credentials: request.credentials.clone(),
        send_cookies,
        headers,
    })
}

/// The URL of Gafaelfawr's login page that returns to `page_url` —
/// `{origin}/login?rd=<page_url, percent-encoded>` — for the browser's
/// "log in" link when [`crate::probe::run::Run::needs_login`].
pub fn login_url(origin: &str, page_url: &str) -> String {
    let mut encoded = String::with_capacity(page_url.len() * 3);
    for byte in page_url.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{}/login?rd={encoded}", origin.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    const USER_TOKEN: &str = "gt-UserTokenKey0000000000.UserTokenSecret0000000";

    fn cli_tokens() -> Tokens {
        Tokens {
            user: Some(USER_TOKEN.into()),
            no_scope: None,
        }
    }

    /// Sends `probe`'s requests in order through a `send` that answers
    /// from `answers` (status and rate-limit headers), in turn; returns the
    /// exchanges and how many requests were sent.
    fn send_answering(
        probe: &ProbeDef,
        answers: &[(u16, Vec<(&'static str, &'static str)>)],
    ) -> (Vec<Exchange>, usize) {
        use std::future::Future as _;
        let requests = probe
            .prepare("https://h/muster", Client::Cli, &cli_tokens())
            .unwrap();
        let sent = std::cell::Cell::new(0);
        let send = |request: &Prepared| {
            let (status, headers) = &answers[sent.get()];
            sent.set(sent.get() + 1);
            let exchange = testing::respond(request, *status, headers, "{}");
            async move { exchange }
        };
        let mut future = std::pin::pin!(probe.send_in_order(&requests, send));
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        // Every answer is ready at once, so one poll finishes the run.
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(exchanges) => (exchanges, sent.get()),
            std::task::Poll::Pending => panic!("send_in_order waited on a ready answer"),
        }
    }

    #[test]
    fn the_quota_request_is_made_once_more_only_after_a_new_minute() {
        let quota = probe("auth.quota").unwrap();
        let window = testing::rate_headers("0");
        let mut next_window = testing::rate_headers("0");
        next_window[2] = ("x-ratelimit-reset", "1767225720");
        let (exchanges, sent) =
            send_answering(quota, &[(200, window.clone()), (429, window.clone())]);
        assert_eq!((exchanges.len(), sent), (2, 2));
        let mut limited = next_window.clone();
        limited.push(("retry-after", "Thu, 01 Jan 2026 00:02:00 GMT"));
        let (exchanges, sent) = send_answering(
            quota,
            &[(200, window.clone()), (200, next_window), (429, limited)],
        );
        assert_eq!((exchanges.len(), sent), (3, 3));
        assert_eq!(exchanges[2].request.url, exchanges[1].request.url);
        let result = quota.result(exchanges, &ProbeContext::new(Client::Cli));
        assert_eq!(result.check.status, Status::Pass, "{:#?}", result.check);
        // A probe without the rule never repeats, whatever it is answered.
        let (_, sent) = send_answering(probe("auth.fail_route").unwrap(), &[(200, window)]);
        assert_eq!(sent, 1);
    }

    #[test]
    fn unknown_token_is_token_shaped() {
        assert!(redact::is_token_shaped(UNKNOWN_TOKEN));
    }

    #[test]
    fn cli_sends_the_user_token_as_bearer_and_browser_the_cookie() {
        let probe = probe("auth.fail_route").unwrap();
        let cli = probe
            .prepare("https://h/muster/", Client::Cli, &cli_tokens())
            .unwrap();
        assert_eq!(cli[0].url, "https://h/muster/auth/fail?report=true");
        assert_eq!(
            cli[0].headers,
            vec![("authorization".into(), format!("Bearer {USER_TOKEN}"))]
        );
        assert!(!cli[0].send_cookies);
        let browser = probe
            .prepare("https://h/muster", Client::Browser, &Tokens::default())
            .unwrap();
        assert!(browser[0].headers.is_empty());
        assert_eq!(browser[0].fetch_credentials(), "same-origin");
    }

    #[test]
    fn only_the_cli_sends_a_stand_in_session_cookie_to_the_anonymous_route() {
        let probe = probe("anonymous.credentials_stripped").unwrap();
        let cli = probe
            .prepare("https://h/muster", Client::Cli, &cli_tokens())
            .unwrap();
        assert!(cli[0]
            .headers
            .contains(&("cookie".into(), catalogue::CLI_SESSION_COOKIE.into())));
        assert!(cli[1].headers.iter().all(|(name, _)| name != "cookie"));
        let browser = probe
            .prepare("https://h/muster", Client::Browser, &Tokens::default())
            .unwrap();
        assert!(browser[0].headers.is_empty());
    }

    #[test]
    fn no_scope_probe_is_skipped_without_a_no_scope_token() {
        let probe = probe("auth.insufficient_scope").unwrap();
        let browser = probe.prepare("https://h/muster", Client::Browser, &Tokens::default());
        assert!(browser.unwrap_err().contains("run muster-check"));
        let cli = probe.prepare("https://h/muster", Client::Cli, &cli_tokens());
        assert!(cli.unwrap_err().contains("--bootstrap-token"));
        let skipped = probe.skipped("why");
        assert_eq!(
            (skipped.check.status, skipped.check.fix),
            (Status::Skip, None)
        );
    }

    #[test]
    fn debug_output_never_shows_tokens() {
        let prepared = probe("auth.fail_route")
            .unwrap()
            .prepare("https://h/muster", Client::Cli, &cli_tokens())
            .unwrap();
        let shown = format!("{prepared:?} {:?}", cli_tokens());
        assert!(!shown.contains(&USER_TOKEN[8..]), "{shown}");
    }

    #[test]
    fn missing_exchanges_fail_rather_than_panic() {
        let result = probe("auth.quota")
            .unwrap()
            .result(Vec::new(), &ProbeContext::new(Client::Cli));
        assert_eq!(result.check.status, Status::Fail);
    }

    #[test]
    fn login_url_percent_encodes_the_return_address() {
        assert_eq!(
            login_url("https://h/", "https://h/muster/?a=b"),
            "https://h/login?rd=https%3A%2F%2Fh%2Fmuster%2F%3Fa%3Db"
        );
    }
}
