use serde_json::{json, Value};

use super::*;
use crate::argocd::application::{parse_list, ListError, MAX_LIST_BYTES};

/// An Application as Argo CD writes it (the fields judged, plus a few it
/// always writes that Muster ignores).
fn app(name: &str, health: &str, sync: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/instance": "science-platform"},
            "resourceVersion": "123",
        },
        "spec": {
            "project": "infrastructure",
            "destination": {"namespace": name, "server": "https://kubernetes.default.svc"},
        },
        "status": {
            "health": {"status": health},
            "sync": {"status": sync, "revision": "abc"},
            "resources": [],
            "reconciledAt": "2026-12-04T12:00:00Z",
        },
    })
}

fn kubernetes_list(items: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationList",
        "metadata": {"resourceVersion": "456"},
        "items": items,
    }))
    .unwrap()
}

fn rest_list(items: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"metadata": {"resourceVersion": "456"}, "items": items})).unwrap()
}

fn one(value: Value) -> Application {
    parse_list(&kubernetes_list(vec![value])).unwrap().remove(0)
}

fn evidence<'a>(check: &'a Check, name: &str) -> Option<&'a str> {
    check
        .evidence
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.value.as_str())
}

#[test]
fn both_list_shapes_read_the_same_applications() {
    let items = vec![
        app("muster", "Healthy", "Synced"),
        app("gafaelfawr", "Degraded", "Synced"),
    ];
    let from_kubernetes = parse_list(&kubernetes_list(items.clone())).unwrap();
    let from_rest = parse_list(&rest_list(Value::Array(items))).unwrap();
    assert_eq!(from_kubernetes, from_rest);
    assert_eq!(from_rest[0].name, "muster");
    assert_eq!(from_rest[0].project, "infrastructure");
    assert_eq!(
        from_rest[0]
            .labels
            .get("argocd.argoproj.io/instance")
            .map(String::as_str),
        Some("science-platform")
    );
    assert_eq!(from_rest[1].health, HealthCode::Degraded);
}

#[test]
fn an_empty_rest_list_writes_null_items() {
    assert_eq!(parse_list(&rest_list(Value::Null)).unwrap(), vec![]);
}

#[test]
fn malformed_answers_are_refused_with_the_reason() {
    for body in [
        &b"<html>login</html>"[..],
        br#"{"items": [{"spec": {}}]}"#,
        br#"{"items": {"name": "x"}}"#,
        br#"[1, 2]"#,
    ] {
        let error = parse_list(body).unwrap_err();
        assert!(matches!(error, ListError::Malformed(_)), "{error:?}");
        assert!(error
            .to_string()
            .contains("not an Argo CD application list"));
    }
    let wrong_kind = br#"{"kind": "PodList", "items": []}"#;
    assert!(parse_list(wrong_kind)
        .unwrap_err()
        .to_string()
        .contains("PodList"));
}

#[test]
fn an_oversized_answer_is_refused_before_parsing() {
    let body = vec![b' '; MAX_LIST_BYTES + 1];
    assert_eq!(
        parse_list(&body),
        Err(ListError::TooLarge(MAX_LIST_BYTES + 1))
    );
}

#[test]
fn an_application_without_status_is_unknown_and_fails() {
    let app = one(json!({"metadata": {"name": "fresh"}, "spec": {}}));
    assert_eq!(app.health, HealthCode::Unknown);
    assert_eq!(app.sync, SyncCode::Unknown);
    let check = judge(&app, None);
    assert_eq!(check.status, Status::Fail);
    assert!(check
        .fix
        .unwrap()
        .hint
        .contains("cannot assess application fresh"));
}

#[test]
fn healthy_and_synced_passes_without_a_fix() {
    let check = judge(&one(app("muster", "Healthy", "Synced")), None);
    assert_eq!(check.id, "argocd.muster");
    assert_eq!(check.status, Status::Pass);
    assert_eq!(check.observed, "Healthy and Synced.");
    assert_eq!(check.fix, None);
}

