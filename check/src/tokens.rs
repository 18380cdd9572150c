//! The run's tokens: minted with Gafaelfawr's bootstrap token
//! (`POST /auth/api/v1/tokens` at Muster's host), or given and checked
//! with token-info. Every failure here means "could not run" and says why
//! without ever showing a token.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use muster_report::error_body::ErrorBody;
use muster_report::probe::Tokens;
use muster_report::received::observed::Group;
use muster_report::received::upstream::DelegatedUserInfo;
use muster_report::redact;
use reqwest::Client;
use serde_json::json;

use crate::args::TokenSource;
use crate::http::{fetch, Answer};

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

/// Longest bootstrap-token file read (a token is under 100 bytes; the
/// bound keeps a wrong path such as `/dev/zero` from filling memory).
const BOOTSTRAP_FILE_MAX_BYTES: u64 = 64 * 1024;

/// Reads the bootstrap token from a file or stdin (`-`).
pub fn read_bootstrap_file(path: &str, stdin: &mut dyn Read) -> Result<String, String> {
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
    read.map_err(|error| format!("cannot read the bootstrap token from {source}: {error}"))?;
    if text.len() as u64 > BOOTSTRAP_FILE_MAX_BYTES {
        return Err(format!(
            "{source} is longer than {BOOTSTRAP_FILE_MAX_BYTES} bytes: it is not a bootstrap \
             token file"
        ));
    }
    let token = text.trim().to_owned();
    if token.is_empty() {
        return Err(format!(
            "{source} holds no bootstrap token (it is empty); pass the file holding \
             Gafaelfawr's bootstrap-token secret"
        ));
    }
    Ok(token)
}

/// The tokens for `source`: minted with a bootstrap token, or given.
pub async fn obtain(
    client: &Client,
    origin: &str,
    source: &TokenSource,
    scope: &str,
    stdin: &mut dyn Read,
    timeout: Duration,
) -> Result<RunTokens, String> {
    match source {
        TokenSource::Token(token) => {
            let token = token.trim().to_owned();
            verify(client, origin, &token, scope, timeout).await?;
            Ok(RunTokens {
                tokens: Tokens {
                    user: Some(token.clone()),
                    no_scope: None,
                },
                minted_for: None,
                secrets: vec![token],
            })
        }
        TokenSource::Bootstrap(bootstrap) => {
            mint_pair(client, origin, bootstrap.trim(), scope, timeout).await
        }
        TokenSource::BootstrapFile(path) => {
            let bootstrap = read_bootstrap_file(path, stdin)?;
            mint_pair(client, origin, &bootstrap, scope, timeout).await
        }
    }
}

async fn mint_pair(
    client: &Client,
    origin: &str,
    bootstrap: &str,
    scope: &str,
    timeout: Duration,
) -> Result<RunTokens, String> {
    let mut secrets = vec![bootstrap.to_owned()];
    let scoped = mint(client, origin, bootstrap, &[scope], timeout).await;
    let scoped = scoped.map_err(|error| redact::tokens_and_secrets(&error, &secrets))?;
    secrets.push(scoped.clone());
    let no_scope = mint(client, origin, bootstrap, &[], timeout).await;
    let no_scope = no_scope.map_err(|error| redact::tokens_and_secrets(&error, &secrets))?;
    secrets.push(no_scope.clone());
    Ok(RunTokens {
        tokens: Tokens {
            user: Some(scoped),
            no_scope: Some(no_scope),
        },
        minted_for: Some(bot_identity()),
        secrets,
    })
}

