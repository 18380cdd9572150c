//! The Argo CD stand-in: an in-process axum server that answers the two
//! ways a client lists Argo CD applications, with the shapes written down
//! in `docs/argocd-contract.md`:
//!
//! - the Kubernetes API, `GET /apis/argoproj.io/v1alpha1/namespaces/{ns}/applications`
//!   with `labelSelector`, answering an `ApplicationList` (or a Kubernetes
//!   `Status` object when refused);
//! - Argo CD's REST API, `GET /api/v1/applications` with `selector` and
//!   repeated `projects`, answering `{"metadata": …, "items": […]}` (or
//!   grpc-gateway's `{"error", "code", "message", "details"}` when
//!   refused). Argo CD leaves out the applications an account may not
//!   see rather than refusing the list.
//!
//! Both need `Authorization: Bearer <token>`. Each application follows a
//! script of states: the k-th list request shows its k-th state (the last
//! one from then on), so a test can watch an application go from
//! Progressing to Healthy while a client waits. A [`Refusal`] makes every
//! list request fail in one of the ways a real API server or Argo CD does.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::served::Served;
use crate::tls::{TlsIdentity, TlsListener};

/// The namespace Argo CD's Application objects live in by default.
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// One resource an application manages, in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceState {
    /// API group (`apps`), empty for the core group.
    pub group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Sync status word.
    pub sync: String,
    /// Health status word and message, if Argo CD assesses its kind.
    pub health: Option<(String, String)>,
}

/// An application's state as one list request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    /// `status.health.status`.
    pub health: String,
    /// `status.health.message`.
    pub health_message: String,
    /// `status.sync.status`.
    pub sync: String,
    /// `status.resources`.
    pub resources: Vec<ResourceState>,
    /// `status.conditions` as (type, message).
    pub conditions: Vec<(String, String)>,
    /// `status.operationState` as (phase, message).
    pub operation: Option<(String, String)>,
}

impl AppState {
    /// A state with `health` and `sync` and nothing else to say.
    pub fn new(health: &str, sync: &str) -> Self {
        Self {
            health: health.to_owned(),
            health_message: String::new(),
            sync: sync.to_owned(),
            resources: Vec::new(),
            conditions: Vec::new(),
            operation: None,
        }
    }

    /// Healthy and Synced.
    pub fn healthy() -> Self {
        Self::new("Healthy", "Synced")
    }

    /// Adds a resource.
    pub fn resource(mut self, resource: ResourceState) -> Self {
        self.resources.push(resource);
        self
    }

    /// Adds a condition.
    pub fn condition(mut self, kind: &str, message: &str) -> Self {
        self.conditions.push((kind.to_owned(), message.to_owned()));
        self
    }

    /// Sets the last operation.
    pub fn operation(mut self, phase: &str, message: &str) -> Self {
        self.operation = Some((phase.to_owned(), message.to_owned()));
        self
    }
}

/// An application and the states successive list requests see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedApp {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `spec.project`.
    pub project: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// The states, one per list request; the last one stays.
    pub states: Vec<AppState>,
}

impl ScriptedApp {
    /// An application of Phalanx's app-of-apps (`science-platform`) in
    /// project `infrastructure`, always in `state`.
    pub fn new(name: &str, state: AppState) -> Self {
        Self {
            name: name.to_owned(),
            namespace: ARGOCD_NAMESPACE.to_owned(),
            project: "infrastructure".to_owned(),
            labels: BTreeMap::from([(
                "argocd.argoproj.io/instance".to_owned(),
                "science-platform".to_owned(),
            )]),
            states: vec![state],
        }
    }

    /// An application Degraded because its Deployment (`name` in
    /// namespace `name`, as Phalanx names them) exceeded its progress
    /// deadline.
    pub fn degraded(name: &str) -> Self {
        Self::new(
            name,
            AppState::new("Degraded", "Synced").resource(ResourceState {
                group: "apps".into(),
                kind: "Deployment".into(),
                namespace: name.into(),
                name: name.into(),
                sync: "Synced".into(),
                health: Some((
                    "Degraded".into(),
                    format!("Deployment \"{name}\" exceeded its progress deadline"),
                )),
            }),
        )
    }

