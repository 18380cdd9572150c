//! The leak checks' view of the stand-in's credentials: every token it has
//! issued, minted or delegated (the tests never see most of them), every
//! session cookie value and the bootstrap token — and the secret the stack
//! planted as Muster's secret from Vault — searched for in whatever
//! the tests read — a page, a share link's JSON, the CLI's output, a
//! response body, Muster's log.
//!
//! A token shows only as a fingerprint (`gt-AbCd…(48 chars)`), which keeps
//! four characters of the key. So any run of [`WINDOW`] characters of a
//! token's key or of its secret counts as a leak: the secret half alone, a
//! truncated token, or the key without its `gt-` all do.

use std::collections::HashMap;

use crate::stack::Stack;
use crate::standin::{IssuedToken, Standin};

/// The shortest run of a key's or a secret's characters that counts as a
/// leak: more than the fingerprint's four, and 48 random bits, so it never
/// turns up by chance.
pub const WINDOW: usize = 8;

/// One part of a credential, as named in a failure (never the value).
#[derive(Debug, Clone)]
struct Part {
    label: String,
}

/// The credentials to look for.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    parts: Vec<Part>,
    /// Every [`WINDOW`]-long run of every part → the part's index.
    windows: HashMap<[u8; WINDOW], usize>,
}

impl Secrets {
    /// Everything `standin` has handed out until now (ask again after more
    /// requests: logins and delegations add tokens).
    pub fn issued_by(standin: &Standin) -> Self {
        Self::of_tokens(&standin.issued_tokens())
    }

    /// Everything the stack's stand-in has handed out until now, and the
    /// secret the stack planted as Muster's secret from Vault.
    pub fn issued_in(stack: &Stack) -> Self {
        let mut secrets = Self::issued_by(stack.gafaelfawr());
        secrets.add(
            "Muster's secret from Vault".to_owned(),
            stack.vault_secret(),
        );
        secrets
    }

    /// The key and the secret of each of `tokens`.
    pub fn of_tokens(tokens: &[IssuedToken]) -> Self {
        let mut secrets = Self::default();
        for issued in tokens {
            let name = format!("{} token gt-{}…", issued.kind, &issued.token.key[..4]);
            secrets.add(format!("the key of the {name}"), &issued.token.key);
            secrets.add(format!("the secret of the {name}"), &issued.token.secret);
        }
        secrets
    }

    /// Adds `value` (at least [`WINDOW`] bytes), named `label` in failures.
    pub fn add(&mut self, label: String, value: &str) {
        assert!(value.len() >= WINDOW, "{label} is too short to look for");
        let index = self.parts.len();
        self.parts.push(Part { label });
        for window in value.as_bytes().windows(WINDOW) {
            let window: [u8; WINDOW] = window.try_into().expect("WINDOW bytes");
            self.windows.insert(window, index);
        }
    }

    /// How many parts (two per token) are looked for.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Every place `text` holds [`WINDOW`] characters of a part: the part's
    /// name, the byte offset and the text just before it, with every part
    /// found masked so that a failure does not print them either.
    pub fn found_in(&self, text: &str) -> Vec<String> {
        let bytes = text.as_bytes();
        // Which bytes belong to a part, and which part starts where.
        let mut masked = bytes.to_vec();
        let mut starts = Vec::new();
        let mut covered_until = 0;
        for at in 0..(bytes.len() + 1).saturating_sub(WINDOW) {
            let window: [u8; WINDOW] = bytes[at..at + WINDOW].try_into().expect("WINDOW bytes");
            if let Some(&index) = self.windows.get(&window) {
                if at >= covered_until {
                    starts.push((at, index));
                }
                covered_until = at + WINDOW;
                // Parts are ASCII, so masking keeps the text UTF-8.
                masked[at..at + WINDOW].fill(b'*');
            }
        }
        starts
            .into_iter()
            .map(|(at, index)| {
                let before = String::from_utf8_lossy(&masked[at.saturating_sub(60)..at]);
                format!("{} at byte {at}, after {before:?}", self.parts[index].label)
            })
            .collect()
    }

    /// Fails, naming `what`, if `text` holds any part (see
    /// [`Secrets::found_in`]).
    pub fn assert_absent(&self, text: &str, what: &str) {
        let found = self.found_in(text);
        assert!(
            found.is_empty(),
            "{what} holds an issued credential:\n{}",
            found.join("\n")
        );
    }
}

/// Fails unless Muster's captured log shows its request lines and none of
/// the credentials the stand-in has issued; returns the log.
pub fn assert_logs_clean(stack: &Stack) -> String {
    let logs = stack.muster_logs();
    let request_path = format!("{}/", stack.path_prefix());
    assert!(
        logs.lines()
            .any(|line| line.contains("request") && line.contains(&request_path)),
        "Muster's log has no request line for {request_path}:\n{logs}"
    );
    let secrets = Secrets::issued_in(stack);
    assert!(!secrets.is_empty(), "the stand-in issued nothing");
    secrets.assert_absent(&logs, "Muster's log");
    logs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standin::Token;

    fn secrets() -> (Secrets, Token) {
        let token = Token::generate();
        let issued = IssuedToken {
            kind: "internal",
            token: token.clone(),
        };
        (Secrets::of_tokens(&[issued]), token)
    }

    #[test]
    fn finds_the_whole_token_its_halves_and_a_truncation() {
        let (secrets, token) = secrets();
        let whole = token.to_string();
        for planted in [
            whole.clone(),
            token.secret.clone(),
            token.key.clone(),
            whole[..14].to_owned(),
            format!("…{}", &token.secret[10..]),
        ] {
            let text = format!("{{\"observed\": \"{planted}\"}}");
            assert!(!secrets.found_in(&text).is_empty(), "missed {planted}");
        }
    }

    #[test]
    fn a_fingerprint_or_another_token_is_not_a_leak() {
        let (secrets, token) = secrets();
        let fingerprint = muster_report::redact::fingerprint(&token.to_string());
        let other = Token::generate().to_string();
        let text = format!(
            "Bearer {fingerprint} {other} {}",
            &token.secret[..WINDOW - 1]
        );
        assert_eq!(secrets.found_in(&text), Vec::<String>::new());
    }

    #[test]
    fn a_failure_names_the_part_without_printing_it() {
        let (secrets, token) = secrets();
        let found = secrets.found_in(&format!("x-auth-request-token: {token}"));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("the key of the internal token"));
        assert!(found[1].starts_with("the secret of the internal token"));
        assert!(found
            .iter()
            .all(|f| !f.contains(&token.secret) && !f.contains(&token.key)));
    }
}
