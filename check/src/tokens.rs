//! The run's tokens: minted with Gafaelfawr's bootstrap token
//! (`POST /auth/api/v1/tokens` at Muster's host) and revoked when the run
//! ends ([`revoke`]), or given and checked with token-info. Every failure
//! here says why without ever showing a token.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use muster_report::error_body::ErrorBody;
use muster_report::probe::Tokens;
use muster_report::received::observed::Group;
use muster_report::received::upstream::DelegatedUserInfo;
use muster_report::redact;
use reqwest::Client;
use serde_json::json;

use thiserror::Error;

use crate::args::TokenSource;
use crate::http::{fetch, Answer, FetchError};

/// The service-token user muster-check mints for.
pub const BOT_USERNAME: &str = "bot-check-muster";
/// How long minted tokens live.
pub const MINTED_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The identity minted into the bot's tokens, which user-info (and so the
/// delegated routes) must then report exactly.
pub fn bot_identity() -> DelegatedUserInfo {
    DelegatedUserInfo {
        username: BOT_USERNAME.to_owned(),
        email: None,
        name: Some("Muster check".to_owned()),
        uid: Some(90_701),
        gid: Some(90_701),
        groups: vec![Group {
            name: "g-muster-check".to_owned(),
            id: Some(90_701),
        }],
    }
}

/// The tokens of a run and what is known about their owner.
#[derive(Debug)]
pub struct RunTokens {
    /// The tokens the probes use.
    pub tokens: Tokens,
    /// The identity the tokens were minted with; `None` for a given token.
    pub minted_for: Option<DelegatedUserInfo>,
    /// Every secret value involved, to scrub from any message.
    pub secrets: Vec<String>,
}

/// The tokens a run has minted so far, and the bootstrap token they were
/// minted with: what [`revoke`] needs when the run ends, however it ends.
/// Filled as each token arrives, so that a run stopped half-way (by its
/// deadline, Ctrl-C or a failed second mint) still revokes the first.
#[derive(Default)]
pub struct Minted {
    bootstrap: Option<String>,
    tokens: Vec<String>,
}

impl Minted {
    /// Whether nothing was minted.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The bootstrap token and the minted tokens, to scrub from messages.
    pub fn secrets(&self) -> Vec<String> {
        self.bootstrap.iter().chain(&self.tokens).cloned().collect()
    }
}