    /// Then `state`, from the next list request on.
    pub fn then(mut self, state: AppState) -> Self {
        self.states.push(state);
        self
    }

    /// In project `project`.
    pub fn in_project(mut self, project: &str) -> Self {
        self.project = project.to_owned();
        self
    }

    /// With labels `labels` instead of the app-of-apps label.
    pub fn labelled(mut self, labels: &[(&str, &str)]) -> Self {
        self.labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self
    }
}

/// Writes to `path` a kubeconfig as kubectl writes one, with two
/// contexts: the current one reaches `server` with bearer `token`
/// (trusting the CA in `ca_file`, if given), the other a closed port, so
/// that a client which ignores `current-context` fails.
pub fn write_kubeconfig(
    path: &std::path::Path,
    server: &str,
    token: &str,
    ca_file: Option<&std::path::Path>,
) -> std::io::Result<()> {
    let ca = ca_file
        .map(|file| format!("\n    certificate-authority: {}", file.display()))
        .unwrap_or_default();
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: elsewhere
  cluster:
    server: https://127.0.0.1:9
- name: test
  cluster:
    server: {server}{ca}
users:
- name: muster-check
  user:
    token: {token}
contexts:
- name: elsewhere
  context:
    cluster: elsewhere
    user: muster-check
- name: test
  context:
    cluster: test
    user: muster-check
current-context: test
"
    );
    std::fs::write(path, text)
}

/// A way every list request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401 whatever the token.
    Unauthorized,
    /// 403: the credential may not list applications.
    Forbidden,
    /// 500.
    ServerError,
    /// 200 with a body that is not an application list.
    Malformed,
}

/// One list request as the stand-in received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// Which API: `kubernetes` or `argocd`.
    pub api: &'static str,
    /// The raw query string.
    pub query: String,
    /// Whether `Authorization` was present (never its value).
    pub had_authorization: bool,
}

#[derive(Debug)]
struct Inner {
    token: String,
    apps: Vec<ScriptedApp>,
    refusal: Option<Refusal>,
    reads: usize,
    requests: Vec<ListRequest>,
}

#[derive(Debug, Clone)]
struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking handler must not take the other tests' stand-in down.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running Argo CD stand-in on a loopback port, until stopped or dropped.
#[derive(Debug)]
pub struct ArgoCdStandin {
    addr: SocketAddr,
    scheme: &'static str,
    shared: Shared,
    served: Served,
}

impl ArgoCdStandin {
    /// Serves `apps` over HTTP on `127.0.0.1:0` to clients presenting
    /// `token`.
    pub async fn start(token: &str, apps: Vec<ScriptedApp>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        Ok(Self::serve(listener, addr, "http", token, apps))
    }

    /// Serves `apps` over HTTPS with `identity` on `127.0.0.1:0`, as a
    /// Kubernetes API server does.
    pub async fn start_tls(
        token: &str,
        apps: Vec<ScriptedApp>,
        identity: &TlsIdentity,
    ) -> std::io::Result<Self> {
        let tcp = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = tcp.local_addr()?;
        let listener = TlsListener::new(tcp, identity)?;
        Ok(Self::serve(listener, addr, "https", token, apps))
    }

    fn serve<L>(
        listener: L,
        addr: SocketAddr,
        scheme: &'static str,
        token: &str,
        apps: Vec<ScriptedApp>,
    ) -> Self
    where
        L: axum::serve::Listener,
        L::Addr: std::fmt::Debug,
    {
        let shared = Shared(Arc::new(Mutex::new(Inner {
            token: token.to_owned(),
            apps,
            refusal: None,
            reads: 0,
            requests: Vec::new(),
        })));
        let app = Router::new()
            .route(
                "/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications",
                get(kubernetes_list),
            )
            .route("/api/v1/applications", get(argocd_list))
            .with_state(shared.clone());
        let served = Served::spawn(listener, app, "argo cd stand-in");
        Self {
            addr,
            scheme,
            shared,
            served,
        }
    }

