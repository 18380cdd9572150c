//! The fields of an Argo CD `Application` that say whether it works, read
//! from a list answer of either source. Unknown fields are ignored; missing
//! status fields read as Argo CD leaves them on an application it has not
//! assessed yet (empty, which judges as `Unknown`).

use std::collections::BTreeMap;

/// Largest list answer read: 500 applications with full status are a few
/// megabytes; anything past this is refused rather than held in memory.
pub const MAX_LIST_BYTES: usize = 64 * 1024 * 1024;

/// Most applications one list may hold.
pub const MAX_APPLICATIONS: usize = 10_000;

/// Why a list answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// Over [`MAX_LIST_BYTES`].
    TooLarge(usize),
    /// Not the JSON of an application list.
    Malformed(String),
    /// Over [`MAX_APPLICATIONS`] items.
    TooMany(usize),
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListError::TooLarge(bytes) => write!(
                f,
                "the application list is {bytes} bytes, over the {MAX_LIST_BYTES}-byte limit"
            ),
            ListError::Malformed(reason) => write!(
                f,
                "the answer is not an Argo CD application list ({reason})"
            ),
            ListError::TooMany(count) => write!(
                f,
                "the list holds {count} applications, over the limit of {MAX_APPLICATIONS}"
            ),
        }
    }
}

impl std::error::Error for ListError {}

/// An application's health (`status.health.status`), as Argo CD words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCode {
    /// Every resource is healthy.
    Healthy,
    /// Not healthy yet, but may still become so.
    Progressing,
    /// Failed, or did not become healthy in time.
    Degraded,
    /// Paused or suspended on purpose (a suspended CronJob, a paused rollout).
    Suspended,
    /// A resource Argo CD expects is not in the cluster.
    Missing,
    /// Argo CD could not assess it (also: no health reported yet).
    Unknown,
    /// A word this version of Muster does not know.
    Other(String),
}

impl HealthCode {
    fn from_word(word: &str) -> Self {
        match word {
            "Healthy" => HealthCode::Healthy,
            "Progressing" => HealthCode::Progressing,
            "Degraded" => HealthCode::Degraded,
            "Suspended" => HealthCode::Suspended,
            "Missing" => HealthCode::Missing,
            "Unknown" | "" => HealthCode::Unknown,
            other => HealthCode::Other(other.to_owned()),
        }
    }

    /// Argo CD's word.
    pub fn as_str(&self) -> &str {
        match self {
            HealthCode::Healthy => "Healthy",
            HealthCode::Progressing => "Progressing",
            HealthCode::Degraded => "Degraded",
            HealthCode::Suspended => "Suspended",
            HealthCode::Missing => "Missing",
            HealthCode::Unknown => "Unknown",
            HealthCode::Other(word) => word,
        }
    }
}

/// Whether the live state matches git (`status.sync.status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncCode {
    /// Live state matches the desired state.
    Synced,
    /// Live state drifted from the desired state.
    OutOfSync,
    /// Argo CD could not compare (also: not compared yet).
    Unknown,
    /// A word this version of Muster does not know.
    Other(String),
}

impl SyncCode {
    fn from_word(word: &str) -> Self {
        match word {
            "Synced" => SyncCode::Synced,
            "OutOfSync" => SyncCode::OutOfSync,
            "Unknown" | "" => SyncCode::Unknown,
            other => SyncCode::Other(other.to_owned()),
        }
    }

    /// Argo CD's word.
    pub fn as_str(&self) -> &str {
        match self {
            SyncCode::Synced => "Synced",
            SyncCode::OutOfSync => "OutOfSync",
            SyncCode::Unknown => "Unknown",
            SyncCode::Other(word) => word,
        }
    }
}

/// One resource the application manages (`status.resources[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// API group, empty for the core group.
    pub group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace, empty for cluster-scoped resources.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The resource's sync status.
    pub sync: SyncCode,
    /// Its health, when Argo CD assesses health for its kind.
    pub health: Option<HealthCode>,
    /// Argo CD's message about its health.
    pub health_message: String,
}

impl Resource {
    /// `Kind namespace/name` (or `Kind name` when cluster-scoped).
    pub fn label(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// A condition on the application (`status.conditions[]`), e.g. a
/// `ComparisonError` or `SyncError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The condition's type; those ending in `Error` are errors.
    pub kind: String,
    /// What Argo CD says about it.
    pub message: String,
}

/// The last operation (usually a sync) and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// `Running`, `Terminating`, `Failed`, `Error` or `Succeeded`.
    pub phase: String,
    /// What Argo CD says about it.
    pub message: String,
}

/// The parts of an Argo CD `Application` Muster judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (Argo CD's namespace, usually `argocd`).
    pub namespace: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `spec.project`.
    pub project: String,
    /// `status.health.status`.
    pub health: HealthCode,
    /// `status.health.message`.
    pub health_message: String,
    /// `status.sync.status`.
    pub sync: SyncCode,
    /// `status.resources`.
    pub resources: Vec<Resource>,
    /// `status.conditions`.
    pub conditions: Vec<Condition>,
    /// `status.operationState`, when an operation ran.
    pub operation: Option<Operation>,
}