/// Why the run's tokens could not be had: every case means "could not
/// run", and no message shows a token (the caller scrubs the secrets it
/// knows; server text is redacted here).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenError {
    /// The bootstrap-token file or stdin could not be read.
    #[error("cannot read the bootstrap token from {source_name}: {reason}")]
    Unreadable {
        /// The path, or `stdin`.
        source_name: String,
        /// The I/O error, in words.
        reason: String,
    },
    /// The file is far longer than a token.
    #[error(
        "{0} is longer than {max} bytes: it is not a bootstrap token file",
        max = BOOTSTRAP_FILE_MAX_BYTES
    )]
    TooLong(String),
    /// The file holds only white space.
    #[error(
        "{0} holds no bootstrap token (it is empty); pass the file holding Gafaelfawr's \
         bootstrap-token secret"
    )]
    Empty(String),
    /// A token file (`--token-file`, `--no-scope-token-file`,
    /// `--argocd-token-file`) could not be read, is empty or too long.
    #[error("cannot read a token from {path}: {reason}")]
    TokenFile {
        /// The path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The mint request got no HTTP answer.
    #[error("cannot mint tokens at {url}: {error}")]
    MintUnreachable {
        /// The token API's URL.
        url: String,
        /// What failed.
        error: FetchError,
    },
    /// A success without a token.
    #[error("{url} answered {status} without a token in its body: is this Gafaelfawr?")]
    NoTokenInAnswer {
        /// The token API's URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// 401: not this deployment's bootstrap token.
    #[error(
        "Gafaelfawr rejected the bootstrap token (401 from {url}{detail}): use this \
         deployment's Gafaelfawr bootstrap token (Phalanx secret gafaelfawr/bootstrap-token)"
    )]
    BootstrapRejected {
        /// The token API's URL.
        url: String,
        /// `: <msg> (<type>)` from the body, or nothing.
        detail: String,
    },
    /// 403: a token that may not mint service tokens.
    #[error(
        "Gafaelfawr refused to mint a service token for {bot} (403 from {url}{detail}): the \
         token given is not the bootstrap token and lacks admin:token",
        bot = BOT_USERNAME
    )]
    MintRefused {
        /// The token API's URL.
        url: String,
        /// `: <msg> (<type>)` from the body, or nothing.
        detail: String,
    },
    /// 422 `invalid_scopes`.
    #[error(
        "Gafaelfawr does not know scope {scope:?} (422 invalid_scopes{detail}): give --scope \
         the scope Muster's GafaelfawrIngresses require, one of Gafaelfawr's knownScopes"
    )]
    UnknownScope {
        /// The scope asked for.
        scope: String,
        /// `: <msg> (<type>)` from the body, or nothing.
        detail: String,
    },
    /// 404: no token API at this host.
    #[error("{url} answered 404: Gafaelfawr's API is not served at this host; check --url")]
    NoApi {
        /// The token API's URL.
        url: String,
    },
    /// Any other status.
    #[error("minting a token at {url} failed with HTTP {status}{detail}")]
    MintFailed {
        /// The token API's URL.
        url: String,
        /// The status.
        status: u16,
        /// `: <msg> (<type>)` from the body, or nothing.
        detail: String,
    },
    /// token-info refused the given token.
    #[error(
        "Gafaelfawr rejected the token ({status} from {url}{detail}): it is malformed, \
         unknown, expired or from another deployment; mint a new one, or use \
         --bootstrap-token-file"
    )]
    TokenRejected {
        /// token-info's URL.
        url: String,
        /// The status.
        status: u16,
        /// `: <msg> (<type>)` from the body, or nothing.
        detail: String,
    },
    /// The given token lacks the routes' scope.
    #[error(
        "the token lacks scope {scope}, which Muster's routes require (it has: {held}); use a \
         token with it, or give --scope the scope this deployment's GafaelfawrIngresses require"
    )]
    LacksScope {
        /// The scope the routes require.
        scope: String,
        /// The scopes it has, or `none`.
        held: String,
    },
}

/// Longest bootstrap-token file read (a token is under 100 bytes; the
/// bound keeps a wrong path such as `/dev/zero` from filling memory).
const BOOTSTRAP_FILE_MAX_BYTES: u64 = 64 * 1024;

/// Reads the bootstrap token from a file or stdin (`-`).
/// The token in the file at `path` (a mounted Secret's key, say), trimmed.
/// Read anew each time, so a token its Secret rotated is picked up.
pub fn read_token_file(path: &str) -> Result<String, TokenError> {
    let problem = |reason: String| TokenError::TokenFile {
        path: path.to_owned(),
        reason,
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| {
            file.take(BOOTSTRAP_FILE_MAX_BYTES + 1)
                .read_to_string(&mut text)
        })
        .map_err(|error| problem(error.to_string()))?;
    if text.len() as u64 > BOOTSTRAP_FILE_MAX_BYTES {
        return Err(problem(format!(
            "it is longer than {BOOTSTRAP_FILE_MAX_BYTES} bytes, not a token"
        )));
    }
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(problem("it is empty".to_owned()));
    }
    Ok(token)
}