    /// Its base URL, `http://127.0.0.1:<port>` (`https://` with TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Refuses every list request from now on (`None`: answers again).
    pub fn set_refusal(&self, refusal: Option<Refusal>) {
        self.shared.lock().refusal = refusal;
    }

    /// How many list requests were answered with applications.
    pub fn reads(&self) -> usize {
        self.shared.lock().reads
    }

    /// Every list request received so far.
    pub fn requests(&self) -> Vec<ListRequest> {
        self.shared.lock().requests.clone()
    }

    /// Stops serving: new connections are refused at once, requests in
    /// flight get a short grace period.
    pub async fn stop(self) {
        self.served.stop().await;
    }
}

/// The two APIs differ in their paths, parameters and error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Kubernetes,
    ArgoCd,
}

async fn kubernetes_list(
    State(shared): State<Shared>,
    Path(namespace): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let selector = parameters(&query, "labelSelector").pop();
    list(
        &shared,
        Api::Kubernetes,
        &query,
        &headers,
        Some(&namespace),
        selector.as_deref(),
        &[],
    )
}

async fn argocd_list(
    State(shared): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let selector = parameters(&query, "selector").pop();
    // `project` is the legacy name of `projects`; Argo CD reads both.
    let mut projects = parameters(&query, "projects");
    projects.extend(parameters(&query, "project"));
    list(
        &shared,
        Api::ArgoCd,
        &query,
        &headers,
        None,
        selector.as_deref(),
        &projects,
    )
}

fn parameters(query: &str, name: &str) -> Vec<String> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .collect()
}

fn list(
    shared: &Shared,
    api: Api,
    query: &str,
    headers: &HeaderMap,
    namespace: Option<&str>,
    selector: Option<&str>,
    projects: &[String],
) -> Response {
    let mut inner = shared.lock();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    inner.requests.push(ListRequest {
        api: match api {
            Api::Kubernetes => "kubernetes",
            Api::ArgoCd => "argocd",
        },
        query: query.to_owned(),
        had_authorization: authorization.is_some(),
    });
    let expected = format!("Bearer {}", inner.token);
    if authorization != Some(expected.as_str()) || inner.refusal == Some(Refusal::Unauthorized) {
        return refuse(api, StatusCode::UNAUTHORIZED, namespace);
    }
    match inner.refusal {
        // Argo CD's list leaves out what the account may not `get`
        // instead of refusing: a forbidden account sees no applications.
        Some(Refusal::Forbidden) if api == Api::ArgoCd => {
            return axum::Json(json!({"metadata": {"resourceVersion": "1"}, "items": []}))
                .into_response()
        }
        Some(Refusal::Forbidden) => return refuse(api, StatusCode::FORBIDDEN, namespace),
        Some(Refusal::ServerError) => {
            return refuse(api, StatusCode::INTERNAL_SERVER_ERROR, namespace)
        }
        Some(Refusal::Malformed) => {
            return (
                [(header::CONTENT_TYPE, "application/json")],
                "{\"items\": [{\"metadata\": ",
            )
                .into_response()
        }
        Some(Refusal::Unauthorized) | None => {}
    }
    let selector = match selector.map(Selector::parse).transpose() {
        Ok(selector) => selector,
        Err(problem) => return bad_request(api, &problem),
    };
    let read = inner.reads;
    inner.reads += 1;
    let mut apps: Vec<&ScriptedApp> = inner
        .apps
        .iter()
        .filter(|app| namespace.is_none_or(|ns| app.namespace == ns))
        .filter(|app| selector.as_ref().is_none_or(|s| s.matches(&app.labels)))
        .filter(|app| projects.is_empty() || projects.contains(&app.project))
        .collect();
    // Both APIs answer in name order (Argo CD sorts; the API server lists
    // by key).
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    let items: Vec<Value> = apps
        .into_iter()
        .map(|app| application_json(app, read))
        .collect();
    let body = match api {
        Api::Kubernetes => json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationList",
            "metadata": {"resourceVersion": (1000 + read).to_string()},
            "items": items,
        }),
        Api::ArgoCd => json!({
            "metadata": {"resourceVersion": (1000 + read).to_string()},
            "items": items,
        }),
    };
    axum::Json(body).into_response()
}