#[test]
fn degraded_fails_naming_the_application_and_the_resource() {
    let mut value = app("gafaelfawr", "Degraded", "Synced");
    value["status"]["resources"] = json!([
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "gafaelfawr",
         "name": "gafaelfawr", "status": "Synced",
         "health": {"status": "Degraded", "message": "Deployment \"gafaelfawr\" exceeded its progress deadline"}},
        {"version": "v1", "kind": "Service", "namespace": "gafaelfawr", "name": "gafaelfawr",
         "status": "Synced", "health": {"status": "Healthy"}},
        {"version": "v1", "kind": "ConfigMap", "namespace": "gafaelfawr", "name": "config",
         "status": "Synced"},
    ]);
    let check = judge(&one(value), None);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(
        check.observed,
        "Degraded and Synced: 1 resource is not healthy or not synced."
    );
    assert_eq!(
        evidence(&check, "resource Deployment gafaelfawr/gafaelfawr"),
        Some("Degraded: Deployment \"gafaelfawr\" exceeded its progress deadline; Synced")
    );
    assert_eq!(
        evidence(&check, "resource Service gafaelfawr/gafaelfawr"),
        None
    );
    let fix = check.fix.unwrap();
    assert_eq!(fix.component, Component::ArgoCd);
    assert!(
        fix.hint.contains("Application gafaelfawr is Degraded"),
        "{}",
        fix.hint
    );
    assert!(
        fix.hint.contains("Deployment gafaelfawr/gafaelfawr"),
        "{}",
        fix.hint
    );
}

#[test]
fn missing_and_out_of_sync_fail() {
    let missing = judge(
        &one(app("vault-secrets-operator", "Missing", "OutOfSync")),
        None,
    );
    assert_eq!(missing.status, Status::Fail);
    assert!(missing.fix.unwrap().hint.contains("not in the cluster"));

    let mut value = app("cert-manager", "Healthy", "OutOfSync");
    value["status"]["resources"] = json!([
        {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt-dns",
         "status": "OutOfSync", "health": {"status": "Healthy"}},
    ]);
    let drift = judge(&one(value), None);
    assert_eq!(drift.status, Status::Fail);
    assert_eq!(
        evidence(&drift, "resource ClusterIssuer letsencrypt-dns"),
        Some("Healthy; OutOfSync")
    );
    let hint = drift.fix.unwrap().hint;
    assert!(
        hint.contains("OutOfSync (the resource ClusterIssuer letsencrypt-dns differs"),
        "{hint}"
    );
}

#[test]
fn progressing_and_suspended_warn() {
    let progressing = judge(&one(app("muster", "Progressing", "Synced")), Some(600));
    assert_eq!(progressing.status, Status::Warn);
    assert!(progressing
        .observed
        .contains("still Progressing when the wait ended after 600 s"));
    let suspended = judge(&one(app("cronjobs", "Suspended", "Synced")), None);
    assert_eq!(suspended.status, Status::Warn);
    assert!(suspended.fix.unwrap().hint.contains("Suspended"));
}

#[test]
fn a_progressing_application_out_of_sync_fails() {
    let check = judge(&one(app("muster", "Progressing", "OutOfSync")), None);
    assert_eq!(check.status, Status::Fail);
}

#[test]
fn unknown_health_fails_with_argo_cds_reason() {
    let mut value = app("sasquatch", "Unknown", "Synced");
    value["status"]["health"]["message"] = json!("health check script failed");
    let check = judge(&one(value), None);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(
        evidence(&check, "health"),
        Some("Unknown: health check script failed")
    );
    assert!(check
        .fix
        .unwrap()
        .hint
        .contains("health check script failed"));
}

#[test]
fn an_unknown_word_is_judged_as_unknown_and_shown() {
    let check = judge(&one(app("x", "Exploded", "Synced")), None);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(evidence(&check, "health"), Some("Exploded"));
}

#[test]
fn conditions_and_the_last_operation_are_shown_and_an_error_condition_leads_the_hint() {
    let mut value = app("nublado", "Healthy", "Unknown");
    value["status"]["conditions"] = json!([
        {"type": "ComparisonError", "message": "Failed to load target state: values-idfdev.yaml not found",
         "lastTransitionTime": "2026-12-04T12:00:00Z"},
    ]);
    value["status"]["operationState"] = json!({
        "operation": {"sync": {"revision": "abc"}},
        "phase": "Failed",
        "message": "one or more objects failed to apply",
        "startedAt": "2026-12-04T11:59:00Z",
    });
    let check = judge(&one(value), None);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(
        evidence(&check, "condition ComparisonError"),
        Some("Failed to load target state: values-idfdev.yaml not found")
    );
    assert_eq!(
        evidence(&check, "last operation"),
        Some("Failed: one or more objects failed to apply")
    );
    let hint = check.fix.unwrap().hint;
    assert!(
        hint.starts_with("Argo CD reports ComparisonError for application nublado"),
        "{hint}"
    );
}