pub fn read_bootstrap_file(path: &str, stdin: &mut dyn Read) -> Result<String, TokenError> {
    let mut text = String::new();
    let read = if path == "-" {
        stdin
            .take(BOOTSTRAP_FILE_MAX_BYTES + 1)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|file| {
            file.take(BOOTSTRAP_FILE_MAX_BYTES + 1)
                .read_to_string(&mut text)
        })
    };
    let source = if path == "-" {
        "stdin".to_owned()
    } else {
        path.to_owned()
    };
    read.map_err(|error| TokenError::Unreadable {
        source_name: source.clone(),
        reason: error.to_string(),
    })?;
    if text.len() as u64 > BOOTSTRAP_FILE_MAX_BYTES {
        return Err(TokenError::TooLong(source));
    }
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(TokenError::Empty(source));
    }
    Ok(token)
}

/// The tokens for `source`: minted with a bootstrap token (each one noted
/// in `minted` as soon as it exists), or given.
pub async fn obtain(
    client: &Client,
    origin: &str,
    source: &TokenSource,
    scope: &str,
    stdin: &mut dyn Read,
    timeout: Duration,
    minted: &mut Minted,
) -> Result<RunTokens, TokenError> {
    match source {
        TokenSource::Token(token) => given(client, origin, token.trim(), scope, timeout).await,
        TokenSource::TokenFile(path) => {
            let token = read_token_file(path)?;
            given(client, origin, &token, scope, timeout).await
        }
        TokenSource::Bootstrap(bootstrap) => {
            mint_pair(client, origin, bootstrap.trim(), scope, timeout, minted).await
        }
        TokenSource::BootstrapFile(path) => {
            let bootstrap = read_bootstrap_file(path, stdin)?;
            mint_pair(client, origin, &bootstrap, scope, timeout, minted).await
        }
    }
}

/// A token given (not minted): checked with Gafaelfawr for the scope.
async fn given(
    client: &Client,
    origin: &str,
    token: &str,
    scope: &str,
    timeout: Duration,
) -> Result<RunTokens, TokenError> {
    verify(client, origin, token, scope, timeout).await?;
    Ok(RunTokens {
        tokens: Tokens {
            user: Some(token.to_owned()),
            no_scope: None,
        },
        minted_for: None,
        secrets: vec![token.to_owned()],
    })
}

async fn mint_pair(
    client: &Client,
    origin: &str,
    bootstrap: &str,
    scope: &str,
    timeout: Duration,
    minted: &mut Minted,
) -> Result<RunTokens, TokenError> {
    minted.bootstrap = Some(bootstrap.to_owned());
    let scoped = mint(client, origin, bootstrap, &[scope], timeout).await?;
    minted.tokens.push(scoped.clone());
    let no_scope = mint(client, origin, bootstrap, &[], timeout).await?;
    minted.tokens.push(no_scope.clone());
    Ok(RunTokens {
        tokens: Tokens {
            user: Some(scoped),
            no_scope: Some(no_scope),
        },
        minted_for: Some(bot_identity()),
        secrets: minted.secrets(),
    })
}

/// Mints one service token for [`BOT_USERNAME`] with `scopes`.
async fn mint(
    client: &Client,
    origin: &str,
    bootstrap: &str,
    scopes: &[&str],
    timeout: Duration,
) -> Result<String, TokenError> {
    let url = format!("{origin}/auth/api/v1/tokens");
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        + MINTED_LIFETIME.as_secs();
    let identity = bot_identity();
    let body = json!({
        "username": identity.username,
        "token_type": "service",
        "scopes": scopes,
        "expires": expires,
        "name": identity.name,
        "uid": identity.uid,
        "gid": identity.gid,
        "groups": identity.groups,
    });
    let headers = [("authorization".to_owned(), format!("Bearer {bootstrap}"))];
    let answer = match fetch(client, "POST", &url, &headers, Some(&body), timeout).await {
        Ok(answer) => answer,
        Err(error) => return Err(TokenError::MintUnreachable { url, error }),
    };
    let token = answer
        .json()
        .and_then(|json| json.get("token")?.as_str().map(str::to_owned));
    let detail = answer.detail_suffix();
    match (answer.status, token) {
        (201 | 200, Some(token)) if !token.is_empty() => Ok(token),
        (status @ (201 | 200), _) => Err(TokenError::NoTokenInAnswer { url, status }),
        (401, _) => Err(TokenError::BootstrapRejected { url, detail }),
        (403, _) => Err(TokenError::MintRefused { url, detail }),
        (422, _) if answer.error_types().iter().any(|t| t == "invalid_scopes") => {
            Err(TokenError::UnknownScope {
                scope: scopes.first().copied().unwrap_or("").to_owned(),
                detail,
            })
        }
        (404, _) => Err(TokenError::NoApi { url }),
        (status, _) => Err(TokenError::MintFailed {
            url,
            status,
            detail,
        }),
    }
}

