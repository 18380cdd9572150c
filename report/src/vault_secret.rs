//! What the server says about the secret Vault delivers to it (a
//! `VaultSecret` that vault-secrets-operator turns into the Kubernetes
//! `Secret` mounted in Muster's pod): whether it arrived and, at most, its
//! length and age — never its value. The server writes it into its extended
//! answers (the route reports and the index's report) under [`FIELD`]; the
//! `vault.secret_delivered` probe reads it back from there.

use serde::Serialize;
use serde_json::Value;

use crate::json_read::{word_of, Fields, FromJson};

/// The field of the server's reports that holds a [`VaultSecretState`].
pub const FIELD: &str = "vault_secret";

/// The secret as the server found its file; written as an object whose
/// `state` is one of the [`VaultSecretState::word`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VaultSecretState {
    /// The file holds a value.
    Present {
        /// Its length in bytes.
        length: u64,
        /// Seconds since the file last changed (the kubelet rewrites it
        /// when the `Secret` changes); absent when the clock disagrees.
        #[serde(skip_serializing_if = "Option::is_none")]
        age_seconds: Option<u64>,
    },
    /// The file exists but is empty.
    Empty,
    /// There is no such file: the `Secret` or its key never arrived.
    Missing,
    /// The file exists but cannot be read (permissions, not a file).
    Unreadable,
    /// Muster was not told where the secret is (`MUSTER_VAULT_SECRET_FILE`).
    NotConfigured,
}

/// Every state's word, in the order [`VaultSecretState::word`] lists them.
const WORDS: [&str; 5] = [
    "present",
    "empty",
    "missing",
    "unreadable",
    "not_configured",
];

impl VaultSecretState {
    /// The `state` word in JSON.
    pub fn word(self) -> &'static str {
        match self {
            VaultSecretState::Present { .. } => WORDS[0],
            VaultSecretState::Empty => WORDS[1],
            VaultSecretState::Missing => WORDS[2],
            VaultSecretState::Unreadable => WORDS[3],
            VaultSecretState::NotConfigured => WORDS[4],
        }
    }
}

impl FromJson for VaultSecretState {
    fn from_json(value: &Value) -> Result<Self, String> {
        let mut fields = Fields::of(value)?;
        let word = word_of(value.get("state").unwrap_or(&Value::Null), &WORDS, |word| {
            word
        })?;
        Ok(match word {
            "present" => VaultSecretState::Present {
                length: fields.required("length")?,
                age_seconds: fields.or_default("age_seconds")?,
            },
            "empty" => VaultSecretState::Empty,
            "missing" => VaultSecretState::Missing,
            "unreadable" => VaultSecretState::Unreadable,
            _ => VaultSecretState::NotConfigured,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_what_the_server_writes() {
        for state in [
            VaultSecretState::Present {
                length: 32,
                age_seconds: Some(61),
            },
            VaultSecretState::Present {
                length: 1,
                age_seconds: None,
            },
            VaultSecretState::Empty,
            VaultSecretState::Missing,
            VaultSecretState::Unreadable,
            VaultSecretState::NotConfigured,
        ] {
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json["state"].as_str(), Some(state.word()));
            assert_eq!(VaultSecretState::from_json(&json), Ok(state));
        }
        let written = serde_json::to_string(&VaultSecretState::Present {
            length: 32,
            age_seconds: Some(5),
        })
        .unwrap();
        assert_eq!(
            written,
            r#"{"state":"present","length":32,"age_seconds":5}"#
        );
    }

    #[test]
    fn an_unknown_state_or_a_present_secret_without_length_is_refused() {
        let unknown = serde_json::json!({"state": "lost"});
        assert!(VaultSecretState::from_json(&unknown)
            .unwrap_err()
            .contains("lost"));
        let no_length = serde_json::json!({"state": "present"});
        assert!(VaultSecretState::from_json(&no_length)
            .unwrap_err()
            .contains("length"));
    }
}