fn application_json(app: &ScriptedApp, read: usize) -> Value {
    let state = &app.states[read.min(app.states.len().saturating_sub(1))];
    let resources: Vec<Value> = state
        .resources
        .iter()
        .map(|resource| {
            let mut value = json!({
                "group": resource.group,
                "version": "v1",
                "kind": resource.kind,
                "namespace": resource.namespace,
                "name": resource.name,
                "status": resource.sync,
            });
            if let Some((health, message)) = &resource.health {
                value["health"] = json!({"status": health, "message": message});
            }
            value
        })
        .collect();
    let mut status = json!({
        "health": {"status": state.health, "lastTransitionTime": "2026-12-04T12:00:00Z"},
        "sync": {"status": state.sync, "revision": "0123456789abcdef0123456789abcdef01234567",
                 "comparedTo": {"destination": {"namespace": app.name,
                                                "server": "https://kubernetes.default.svc"}}},
        "resources": resources,
        "reconciledAt": "2026-12-04T12:00:00Z",
        "sourceType": "Helm",
    });
    if !state.health_message.is_empty() {
        status["health"]["message"] = json!(state.health_message);
    }
    if !state.conditions.is_empty() {
        status["conditions"] = state
            .conditions
            .iter()
            .map(|(kind, message)| {
                json!({"type": kind, "message": message,
                       "lastTransitionTime": "2026-12-04T12:00:00Z"})
            })
            .collect();
    }
    if let Some((phase, message)) = &state.operation {
        status["operationState"] = json!({
            "operation": {"sync": {"revision": "0123456789abcdef0123456789abcdef01234567"}},
            "phase": phase,
            "message": message,
            "startedAt": "2026-12-04T11:59:00Z",
        });
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": app.name,
            "namespace": app.namespace,
            "labels": app.labels,
            "resourceVersion": "1",
        },
        "spec": {
            "project": app.project,
            "destination": {"namespace": app.name, "server": "https://kubernetes.default.svc"},
            "source": {"repoURL": "https://github.com/lsst-sqre/phalanx.git",
                       "path": format!("applications/{}", app.name), "targetRevision": "main"},
        },
        "status": status,
    })
}

/// A refusal in the API's own error shape.
fn refuse(api: Api, status: StatusCode, namespace: Option<&str>) -> Response {
    let body = match api {
        Api::Kubernetes => {
            let (reason, message) = match status {
                StatusCode::UNAUTHORIZED => ("Unauthorized", "Unauthorized".to_owned()),
                StatusCode::FORBIDDEN => (
                    "Forbidden",
                    format!(
                        "applications.argoproj.io is forbidden: User \"system:serviceaccount:muster:muster-check\" cannot list resource \"applications\" in API group \"argoproj.io\" in the namespace \"{}\"",
                        namespace.unwrap_or(ARGOCD_NAMESPACE)
                    ),
                ),
                _ => ("InternalError", "Internal error occurred".to_owned()),
            };
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": message, "reason": reason, "code": status.as_u16()})
        }
        Api::ArgoCd => {
            // grpc-gateway: the gRPC code (16 Unauthenticated, 7
            // PermissionDenied, 13 Internal) and its message.
            let (code, message) = match status {
                StatusCode::UNAUTHORIZED => (16, "no session information"),
                StatusCode::FORBIDDEN => (7, "permission denied"),
                _ => (13, "internal error"),
            };
            json!({"error": message, "code": code, "message": message, "details": []})
        }
    };
    (status, axum::Json(body)).into_response()
}