impl Application {
    /// Healthy and Synced: nothing to report.
    pub fn is_ready(&self) -> bool {
        self.health == HealthCode::Healthy && self.sync == SyncCode::Synced
    }
}

/// Reads an application list: the Kubernetes API's `ApplicationList` or
/// the body of Argo CD's `GET /api/v1/applications` (same items). An
/// `items` that is `null` (Go's empty slice) or absent reads as none.
pub fn parse_list(body: &[u8]) -> Result<Vec<Application>, ListError> {
    if body.len() > MAX_LIST_BYTES {
        return Err(ListError::TooLarge(body.len()));
    }
    let list: wire::List =
        serde_json::from_slice(body).map_err(|error| ListError::Malformed(error.to_string()))?;
    if let Some(kind) = list.kind.as_deref() {
        if kind != "ApplicationList" {
            return Err(ListError::Malformed(format!(
                "its kind is {kind:?}, not \"ApplicationList\""
            )));
        }
    }
    let items = list.items.unwrap_or_default();
    if items.len() > MAX_APPLICATIONS {
        return Err(ListError::TooMany(items.len()));
    }
    Ok(items
        .into_iter()
        .map(wire::Application::into_model)
        .collect())
}

/// The JSON as Argo CD writes it; only what is judged. Every status field
/// may be absent on an application the controller has not reconciled yet.
mod wire {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    #[derive(Deserialize)]
    pub(super) struct List {
        pub kind: Option<String>,
        pub items: Option<Vec<Application>>,
    }

    #[derive(Deserialize)]
    pub(super) struct Application {
        pub metadata: Metadata,
        #[serde(default)]
        pub spec: Spec,
        #[serde(default)]
        pub status: Status,
    }

    #[derive(Deserialize)]
    pub(super) struct Metadata {
        pub name: String,
        #[serde(default)]
        pub namespace: String,
        #[serde(default)]
        pub labels: Option<BTreeMap<String, String>>,
    }

    #[derive(Deserialize, Default)]
    pub(super) struct Spec {
        #[serde(default)]
        pub project: String,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Status {
        #[serde(default)]
        pub health: Option<Health>,
        #[serde(default)]
        pub sync: Option<Sync>,
        #[serde(default)]
        pub resources: Option<Vec<Resource>>,
        #[serde(default)]
        pub conditions: Option<Vec<Condition>>,
        #[serde(default)]
        pub operation_state: Option<OperationState>,
    }

    #[derive(Deserialize, Default)]
    pub(super) struct Health {
        #[serde(default)]
        pub status: String,
        #[serde(default)]
        pub message: String,
    }

    #[derive(Deserialize, Default)]
    pub(super) struct Sync {
        #[serde(default)]
        pub status: String,
    }

    #[derive(Deserialize)]
    pub(super) struct Resource {
        #[serde(default)]
        pub group: String,
        #[serde(default)]
        pub kind: String,
        #[serde(default)]
        pub namespace: String,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub status: String,
        #[serde(default)]
        pub health: Option<Health>,
    }

    #[derive(Deserialize)]
    pub(super) struct Condition {
        #[serde(rename = "type", default)]
        pub kind: String,
        #[serde(default)]
        pub message: String,
    }

    #[derive(Deserialize)]
    pub(super) struct OperationState {
        #[serde(default)]
        pub phase: String,
        #[serde(default)]
        pub message: String,
    }

    impl Application {
        pub(super) fn into_model(self) -> super::Application {
            let health = self.status.health.unwrap_or_default();
            super::Application {
                name: self.metadata.name,
                namespace: self.metadata.namespace,
                labels: self.metadata.labels.unwrap_or_default(),
                project: self.spec.project,
                health: super::HealthCode::from_word(&health.status),
                health_message: health.message,
                sync: super::SyncCode::from_word(&self.status.sync.unwrap_or_default().status),
                resources: self
                    .status
                    .resources
                    .unwrap_or_default()
                    .into_iter()
                    .map(|resource| {
                        let health = resource.health;
                        super::Resource {
                            group: resource.group,
                            kind: resource.kind,
                            namespace: resource.namespace,
                            name: resource.name,
                            sync: super::SyncCode::from_word(&resource.status),
                            health_message: health
                                .as_ref()
                                .map(|h| h.message.clone())
                                .unwrap_or_default(),
                            health: health.map(|h| super::HealthCode::from_word(&h.status)),
                        }
                    })
                    .collect(),
                conditions: self
                    .status
                    .conditions
                    .unwrap_or_default()
                    .into_iter()
                    .map(|condition| super::Condition {
                        kind: condition.kind,
                        message: condition.message,
                    })
                    .collect(),
                operation: self.status.operation_state.map(|state| super::Operation {
                    phase: state.phase,
                    message: state.message,
                }),
            }
        }
    }
}