/// Checks a given token with token-info, so that a token Gafaelfawr
/// rejects, or one without the routes' `scope`, is a clear "could not run"
/// rather than every probe failing.
async fn verify(
    client: &Client,
    origin: &str,
    token: &str,
    scope: &str,
    timeout: Duration,
) -> Result<(), TokenError> {
    let url = format!("{origin}/auth/api/v1/token-info");
    let headers = [("authorization".to_owned(), format!("Bearer {token}"))];
    // Muster's host has answered by now: a Gafaelfawr that does not (slow,
    // down) is the platform's fault, which the probes report and judge.
    let Ok(answer) = fetch(client, "GET", &url, &headers, None, timeout).await else {
        return Ok(());
    };
    match answer.status {
        status @ (400 | 401) => Err(TokenError::TokenRejected {
            url,
            status,
            detail: answer.detail_suffix(),
        }),
        200 => {
            let scopes: Option<Vec<String>> = answer
                .json()
                .and_then(|json| serde_json::from_value(json.get("scopes")?.clone()).ok());
            match scopes {
                Some(scopes) if !scopes.iter().any(|held| held == scope) => {
                    Err(TokenError::LacksScope {
                        scope: scope.to_owned(),
                        held: if scopes.is_empty() {
                            "none".to_owned()
                        } else {
                            scopes.join(", ")
                        },
                    })
                }
                _ => Ok(()),
            }
        }
        // Anything else (e.g. an API not exposed at this host) is left to
        // the probes, which report what they see.
        _ => Ok(()),
    }
}

/// The scope that lets a token revoke its own user's tokens. Gafaelfawr
/// takes no bootstrap token on its revocation route, and the run's own
/// tokens have no such scope (nor should they: they go through every
/// route under test), so a third token, which only ever goes to the token
/// API, is minted just to revoke.
const REVOKE_SCOPE: &str = "user:token";
/// The longest revoking may take in all: the run is over by then, and the
/// tokens expire on their own anyway.
pub const REVOKE_BUDGET: Duration = Duration::from_secs(10);

/// Why some of the run's tokens may still be valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RevokeError {
    /// The token that revokes could not be minted.
    #[error(
        "could not revoke the run's tokens: minting the token that revokes them failed \
         ({0}); they expire on their own within 15 minutes"
    )]
    NoRevoker(TokenError),
    /// Gafaelfawr did not revoke some tokens.
    #[error("could not revoke {}; they expire on their own within 15 minutes", .0.join("; "))]
    Refused(Vec<String>),
    /// Revoking took longer than [`REVOKE_BUDGET`].
    #[error(
        "could not revoke the run's tokens within {} s; they expire on their own within 15 \
         minutes",
        REVOKE_BUDGET.as_secs()
    )]
    TimedOut,
}