/// A selector that does not parse: the API server says 400 BadRequest;
/// Argo CD returns the parse error as a plain error, which grpc-gateway
/// maps to code 2 (Unknown), HTTP 500.
fn bad_request(api: Api, problem: &str) -> Response {
    match api {
        Api::Kubernetes => {
            let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Failure", "message": problem,
                              "reason": "BadRequest", "code": 400});
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
        Api::ArgoCd => {
            let message = format!("error parsing the selector: {problem}");
            let body = json!({"error": message, "code": 2, "message": message, "details": []});
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
    }
}

/// A Kubernetes label selector: comma-separated requirements, each
/// `key=value`, `key==value`, `key!=value`, `key`, `!key`,
/// `key in (a,b)` or `key notin (a,b)`; all must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl Selector {
    /// Parses `text`, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(Requirement::parse(part)?);
        }
        Ok(Selector(requirements))
    }

    /// True when every requirement holds for `labels`.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|requirement| requirement.holds(labels))
    }
}

/// Splits at commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

impl Requirement {
    fn parse(part: &str) -> Result<Requirement, String> {
        let invalid = || format!("unable to parse requirement: {part:?}");
        if let Some(key) = part.strip_prefix('!') {
            return Ok(Requirement::Absent(key.trim().to_owned()));
        }
        if let Some((key, value)) = part.split_once("!=") {
            return Ok(Requirement::NotEquals(
                key.trim().into(),
                value.trim().into(),
            ));
        }
        if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
            return Ok(Requirement::Equals(key.trim().into(), value.trim().into()));
        }
        for (word, negated) in [(" notin ", true), (" in ", false)] {
            if let Some((key, values)) = part.split_once(word) {
                let values = values
                    .trim()
                    .strip_prefix('(')
                    .and_then(|v| v.strip_suffix(')'))
                    .ok_or_else(invalid)?;
                let values = values.split(',').map(|v| v.trim().to_owned()).collect();
                let key = key.trim().to_owned();
                return Ok(if negated {
                    Requirement::NotIn(key, values)
                } else {
                    Requirement::In(key, values)
                });
            }
        }
        if part.contains(char::is_whitespace) || part.contains(['(', ')']) {
            return Err(invalid());
        }
        Ok(Requirement::Exists(part.to_owned()))
    }

    fn holds(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals(key, value) => labels.get(key) == Some(value),
            Requirement::NotEquals(key, value) => labels.get(key) != Some(value),
            Requirement::Exists(key) => labels.contains_key(key),
            Requirement::Absent(key) => !labels.contains_key(key),
            Requirement::In(key, values) => labels.get(key).is_some_and(|v| values.contains(v)),
            Requirement::NotIn(key, values) => labels.get(key).is_none_or(|v| !values.contains(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selectors_follow_kubernetes_grammar() {
        let app = labels(&[
            ("argocd.argoproj.io/instance", "science-platform"),
            ("tier", "infra"),
        ]);
        for (text, expected) in [
            ("argocd.argoproj.io/instance=science-platform", true),
            ("argocd.argoproj.io/instance==science-platform", true),
            ("argocd.argoproj.io/instance=other", false),
            ("tier!=infra", false),
            ("tier", true),
            ("!tier", false),
            ("tier in (infra, apps)", true),
            ("tier notin (infra)", false),
            (
                "tier=infra,argocd.argoproj.io/instance=science-platform",
                true,
            ),
            ("", true),
        ] {
            assert_eq!(
                Selector::parse(text).unwrap().matches(&app),
                expected,
                "{text}"
            );
        }
        assert!(Selector::parse("tier in infra").is_err());
        assert!(Selector::parse("a b").is_err());
    }
}