/// Mints one service token for [`BOT_USERNAME`] with `scopes`.
async fn mint(
    client: &Client,
    origin: &str,
    bootstrap: &str,
    scopes: &[&str],
    timeout: Duration,
) -> Result<String, String> {
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
    let answer = fetch(client, "POST", &url, &headers, Some(&body), timeout)
        .await
        .map_err(|error| format!("cannot mint tokens at {url}: {error}"))?;
    let token = answer
        .json()
        .and_then(|json| json.get("token")?.as_str().map(str::to_owned));
    match (answer.status, token) {
        (201 | 200, Some(token)) if !token.is_empty() => Ok(token),
        (201 | 200, _) => Err(format!(
            "{url} answered {} without a token in its body: is this Gafaelfawr?",
            answer.status
        )),
        (401, _) => Err(format!(
            "Gafaelfawr rejected the bootstrap token (401 from {url}{}): use this deployment's \
             Gafaelfawr bootstrap token (Phalanx secret gafaelfawr/bootstrap-token)",
            answer.detail_suffix()
        )),
        (403, _) => Err(format!(
            "Gafaelfawr refused to mint a service token for {BOT_USERNAME} (403 from \
             {url}{}): the token given is not the bootstrap token and lacks admin:token",
            answer.detail_suffix()
        )),
        (422, _) if answer.error_types().iter().any(|t| t == "invalid_scopes") => Err(format!(
            "Gafaelfawr does not know scope {scope:?} (422 invalid_scopes{}): give --scope the \
             scope Muster's GafaelfawrIngresses require, one of Gafaelfawr's knownScopes",
            answer.detail_suffix(),
            scope = scopes.first().copied().unwrap_or("")
        )),
        (404, _) => Err(format!(
            "{url} answered 404: Gafaelfawr's API is not served at this host; check --url"
        )),
        (status, _) => Err(format!(
            "minting a token at {url} failed with HTTP {status}{}",
            answer.detail_suffix()
        )),
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
) -> Result<(), String> {
    let url = format!("{origin}/auth/api/v1/token-info");
    let headers = [("authorization".to_owned(), format!("Bearer {token}"))];
    // Muster's host has answered by now: a Gafaelfawr that does not (slow,
    // down) is the platform's fault, which the probes report and judge.
    let Ok(answer) = fetch(client, "GET", &url, &headers, None, timeout).await else {
        return Ok(());
    };
    match answer.status {
        400 | 401 => Err(format!(
            "Gafaelfawr rejected the token ({} from {url}{}): it is malformed, unknown, expired \
             or from another deployment; mint a new one, or use --bootstrap-token-file",
            answer.status,
            answer.detail_suffix()
        )),
        200 => {
            let scopes: Option<Vec<String>> = answer
                .json()
                .and_then(|json| serde_json::from_value(json.get("scopes")?.clone()).ok());
            match scopes {
                Some(scopes) if !scopes.iter().any(|held| held == scope) => Err(format!(
                    "the token lacks scope {scope}, which Muster's routes require (it has: \
                     {}); use a token with it, or give --scope the scope this deployment's \
                     GafaelfawrIngresses require",
                    if scopes.is_empty() {
                        "none".to_owned()
                    } else {
                        scopes.join(", ")
                    }
                )),
                _ => Ok(()),
            }
        }
        // Anything else (e.g. an API not exposed at this host) is left to
        // the probes, which report what they see.
        _ => Ok(()),
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
        let error = read_bootstrap_file("-", &mut "  \n".as_bytes()).unwrap_err();
        assert!(error.contains("stdin holds no bootstrap token"), "{error}");
        let token = read_bootstrap_file("-", &mut "gt-x\n".as_bytes()).unwrap();
        assert_eq!(token, "gt-x");
        let error = read_bootstrap_file("/nonexistent/muster", &mut "".as_bytes()).unwrap_err();
        assert!(error.contains("/nonexistent/muster"), "{error}");
    }

    #[test]
    fn an_endless_bootstrap_file_is_refused_after_a_bound() {
        let error = read_bootstrap_file("/dev/zero", &mut "".as_bytes()).unwrap_err();
        assert!(
            error.contains("/dev/zero is longer than 65536 bytes"),
            "{error}"
        );
        let mut endless = std::io::repeat(b'a');
        let error = read_bootstrap_file("-", &mut endless).unwrap_err();
        assert!(error.starts_with("stdin is longer"), "{error}");
    }
}
