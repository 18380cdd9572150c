//! The Argo CD stand-in answers both list APIs with the shapes of
//! `docs/argocd-contract.md`, and `report`'s one parser and one judgement
//! reach the expected rows from either: healthy, Degraded naming the
//! application and the resource, OutOfSync, Progressing that turns
//! Healthy, 500 applications; refusals in each API's own error shape.

use muster_report::argocd::{judge, parse_list, progress};
use muster_report::model::{Component, Status};
use muster_stack::argocd::{AppState, ArgoCdStandin, Refusal, ScriptedApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const TOKEN: &str = "argocd-test-token";
const KUBERNETES_PATH: &str = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications";
const REST_PATH: &str = "/api/v1/applications";

fn client() -> Client {
    Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn get(
    standin: &ArgoCdStandin,
    path_and_query: &str,
    token: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut request = client().get(format!("{}{path_and_query}", standin.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn both_apis_list_the_same_applications_and_judge_alike() {
    let standin = ArgoCdStandin::start(
        TOKEN,
        vec![
            ScriptedApp::new("muster", AppState::healthy()),
            ScriptedApp::degraded("gafaelfawr"),
            ScriptedApp::new("cert-manager", AppState::new("Healthy", "OutOfSync")),
        ],
    )
    .await
    .unwrap();
    let (status, kubernetes) = get(&standin, KUBERNETES_PATH, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    let kubernetes_json: Value = serde_json::from_slice(&kubernetes).unwrap();
    assert_eq!(kubernetes_json["kind"], "ApplicationList");
    assert_eq!(kubernetes_json["apiVersion"], "argoproj.io/v1alpha1");
    let (status, rest) = get(&standin, REST_PATH, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);

    let from_kubernetes = parse_list(&kubernetes).unwrap();
    let from_rest = parse_list(&rest).unwrap();
    assert_eq!(from_kubernetes, from_rest);
    let checks: Vec<_> = from_rest.iter().map(|app| judge(app, None)).collect();
    let statuses: Vec<_> = checks.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        statuses,
        [
            ("argocd.cert-manager", Status::Fail),
            ("argocd.gafaelfawr", Status::Fail),
            ("argocd.muster", Status::Pass),
        ]
    );
    let fix = checks[1].fix.as_ref().unwrap();
    assert_eq!(fix.component, Component::ArgoCd);
    assert!(
        fix.hint.contains("gafaelfawr") && fix.hint.contains("Deployment gafaelfawr/gafaelfawr")
    );
    assert!(checks[0].fix.as_ref().unwrap().hint.contains("OutOfSync"));
    standin.stop().await;
}

#[tokio::test]
async fn selectors_and_projects_filter_as_each_api_does() {
    let standin = ArgoCdStandin::start(
        TOKEN,
        vec![
            ScriptedApp::new("muster", AppState::healthy()),
            ScriptedApp::new("science-platform", AppState::healthy())
                .labelled(&[])
                .in_project("default"),
            ScriptedApp::new("nublado", AppState::healthy()).in_project("rsp"),
        ],
    )
    .await
    .unwrap();
    let names = |body: &[u8]| -> Vec<String> {
        parse_list(body)
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect()
    };
    let selector = "argocd.argoproj.io%2Finstance%3Dscience-platform";
    let (_, body) = get(
        &standin,
        &format!("{KUBERNETES_PATH}?labelSelector={selector}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(names(&body), ["muster", "nublado"]);
    let (_, body) = get(
        &standin,
        &format!("{REST_PATH}?selector={selector}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(names(&body), ["muster", "nublado"]);
    let (_, body) = get(
        &standin,
        &format!("{REST_PATH}?projects=rsp&projects=default"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(names(&body), ["nublado", "science-platform"]);
    // Another namespace holds no applications.
    let (_, body) = get(
        &standin,
        "/apis/argoproj.io/v1alpha1/namespaces/other/applications",
        Some(TOKEN),
    )
    .await;
    assert_eq!(names(&body), Vec::<String>::new());
    let (_, body) = get(&standin, &format!("{REST_PATH}?projects=none"), Some(TOKEN)).await;
    let empty: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(empty["items"], Value::Array(vec![]));
    assert_eq!(names(&body), Vec::<String>::new());
    let bad = "a%20in%20b";
    let (status, _) = get(
        &standin,
        &format!("{KUBERNETES_PATH}?labelSelector={bad}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = get(
        &standin,
        &format!("{REST_PATH}?selector={bad}"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["code"], 2);
    standin.stop().await;
}

#[tokio::test]
async fn a_progressing_application_turns_healthy_over_successive_reads() {
    let standin = ArgoCdStandin::start(
        TOKEN,
        vec![
            ScriptedApp::new("muster", AppState::healthy()),
            ScriptedApp::new("gafaelfawr", AppState::new("Progressing", "Synced"))
                .then(AppState::new("Progressing", "Synced"))
                .then(AppState::healthy()),
        ],
    )
    .await
    .unwrap();
    let mut lines = Vec::new();
    for _ in 0..3 {
        let (_, body) = get(&standin, REST_PATH, Some(TOKEN)).await;
        let apps = parse_list(&body).unwrap();
        lines.push(progress(&apps).to_string());
    }
    assert_eq!(
        lines,
        [
            "1/2 applications healthy, waiting for gafaelfawr (Progressing)",
            "1/2 applications healthy, waiting for gafaelfawr (Progressing)",
            "2/2 applications healthy",
        ]
    );
    assert_eq!(standin.reads(), 3);
    standin.stop().await;
}

#[tokio::test]
async fn refusals_come_in_each_apis_own_shape() {
    let standin =
        ArgoCdStandin::start(TOKEN, vec![ScriptedApp::new("muster", AppState::healthy())])
            .await
            .unwrap();
    let (status, body) = get(&standin, KUBERNETES_PATH, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (json["kind"].as_str(), json["reason"].as_str()),
        (Some("Status"), Some("Unauthorized"))
    );
    let (status, body) = get(&standin, REST_PATH, Some("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["code"], 16);

    standin.set_refusal(Some(Refusal::Forbidden));
    let (status, body) = get(&standin, KUBERNETES_PATH, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = serde_json::from_slice::<Value>(&body).unwrap()["message"].to_string();
    assert!(
        message.contains("cannot list resource \\\"applications\\\""),
        "{message}"
    );
    // Argo CD leaves out what the account may not see instead.
    let (status, body) = get(&standin, REST_PATH, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parse_list(&body).unwrap(), vec![]);
    standin.set_refusal(Some(Refusal::ServerError));
    assert_eq!(
        get(&standin, REST_PATH, Some(TOKEN)).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    standin.set_refusal(Some(Refusal::Malformed));
    let (status, body) = get(&standin, REST_PATH, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(parse_list(&body)
        .unwrap_err()
        .to_string()
        .contains("not an Argo CD application list"));
    standin.set_refusal(None);
    assert_eq!(
        get(&standin, REST_PATH, Some(TOKEN)).await.0,
        StatusCode::OK
    );
    // The stand-in records whether a credential came, never its value.
    let requests = standin.requests();
    assert!(!requests[0].had_authorization);
    assert!(requests[1].had_authorization);
    assert!(!format!("{requests:?}").contains(TOKEN));
    standin.stop().await;
}

#[tokio::test]
async fn five_hundred_applications_list_and_judge() {
    let apps: Vec<ScriptedApp> = (0..500)
        .map(|i| {
            let state = if i == 250 {
                AppState::new("Degraded", "Synced")
            } else {
                AppState::healthy()
            };
            ScriptedApp::new(&format!("app-{i:03}"), state)
        })
        .collect();
    let standin = ArgoCdStandin::start(TOKEN, apps).await.unwrap();
    let (_, body) = get(&standin, KUBERNETES_PATH, Some(TOKEN)).await;
    let apps = parse_list(&body).unwrap();
    assert_eq!(apps.len(), 500);
    let failing: Vec<String> = apps
        .iter()
        .map(|app| judge(app, None))
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.id)
        .collect();
    assert_eq!(failing, ["argocd.app-250"]);
    assert_eq!(
        progress(&apps).to_string(),
        "499/500 applications healthy, waiting for app-250 (Degraded)"
    );
    standin.stop().await;
}