#[test]
fn evidence_lists_are_capped() {
    let mut value = app("big", "Degraded", "OutOfSync");
    let resources: Vec<Value> = (0..25)
        .map(|i| {
            json!({"kind": "Pod", "namespace": "big", "name": format!("p{i}"),
                         "status": "OutOfSync", "health": {"status": "Degraded"}})
        })
        .collect();
    value["status"]["resources"] = Value::Array(resources);
    value["status"]["conditions"] = Value::Array(
        (0..8)
            .map(|i| json!({"type": "SyncError", "message": format!("m{i}")}))
            .collect(),
    );
    let check = judge(&one(value), None);
    let shown = check
        .evidence
        .iter()
        .filter(|e| e.name.starts_with("resource "))
        .count();
    assert_eq!(shown, MAX_RESOURCES_SHOWN);
    assert_eq!(evidence(&check, "resources"), Some("and 15 more"));
    assert_eq!(evidence(&check, "conditions"), Some("and 3 more"));
    assert!(check.observed.contains("25 resources"));
}

#[test]
fn a_token_in_an_argo_cd_message_is_never_shown() {
    let secret = "gt-AbCdEfGhIjKlMnOpQrStUv.SecretSecretSecretSecre";
    let mut value = app("leaky", "Degraded", "Synced");
    value["status"]["health"]["message"] = json!(format!("bad token {secret}"));
    value["status"]["conditions"] = json!([{"type": "SyncError", "message": secret}]);
    let check = judge(&one(value), None);
    let text = serde_json::to_string(&check).unwrap();
    assert!(!text.contains("SecretSecret"), "{text}");
}

#[test]
fn progress_names_the_first_application_not_ready() {
    let apps = parse_list(&kubernetes_list(vec![
        app("argocd", "Healthy", "Synced"),
        app("gafaelfawr", "Progressing", "Synced"),
        app("muster", "Healthy", "OutOfSync"),
    ]))
    .unwrap();
    let line = progress(&apps);
    assert!(!line.done());
    assert_eq!(
        line.to_string(),
        "1/3 applications healthy, waiting for gafaelfawr (Progressing)"
    );
    let ready = progress(&apps[..1]);
    assert!(ready.done());
    assert_eq!(ready.to_string(), "1/1 applications healthy");
}

#[test]
fn five_hundred_applications_parse_and_judge() {
    let items: Vec<Value> = (0..500)
        .map(|i| app(&format!("app-{i:03}"), "Healthy", "Synced"))
        .collect();
    let apps = parse_list(&rest_list(Value::Array(items))).unwrap();
    assert_eq!(apps.len(), 500);
    let checks: Vec<Check> = apps.iter().map(|a| judge(a, None)).collect();
    assert!(checks.iter().all(|c| c.status == Status::Pass));
    assert_eq!(progress(&apps).to_string(), "500/500 applications healthy");
}

#[test]
fn the_summary_rows_say_why_nothing_was_judged() {
    let skipped = not_checked("no Argo CD source");
    assert_eq!(
        (skipped.id.as_str(), skipped.status),
        ("argocd", Status::Skip)
    );
    assert_eq!(skipped.observed, "no Argo CD source");
    let found = found_source_failed("the Kubernetes API could not be reached: refused");
    assert_eq!(found.status, Status::Skip);
    assert_eq!(
        found.evidence[0].value,
        "the Kubernetes API could not be reached: refused"
    );
    let none = none_listed("Argo CD's API at https://x");
    assert_eq!(none.status, Status::Fail);
    assert_eq!(
        none.observed,
        "Argo CD's API at https://x listed no applications."
    );
    assert_eq!(none.fix.unwrap().component, Component::ArgoCd);
}
