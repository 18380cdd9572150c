//! `muster-check`'s two sources of Argo CD applications against the Argo
//! CD stand-in: the Kubernetes API through a real kubeconfig file (its
//! current context, a bearer token and a CA file) over TLS with a CA made
//! for the test, and Argo CD's REST API with a token. Every refusal ends in
//! a message naming the source and what to check.

use std::path::Path;
use std::time::Duration;

use muster_check::argocd::{list, Source, SourceError};
use muster_stack::argocd::{self, AppState, ArgoCdStandin, Refusal, ScriptedApp};
use muster_stack::tls::TestCa;

const TOKEN: &str = "kubernetes-bearer-token-for-test";
const TIMEOUT: Duration = Duration::from_secs(5);

fn apps() -> Vec<ScriptedApp> {
    vec![
        ScriptedApp::new("gafaelfawr", AppState::new("Degraded", "Synced")),
        ScriptedApp::new("muster", AppState::healthy()),
        ScriptedApp::new("science-platform", AppState::healthy()).labelled(&[]),
    ]
}

/// A kubeconfig in `dir` whose current context reaches `server` with
/// `token` and trusts the CA in `ca_file`.
fn write_kubeconfig(dir: &Path, server: &str, token: &str, ca_file: &Path) -> std::path::PathBuf {
    let path = dir.join(format!("kubeconfig-{token}"));
    argocd::write_kubeconfig(&path, server, token, Some(ca_file)).unwrap();
    path
}

fn kubernetes(kubeconfig: &Path, selector: Option<&str>) -> Source {
    Source::Kubernetes {
        kubeconfig: Some(kubeconfig.to_owned()),
        namespace: "argocd".into(),
        selector: selector.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_kubeconfig_with_a_token_and_a_ca_file_lists_over_tls() {
    let ca = TestCa::new("muster test cluster CA").unwrap();
    let identity = ca.issue(&["127.0.0.1", "localhost"]).unwrap();
    let standin = ArgoCdStandin::start_tls(TOKEN, apps(), &identity)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), &standin.url(), TOKEN, &ca_file);

    let selector = "argocd.argoproj.io/instance=science-platform";
    let listed = list(&kubernetes(&kubeconfig, Some(selector)), TIMEOUT)
        .await
        .unwrap();
    let names: Vec<&str> = listed.iter().map(|app| app.name.as_str()).collect();
    assert_eq!(names, ["gafaelfawr", "muster"]);
    let requests = standin.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].api, "kubernetes");
    assert_eq!(
        requests[0].query,
        "labelSelector=argocd.argoproj.io%2Finstance%3Dscience-platform"
    );

    // A wrong token: 401, named as the Kubernetes API's refusal.
    let wrong = write_kubeconfig(dir.path(), &standin.url(), "not-the-token", &ca_file);
    let error = list(&kubernetes(&wrong, None), TIMEOUT).await.unwrap_err();
    assert!(matches!(error, SourceError::Unauthorized { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with("the Kubernetes API (Applications in namespace argocd) refused"),
        "{message}"
    );
    assert!(!message.contains("not-the-token"), "{message}");

    // Forbidden: the Role is missing.
    standin.set_refusal(Some(Refusal::Forbidden));
    let error = list(&kubernetes(&kubeconfig, None), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, SourceError::Forbidden { .. }), "{error}");
    assert!(
        error.to_string().contains("applications.argoproj.io"),
        "{error}"
    );
    standin.stop().await;
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let ca = TestCa::new("the cluster's CA").unwrap();
    let other = TestCa::new("some other CA").unwrap();
    let identity = other.issue(&["127.0.0.1"]).unwrap();
    let standin = ArgoCdStandin::start_tls(TOKEN, apps(), &identity)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let kubeconfig = write_kubeconfig(dir.path(), &standin.url(), TOKEN, &ca_file);
    let error = list(&kubernetes(&kubeconfig, None), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, SourceError::Unreachable { .. }), "{error}");
    assert_eq!(
        standin.requests(),
        vec![],
        "no request may pass an untrusted server"
    );
    standin.stop().await;
}

#[tokio::test]
async fn a_missing_kubeconfig_says_what_to_set() {
    let error = list(
        &kubernetes(Path::new("/nonexistent/kubeconfig"), None),
        TIMEOUT,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, SourceError::Config(_)), "{error}");
    assert!(error.to_string().contains("Set KUBECONFIG"), "{error}");
}

fn rest(url: &str, token: &str) -> Source {
    Source::ArgoCd {
        url: url.to_owned(),
        token: token.to_owned(),
        selector: Some("argocd.argoproj.io/instance=science-platform".into()),
        projects: vec!["infrastructure".into()],
    }
}

#[tokio::test]
async fn argo_cds_api_lists_and_each_refusal_is_named() {
    let standin = ArgoCdStandin::start("argocd-token", apps()).await.unwrap();
    let listed = list(&rest(&standin.url(), "argocd-token"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        standin.requests()[0].query,
        "selector=argocd.argoproj.io%2Finstance%3Dscience-platform&projects=infrastructure"
    );

    let error = list(&rest(&standin.url(), "stale"), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, SourceError::Unauthorized { .. }), "{error}");
    assert!(error.to_string().contains("ARGOCD_AUTH_TOKEN"), "{error}");
    assert!(
        error.to_string().contains("no session information"),
        "{error}"
    );

    standin.set_refusal(Some(Refusal::ServerError));
    let error = list(&rest(&standin.url(), "argocd-token"), TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        SourceError::Status {
            origin: format!("Argo CD's API at {}", standin.url()),
            status: 500,
            message: "internal error".into(),
        }
    );
    standin.set_refusal(Some(Refusal::Malformed));
    let error = list(&rest(&standin.url(), "argocd-token"), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, SourceError::Malformed { .. }), "{error}");
    let url = standin.url();
    standin.stop().await;

    let error = list(&rest(&url, "argocd-token"), TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, SourceError::Unreachable { .. }), "{error}");
    assert!(error.to_string().contains(&url), "{error}");
}

#[tokio::test]
async fn a_source_that_never_answers_costs_the_timeout_only() {
    // Accepts connections (the kernel's backlog) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let started = std::time::Instant::now();
    let error = list(&rest(&url, "t"), Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(error, SourceError::Unreachable { .. }), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
}
