//! Judge of the secret Vault delivers to Muster: what the server's report
//! of the anonymous route says about it (see [`crate::vault_secret`]).

use super::reports::expect_report;
use super::{answered, Judgement};
use crate::model::{Component, Route};
use crate::outcome::Outcome;
use crate::probe::exchange::Exchange;
use crate::probe::ProbeContext;
use crate::vault_secret::FIELD;

/// `vault.secret_delivered`: the report says the secret's file holds a
/// value. A failure without a fix of its own gets the probe's hint, which
/// names each link from Vault to the pod.
pub fn secret_delivered(exchanges: &[Exchange], _: &ProbeContext) -> Judgement {
    let response = answered(exchanges.first())?;
    expect_report(response, Route::Anonymous)?;
    let json = response.json();
    let field = |name: &str| json.as_ref()?.get(FIELD)?.get(name);
    let number = |name: &str| field(name).and_then(|value| value.as_u64()).unwrap_or(0);
    Ok(match field("state").and_then(|state| state.as_str()) {
        Some("present") => Outcome::pass(format!(
            "{} bytes, changed {} s ago.",
            number("length"),
            number("age_seconds")
        )),
        Some(state @ ("missing" | "empty" | "unreadable")) => {
            Outcome::fail(format!("Its file in Muster's pod is {state}."))
        }
        // Not configured, or a Muster from before the report said.
        _ => Outcome::warn("Muster does not report it.").fix(
            Component::MusterConfiguration,
            "Deploy a current Muster with its chart (MUSTER_VAULT_SECRET_FILE).",
        ),
    })
}