/// Revokes every token in `minted` through Gafaelfawr's token API
/// (`DELETE /auth/api/v1/users/<bot>/tokens/<key>`, which also revokes the
/// tokens delegated from them), within [`REVOKE_BUDGET`].
pub async fn revoke(
    client: &Client,
    origin: &str,
    minted: &Minted,
    timeout: Duration,
) -> Result<(), RevokeError> {
    let (Some(bootstrap), false) = (&minted.bootstrap, minted.is_empty()) else {
        return Ok(());
    };
    let timeout = timeout.min(REVOKE_BUDGET);
    let all = async {
        let revoker = mint(client, origin, bootstrap, &[REVOKE_SCOPE], timeout)
            .await
            .map_err(RevokeError::NoRevoker)?;
        let mut failed = Vec::new();
        // The revoker goes last: it is the credential that deletes the
        // others.
        for token in minted.tokens.iter().chain([&revoker]) {
            if let Err(why) = delete(client, origin, &revoker, token, timeout).await {
                failed.push(why);
            }
        }
        match failed.is_empty() {
            true => Ok(()),
            false => Err(RevokeError::Refused(failed)),
        }
    };
    tokio::time::timeout(REVOKE_BUDGET, all)
        .await
        .unwrap_or(Err(RevokeError::TimedOut))
}

/// Revokes `token` with `revoker`; `Err` says which token and why, showing
/// only its fingerprint.
async fn delete(
    client: &Client,
    origin: &str,
    revoker: &str,
    token: &str,
    timeout: Duration,
) -> Result<(), String> {
    let shown = redact::fingerprint(token);
    let key = token
        .strip_prefix("gt-")
        .and_then(|rest| rest.split_once('.'))
        .map(|(key, _)| key)
        .filter(|key| {
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .ok_or_else(|| format!("token {shown} (not a Gafaelfawr token, so it has no key)"))?;
    let url = format!("{origin}/auth/api/v1/users/{BOT_USERNAME}/tokens/{key}");
    let headers = [("authorization".to_owned(), format!("Bearer {revoker}"))];
    let answer = fetch(client, "DELETE", &url, &headers, None, timeout)
        .await
        .map_err(|error| format!("token {shown} ({error})"))?;
    match answer.status {
        // 404: already gone (expired, or revoked with its parent).
        204 | 200 | 404 => Ok(()),
        status => Err(format!(
            "token {shown} (HTTP {status} from Gafaelfawr's token API{})",
            answer.detail_suffix()
        )),
    }
}

impl Answer {
    /// The body as JSON, if it is JSON.
    fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The `type`s of a Gafaelfawr error body.
    fn error_types(&self) -> Vec<String> {
        let json = self.json();
        let error = json.as_ref().and_then(ErrorBody::of);
        error
            .map(|error| error.error_types().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// `: <msg> (<type>)…` from an error body, redacted, for messages.
    fn detail_suffix(&self) -> String {
        let json = self.json();
        let parts = json
            .as_ref()
            .and_then(ErrorBody::of)
            .map(|error| error.messages())
            .unwrap_or_default();
        if parts.is_empty() {
            let text = self.text();
            let text = text.trim();
            if text.is_empty() || text.len() > 200 {
                return String::new();
            }
            return format!(": {}", redact::tokens_in_text(text));
        }
        format!(": {}", redact::tokens_in_text(&parts.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_file_must_not_be_empty() {
        let error = read_bootstrap_file("-", &mut "  \n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(error.contains("stdin holds no bootstrap token"), "{error}");
        let token = read_bootstrap_file("-", &mut "gt-x\n".as_bytes()).unwrap();
        assert_eq!(token, "gt-x");
        let error = read_bootstrap_file("/nonexistent/muster", &mut "".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(error.contains("/nonexistent/muster"), "{error}");
    }

    #[test]
    fn an_endless_bootstrap_file_is_refused_after_a_bound() {
        let error = read_bootstrap_file("/dev/zero", &mut "".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("/dev/zero is longer than 65536 bytes"),
            "{error}"
        );
        let mut endless = std::io::repeat(b'a');
        let error = read_bootstrap_file("-", &mut endless)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("stdin is longer"), "{error}");
    }
}
