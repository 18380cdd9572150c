//! The secret Vault delivers to Muster: its state (never its value) in
//! every route report and in the index's report, while the Python
//! service's index stays byte for byte as it was.

use crate::support::*;

const VALUE: &str = "generated-password-0123456789ab";

/// A fixture whose `MUSTER_VAULT_SECRET_FILE` is `vault-check` in a
/// temporary directory (written with `value` unless `None`).
fn with_vault_file(value: Option<&str>) -> (Fixture, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vault-check");
    if let Some(value) = value {
        std::fs::write(&file, value).unwrap();
    }
    let f = fixture(&[("MUSTER_VAULT_SECRET_FILE", file.to_str().unwrap())]);
    (f, dir, file)
}

#[tokio::test]
async fn every_report_and_the_index_report_state_the_secret_without_its_value() {
    let (f, _dir, _) = with_vault_file(Some(VALUE));
    for uri in [
        "/muster/?report=true",
        "/muster/anonymous?report=true",
        "/muster/auth/fail?report=true",
        "/muster/delegated/header?report=true",
    ] {
        let answer = get(&f.router, uri, &[]).await;
        assert_eq!(answer.status.as_u16(), 200, "{uri}: {}", answer.body);
        let state = &answer.json()["vault_secret"];
        assert_eq!(state["state"], "present", "{uri}: {}", answer.body);
        assert_eq!(state["length"], VALUE.len(), "{uri}");
        assert!(state["age_seconds"].as_u64().is_some_and(|age| age < 600));
        assert!(!answer.body.contains(VALUE), "{uri}");
    }
    let accept = [("accept", "application/vnd.muster.report+json")];
    let answer = get(&f.router, "/muster/", &accept).await;
    assert_eq!(
        answer.header("content-type"),
        "application/vnd.muster.report+json"
    );
    let index = answer.json();
    assert_eq!(index["vault_secret"]["state"], "present");
    assert!(index["anonymous_url"]
        .as_str()
        .unwrap()
        .ends_with("/muster/anonymous"));
}

#[tokio::test]
async fn the_upstream_index_and_answers_carry_no_new_field() {
    let (f, _dir, _) = with_vault_file(Some(VALUE));
    for uri in ["/muster/", "/muster/anonymous"] {
        let answer = get(&f.router, uri, &[]).await;
        assert_eq!(answer.status.as_u16(), 200);
        assert!(
            !answer.body.contains("vault_secret"),
            "{uri}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn a_missing_secret_is_reported_and_one_synced_later_is_seen_without_a_restart() {
    let (f, _dir, file) = with_vault_file(None);
    let answer = get(&f.router, "/muster/anonymous?report=true", &[]).await;
    assert_eq!(
        answer.json()["vault_secret"],
        serde_json::json!({"state": "missing"})
    );
    // The route's own checks do not change: the secret is its own row.
    assert_eq!(answer.json()["status"], "pass");
    std::fs::write(&file, "").unwrap();
    let answer = get(&f.router, "/muster/?report=true", &[]).await;
    assert_eq!(answer.json()["vault_secret"]["state"], "empty");
    std::fs::write(&file, VALUE).unwrap();
    let answer = get(&f.router, "/muster/anonymous?report=true", &[]).await;
    assert_eq!(answer.json()["vault_secret"]["state"], "present");
}

#[tokio::test]
async fn without_the_variable_the_secret_is_not_configured() {
    let f = fixture(&[]);
    let answer = get(&f.router, "/muster/anonymous?report=true", &[]).await;
    assert_eq!(
        answer.json()["vault_secret"],
        serde_json::json!({"state": "not_configured"})
    );
}
