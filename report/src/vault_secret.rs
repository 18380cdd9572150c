//! What the server says about the secret Vault delivers to it (a
//! `VaultSecret` that vault-secrets-operator turns into the Kubernetes
//! `Secret` mounted in Muster's pod): whether it arrived and, at most, its
//! length and age — never its value. The server writes it into its extended
//! answers (the route reports and the index's report) under [`FIELD`]; the
//! `vault.secret_delivered` probe reads it back from there by its `state`
//! word, without a decoder of its own, to keep the page's wasm small.

use serde::Serialize;

/// The field of the server's reports that holds a [`VaultSecretState`].
pub const FIELD: &str = "vault_secret";

/// The secret as the server found its file; written as an object whose
/// `state` is the variant's snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VaultSecretState {
    /// The file holds a value.
    Present {
        /// Its length in bytes.
        length: u64,
        /// Seconds since the file last changed (the kubelet rewrites it
        /// when the `Secret` changes); 0 when the file's time is unknown
        /// or ahead of the clock.
        age_seconds: u64,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_is_written_as_the_probe_reads_it() {
        let written = |state| serde_json::to_string(&state).unwrap();
        assert_eq!(
            written(VaultSecretState::Present {
                length: 32,
                age_seconds: 5,
            }),
            r#"{"state":"present","length":32,"age_seconds":5}"#
        );
        for (state, word) in [
            (VaultSecretState::Empty, "empty"),
            (VaultSecretState::Missing, "missing"),
            (VaultSecretState::Unreadable, "unreadable"),
            (VaultSecretState::NotConfigured, "not_configured"),
        ] {
            assert_eq!(written(state), format!(r#"{{"state":"{word}"}}"#));
        }
    }
}
