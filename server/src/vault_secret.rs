//! Whether the secret Vault delivers to Muster (`MUSTER_VAULT_SECRET_FILE`,
//! a key of the `Secret` vault-secrets-operator makes from the chart's
//! `VaultSecret`) has reached the pod, and the extended answers that say
//! so. Only the file's metadata is read — its length and when it last
//! changed — so the value never enters Muster's memory, let alone a body or
//! a log line.

use std::io::ErrorKind;
use std::path::Path;
use std::time::SystemTime;

use muster_report::vault_secret::VaultSecretState;
use serde::Serialize;

/// The secret's state now. Asked on every report rather than once at
/// start-up: the kubelet updates a mounted `Secret` in place, so a secret
/// synced after the pod started shows up without a restart.
pub async fn inspect(file: Option<&Path>) -> VaultSecretState {
    let Some(file) = file else {
        return VaultSecretState::NotConfigured;
    };
    // `metadata` follows the symlinks the kubelet mounts keys through.
    match tokio::fs::metadata(file).await {
        Ok(metadata) if !metadata.is_file() => VaultSecretState::Unreadable,
        Ok(metadata) if metadata.len() == 0 => VaultSecretState::Empty,
        Ok(metadata) => VaultSecretState::Present {
            length: metadata.len(),
            age_seconds: metadata
                .modified()
                .ok()
                .and_then(|changed| SystemTime::now().duration_since(changed).ok())
                .map_or(0, |age| age.as_secs()),
        },
        Err(error) if error.kind() == ErrorKind::NotFound => VaultSecretState::Missing,
        Err(_) => VaultSecretState::Unreadable,
    }
}

/// One of Muster's extended answers (a route report, the index's report)
/// with the Vault secret's state beside its own fields.
#[derive(Debug, Serialize)]
pub struct WithVaultSecret<'a, T: Serialize> {
    /// The answer itself, its fields first.
    #[serde(flatten)]
    pub answer: &'a T,
    /// The secret's state, under `muster_report::vault_secret::FIELD`.
    pub vault_secret: VaultSecretState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_state_of_the_file_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vault-check");
        assert_eq!(inspect(None).await, VaultSecretState::NotConfigured);
        assert_eq!(inspect(Some(&file)).await, VaultSecretState::Missing);
        std::fs::write(&file, "").unwrap();
        assert_eq!(inspect(Some(&file)).await, VaultSecretState::Empty);
        std::fs::write(&file, "0123456789abcdef").unwrap();
        let VaultSecretState::Present {
            length,
            age_seconds,
        } = inspect(Some(&file)).await
        else {
            panic!("a written file is present");
        };
        assert_eq!(length, 16);
        assert!(age_seconds < 60, "{age_seconds}");
        assert_eq!(
            inspect(Some(dir.path())).await,
            VaultSecretState::Unreadable
        );
    }

    #[test]
    fn the_state_sits_beside_the_answers_own_fields() {
        let answer = serde_json::json!({"route": "anonymous", "status": "pass"});
        let body = serde_json::to_string(&WithVaultSecret {
            answer: &answer,
            vault_secret: VaultSecretState::Missing,
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"route":"anonymous","status":"pass","vault_secret":{"state":"missing"}}"#
        );
    }
}
