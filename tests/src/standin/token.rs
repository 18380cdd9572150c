//! Gafaelfawr tokens: their `gt-<key>.<secret>` format, what the stand-in
//! remembers about each, and the store that issues, finds and delegates them.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Length of each of the two base64 parts of a token.
const PART_LEN: usize = 22;

/// A token string, split into its public key and its secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Token {
    /// The public identifier (22 characters).
    pub key: String,
    /// The secret (22 characters).
    pub secret: String,
}

impl Token {
    /// A new token with a random key and secret.
    pub fn generate() -> Self {
        Token {
            key: URL_SAFE_NO_PAD.encode(random_bytes()),
            secret: URL_SAFE_NO_PAD.encode(random_bytes()),
        }
    }

    /// Parses `gt-<key>.<secret>`; `None` if the text has another shape.
    pub fn parse(text: &str) -> Option<Self> {
        let (key, secret) = text.strip_prefix("gt-")?.split_once('.')?;
        let valid = |part: &str| {
            part.len() == PART_LEN
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (valid(key) && valid(secret)).then(|| Token {
            key: key.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// Whether `text` has the shape of a Gafaelfawr token.
    pub fn is_token(text: &str) -> bool {
        Self::parse(text).is_some()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gt-{}.{}", self.key, self.secret)
    }
}

/// Sixteen unpredictable-enough bytes from std alone: a test double needs
/// the token format, not cryptographic strength.
fn random_bytes() -> [u8; 16] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        // Each RandomState is keyed from the OS's randomness.
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(nanos);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    bytes
}

/// The kinds of token Gafaelfawr issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// A browser session (the `gafaelfawr` cookie).
    Session,
    /// A user-created API token.
    User,
    /// A token delegated to a user's notebook.
    Notebook,
    /// A token delegated to a service.
    Internal,
    /// A bot token created by an administrator.
    Service,
    /// A token issued through OpenID Connect.
    Oidc,
}

impl TokenType {
    /// The name used in token-info and in the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Session => "session",
            TokenType::User => "user",
            TokenType::Notebook => "notebook",
            TokenType::Internal => "internal",
            TokenType::Service => "service",
            TokenType::Oidc => "oidc",
        }
    }
}

impl FromStr for TokenType {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        [
            TokenType::Session,
            TokenType::User,
            TokenType::Notebook,
            TokenType::Internal,
            TokenType::Service,
            TokenType::Oidc,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
        .ok_or_else(|| format!("unknown token type {name:?}"))
    }
}

/// User data stored with a token by the admin API, overriding the
/// directory's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Numeric user id.
    pub uid: Option<u64>,
    /// Numeric primary group id.
    pub gid: Option<u64>,
    /// Group memberships.
    pub groups: Option<Vec<GroupConfig>>,
}

/// What the stand-in knows about one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenData {
    /// The token itself.
    pub token: Token,
    /// Its owner.
    pub username: String,
    /// Its kind.
    pub token_type: TokenType,
    /// The name of a user token.
    pub token_name: Option<String>,
    /// The service an internal token was delegated to.
    pub service: Option<String>,
    /// Its scopes.
    pub scopes: BTreeSet<String>,
    /// Creation time, epoch seconds.
    pub created: u64,
    /// Expiry, epoch seconds.
    pub expires: Option<u64>,
    /// Key of the token this one was delegated from.
    pub parent: Option<String>,
    /// User data stored with the token.
    pub identity: Identity,
}

impl TokenData {
    /// Seconds of validity left at `now`; `None` for a token that never
    /// expires.
    pub fn remaining(&self, now: u64) -> Option<u64> {
        self.expires.map(|expires| expires.saturating_sub(now))
    }
}

/// What identifies a delegation, so a second identical request reuses the
/// token made by the first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DelegationKey {
    /// Key of the token delegating.
    pub parent: String,
    /// `None` for a notebook token, else the service delegated to.
    pub service: Option<String>,
    /// The scopes granted.
    pub scopes: BTreeSet<String>,
}

/// All tokens the stand-in has issued, and which of them are revoked.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: HashMap<String, TokenData>,
    delegations: HashMap<DelegationKey, String>,
    /// Keys of revoked tokens: kept in `tokens` so that leak checks still
    /// know them, but never valid again.
    revoked: HashSet<String>,
}

impl TokenStore {
    /// Remembers a token.
    pub fn insert(&mut self, data: TokenData) {
        self.tokens.insert(data.token.key.clone(), data);
    }

    /// The data of `token` if it was issued, its secret matches and it has
    /// not expired at `now`.
    pub fn lookup(&self, token: &Token, now: u64) -> Option<&TokenData> {
        self.tokens
            .get(&token.key)
            .filter(|data| data.token.secret == token.secret)
            .filter(|data| data.expires.is_none_or(|expires| expires > now))
            .filter(|data| !self.revoked.contains(&data.token.key))
    }

    /// The owner of the unrevoked token with `key`, expired or not.
    pub fn owner_of(&self, key: &str) -> Option<&str> {
        self.tokens
            .get(key)
            .filter(|data| !self.revoked.contains(&data.token.key))
            .map(|data| data.username.as_str())
    }

    /// Revokes the token with `key` and every token delegated from it,
    /// however deep; returns those revoked now (the token first).
    pub fn revoke(&mut self, key: &str) -> Vec<TokenData> {
        let mut revoked = Vec::new();
        let mut pending = vec![key.to_owned()];
        while let Some(key) = pending.pop() {
            let Some(data) = self.tokens.get(&key) else {
                continue;
            };
            if !self.revoked.insert(key.clone()) {
                continue;
            }
            revoked.push(data.clone());
            pending.extend(
                self.tokens
                    .values()
                    .filter(|child| child.parent.as_deref() == Some(key.as_str()))
                    .map(|child| child.token.key.clone()),
            );
        }
        revoked
    }

    /// Every token ever issued, expired ones included, in no order.
    pub fn all(&self) -> impl Iterator<Item = &TokenData> {
        self.tokens.values()
    }

    /// Whether `username` already has a user token called `name`.
    pub fn has_token_name(&self, username: &str, name: &str) -> bool {
        self.tokens
            .values()
            .any(|data| data.username == username && data.token_name.as_deref() == Some(name))
    }

    /// The token delegated for `key` if it is still valid for at least
    /// `minimum_lifetime` seconds, else a new one made by `mint` and
    /// remembered for the next identical request.
    pub fn delegate(
        &mut self,
        key: DelegationKey,
        minimum_lifetime: u64,
        now: u64,
        mint: impl FnOnce() -> TokenData,
    ) -> Token {
        let reusable = self
            .delegations
            .get(&key)
            .and_then(|child| self.tokens.get(child))
            .filter(|data| !self.revoked.contains(&data.token.key))
            .filter(|data| {
                data.remaining(now)
                    .is_none_or(|left| left >= minimum_lifetime && left > 0)
            })
            .map(|data| data.token.clone());
        if let Some(token) = reusable {
            return token;
        }
        let data = mint();
        let token = data.token.clone();
        self.delegations.insert(key, token.key.clone());
        self.insert(data);
        token
    }
}

/// A group membership.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// Group name.
    pub name: String,
    /// Numeric group id.
    pub id: u64,
}
