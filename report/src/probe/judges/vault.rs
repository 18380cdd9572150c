//! Judge of the secret Vault delivers to Muster: what the server's report
//! of the anonymous route says about it (see [`crate::vault_secret`]).

use super::reports::expect_report;
use super::{answered, Judgement};
use crate::json_read::FromJson;
use crate::model::{Component, Route};
use crate::outcome::Outcome;
use crate::probe::exchange::Exchange;
use crate::probe::ProbeContext;
use crate::vault_secret::{VaultSecretState, FIELD};

/// The fix for a secret that did not arrive, naming every link of the
/// chain from Vault to the pod.
pub const NOT_DELIVERED_HINT: &str =
    "The VaultSecret muster (chart/templates/vault-secrets.yaml) must be synced by \
     vault-secrets-operator into the Secret muster, whose key vault-check Muster's pod mounts. \
     Check the VaultSecret's status and the operator's log; if the key is missing in Vault, \
     run `phalanx secrets sync` for this environment (the key is a generated password in \
     the chart's secrets.yaml).";

/// `vault.secret_delivered`: the report says the secret's file holds a value.
pub fn secret_delivered(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    expect_report(response, Route::Anonymous)?;
    let reported = response.json().and_then(|json| {
        json.get(FIELD)
            .map(|field| VaultSecretState::from_json(field).ok())
    });
    let outcome = match reported {
        None => Outcome::fail("Muster's report does not say whether its Vault secret arrived.")
            .fix(
                Component::MusterConfiguration,
                "Deploy a current Muster image: it reports its Vault secret in every report.",
            ),
        Some(None) => Outcome::fail("Muster's report of its Vault secret is not readable.").fix(
            Component::MusterConfiguration,
            "Make sure this Muster is current and that nothing rewrites its answers.",
        ),
        Some(Some(VaultSecretState::Present {
            length,
            age_seconds,
        })) => {
            let age = age_seconds.map_or("unknown".to_owned(), |s| format!("{s} s"));
            return Ok(Outcome::pass(format!(
                "Muster's pod holds its secret from Vault ({length} bytes, last changed {age} ago)."
            ))
            .evidence("length", format!("{length} bytes"))
            .evidence("age", age));
        }
        Some(Some(VaultSecretState::NotConfigured)) => Outcome::warn(
            "Muster was not told where its secret from Vault is mounted, so its delivery is \
             not checked.",
        )
        .fix(
            Component::MusterConfiguration,
            "Set MUSTER_VAULT_SECRET_FILE to the mounted key, as Muster's chart does.",
        ),
        Some(Some(state)) => Outcome::fail(format!(
            "Muster's secret from Vault did not reach its pod: the file is {}.",
            state.word().replace('_', " ")
        ))
        .fix(Component::VaultSecrets, NOT_DELIVERED_HINT),
    };
    Ok(outcome.evidence("state", reported.flatten().map_or("(absent)", |s| s.word())))
}
