//! The state every handler shares: the configuration, the issued tokens,
//! the quota counters and what can change while running (the fault, the
//! public origin). Also the user directory lookups built on them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use super::clock;
use super::config::{GroupConfig, QuotaConfig, StandinConfig};
use super::error::Failure;
use super::fault::StandinFault;
use super::hold::Hold;
use super::quota::RateLimiter;
use super::token::{Identity, Token, TokenData, TokenStore, TokenType};

/// What a user looks like to user-info (null fields omitted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserInfo {
    /// The username.
    pub username: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Numeric user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u64>,
    /// Numeric primary group id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<u64>,
    /// Group memberships (always present).
    pub groups: Vec<GroupConfig>,
    /// Quotas, when the user has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaConfig>,
}

/// Settings that tests may change while the stand-in runs.
#[derive(Debug, Clone)]
struct Runtime {
    fault: Option<StandinFault>,
    public_origin: Option<String>,
}

/// The handlers' shared state (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    config: StandinConfig,
    tokens: Mutex<TokenStore>,
    quotas: Mutex<RateLimiter>,
    runtime: Mutex<Runtime>,
    revocations: Mutex<Vec<Revocation>>,
    hold: Hold,
}

/// Locks a mutex; a panic elsewhere while holding it leaves data that is
/// still consistent (every update is a single insert), so poisoning is
/// ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    /// State for a stand-in starting with `config`.
    pub fn new(config: StandinConfig) -> Self {
        let runtime = Runtime {
            fault: config.fault,
            public_origin: config.public_origin.clone(),
        };
        AppState(Arc::new(Shared {
            config,
            tokens: Mutex::new(TokenStore::default()),
            quotas: Mutex::new(RateLimiter::default()),
            runtime: Mutex::new(runtime),
            revocations: Mutex::new(Vec::new()),
            hold: Hold::default(),
        }))
    }

    /// The configuration the stand-in started with.
    pub fn config(&self) -> &StandinConfig {
        &self.0.config
    }

    /// The fault in force.
    pub fn fault(&self) -> Option<StandinFault> {
        lock(&self.0.runtime).fault
    }

    /// Whether `fault` is in force.
    pub fn has_fault(&self, fault: StandinFault) -> bool {
        self.fault() == Some(fault)
    }

    /// Changes the fault in force.
    pub fn set_fault(&self, fault: Option<StandinFault>) {
        lock(&self.0.runtime).fault = fault;
    }

    /// The public origin `/login` may redirect to.
    pub fn public_origin(&self) -> Option<String> {
        lock(&self.0.runtime).public_origin.clone()
    }

    /// Changes the public origin.
    pub fn set_public_origin(&self, origin: Option<String>) {
        lock(&self.0.runtime).public_origin = origin;
    }

    /// Issues and remembers a new token.
    pub fn issue(&self, request: NewToken) -> TokenData {
        let data = TokenData {
            token: Token::generate(),
            username: request.username,
            token_type: request.token_type,
            token_name: request.token_name,
            service: None,
            scopes: request.scopes,
            created: request.created,
            expires: request.expires,
            parent: None,
            identity: request.identity,
        };
        lock(&self.0.tokens).insert(data.clone());
        data
    }

    /// The data of a valid token given as text.
    pub fn lookup(&self, text: &str) -> Option<TokenData> {
        let token = Token::parse(text)?;
        lock(&self.0.tokens).lookup(&token, clock::now()).cloned()
    }

    /// Runs `f` with the token store locked.
    pub fn with_tokens<R>(&self, f: impl FnOnce(&mut TokenStore) -> R) -> R {
        f(&mut lock(&self.0.tokens))
    }

    /// Revokes the token with `key` and its delegated children on behalf of
    /// `actor`, recording each.
    pub fn revoke(&self, key: &str, actor: &str) {
        let revoked = self.with_tokens(|store| store.revoke(key));
        lock(&self.0.revocations).extend(revoked.into_iter().map(|data| Revocation {
            key: data.token.key,
            username: data.username,
            actor: actor.to_owned(),
            requested: key.to_owned(),
        }));
    }

    /// Every revocation so far, in order.
    pub fn revocations(&self) -> Vec<Revocation> {
        lock(&self.0.revocations).clone()
    }

    /// The switch that holds auth subrequests unanswered.
    pub fn hold(&self) -> &Hold {
        &self.0.hold
    }

    /// Runs `f` with the quota counters locked.
    pub fn with_quotas<R>(&self, f: impl FnOnce(&mut RateLimiter) -> R) -> R {
        f(&mut lock(&self.0.quotas))
    }

    /// The directory's view of a token's user, overlaid with the user data
    /// stored in the token. Fails as LDAP would under `ldap-down`.
    pub fn user_info(&self, data: &TokenData) -> Result<UserInfo, Failure> {
        if self.has_fault(StandinFault::LdapDown) {
            return Err(Failure::UserInfoFailed);
        }
        let user = self.config().user(&data.username);
        let identity = &data.identity;
        let mut quota = match user {
            Some(user) => user.quota.clone(),
            None => self.config().default_quota.clone(),
        };
        if self.has_fault(StandinFault::NoQuota) {
            quota = quota
                .map(|quota| QuotaConfig {
                    api: Default::default(),
                    ..quota
                })
                .filter(|quota| quota.notebook.is_some() || quota.tap.is_some());
        }
        Ok(UserInfo {
            username: data.username.clone(),
            name: identity
                .name
                .clone()
                .or_else(|| user.and_then(|user| user.name.clone())),
            email: identity
                .email
                .clone()
                .or_else(|| user.and_then(|user| user.email.clone())),
            uid: identity.uid.or_else(|| user.and_then(|user| user.uid)),
            gid: identity.gid.or_else(|| user.and_then(|user| user.gid)),
            groups: identity
                .groups
                .clone()
                .or_else(|| user.map(|user| user.groups.clone()))
                .unwrap_or_default(),
            quota,
        })
    }
}

/// What [`AppState::issue`] needs to make a token.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Owner.
    pub username: String,
    /// Kind.
    pub token_type: TokenType,
    /// Name of a user token.
    pub token_name: Option<String>,
    /// Scopes.
    pub scopes: BTreeSet<String>,
    /// Creation time, epoch seconds: the caller's one clock reading, from
    /// which it also computes a lifetime-based `expires`.
    pub created: u64,
    /// Expiry, epoch seconds.
    pub expires: Option<u64>,
    /// User data stored with the token.
    pub identity: Identity,
}

/// One token the stand-in revoked, as the tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The revoked token's key.
    pub key: String,
    /// Its owner.
    pub username: String,
    /// Who revoked it (the authenticated user).
    pub actor: String,
    /// The key named in the request: this token's own, or that of the
    /// ancestor whose revocation took it along.
    pub requested: String,
}
