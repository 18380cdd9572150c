//! The ways the stand-in can be told to misbehave, each named in kebab-case
//! so a test, the stack's configuration or a command line can pick one.

use std::fmt;
use std::str::FromStr;

/// A misbehaviour of the stand-in, chosen by name.
///
/// "Down" is not a fault here: the stack models it by not starting the
/// stand-in, or by stopping it with [`super::Standin::stop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum StandinFault {
    /// `user-info` and `token-info` answer only after the configured delay
    /// (longer than Muster's timeout by default).
    Slow,
    /// `user-info` answers 500 `user_info_failed`.
    UserInfo500,
    /// `user-info` answers 200 with a body that is not JSON.
    GarbageJson,
    /// `user-info` reports a username other than the token's.
    WrongUsername,
    /// `user-info` reports an email other than the user's.
    WrongEmail,
    /// `user-info` omits `uid` and `gid`.
    NoUidGid,
    /// No user has an API quota: no `X-RateLimit-*` headers, no `quota.api`.
    NoQuota,
    /// Delegated internal tokens get scopes beyond those requested.
    DelegatedScopes,
    /// Delegated internal tokens name a service other than `delegate_to`.
    DelegatedOtherService,
    /// The user directory (LDAP) is down: every user lookup fails, so the
    /// auth subrequest of an authenticated request and `user-info` both
    /// answer 500 `user_info_failed`.
    LdapDown,
}

impl StandinFault {
    /// Every fault, in a stable order.
    pub fn all() -> &'static [StandinFault] {
        &[
            StandinFault::Slow,
            StandinFault::UserInfo500,
            StandinFault::GarbageJson,
            StandinFault::WrongUsername,
            StandinFault::WrongEmail,
            StandinFault::NoUidGid,
            StandinFault::NoQuota,
            StandinFault::DelegatedScopes,
            StandinFault::DelegatedOtherService,
            StandinFault::LdapDown,
        ]
    }

    /// The fault's kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            StandinFault::Slow => "slow",
            StandinFault::UserInfo500 => "user-info-500",
            StandinFault::GarbageJson => "garbage-json",
            StandinFault::WrongUsername => "wrong-username",
            StandinFault::WrongEmail => "wrong-email",
            StandinFault::NoUidGid => "no-uid-gid",
            StandinFault::NoQuota => "no-quota",
            StandinFault::DelegatedScopes => "delegated-scopes",
            StandinFault::DelegatedOtherService => "delegated-other-service",
            StandinFault::LdapDown => "ldap-down",
        }
    }
}

impl fmt::Display for StandinFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not one of [`StandinFault::all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFault(pub String);

impl fmt::Display for UnknownFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = StandinFault::all().iter().map(|f| f.name()).collect();
        write!(
            f,
            "unknown stand-in fault {:?}; expected one of: {}",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownFault {}

impl FromStr for StandinFault {
    type Err = UnknownFault;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        StandinFault::all()
            .iter()
            .copied()
            .find(|fault| fault.name() == name)
            .ok_or_else(|| UnknownFault(name.to_owned()))
    }
}

impl TryFrom<String> for StandinFault {
    type Error = UnknownFault;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse()
    }
}

impl From<StandinFault> for String {
    fn from(fault: StandinFault) -> Self {
        fault.name().to_owned()
    }
}
