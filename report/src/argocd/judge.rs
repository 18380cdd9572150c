//! One application → one check row: Healthy and Synced passes; Degraded,
//! Missing, OutOfSync and Unknown fail; Progressing and Suspended warn.
//! Anything not passing names what Argo CD says is wrong — the resources
//! that are not healthy or not synced, the application's conditions, the
//! last operation — and a hint naming the application and the resource.

use std::fmt;

use crate::argocd::application::{Application, HealthCode, Resource, SyncCode};
use crate::model::{Check, Component, Evidence, Fix, Status};
use crate::redact;
use crate::text::shorten;

/// Most resources listed as evidence for one application; the rest are
/// counted ("and N more").
pub const MAX_RESOURCES_SHOWN: usize = 10;

/// Most conditions listed as evidence for one application.
pub const MAX_CONDITIONS_SHOWN: usize = 5;

/// The check row for `app`. `waited_seconds` is how long a `--wait` polled
/// before this judgement, if it did: a Progressing application then says
/// that the wait ran out.
pub fn judge(app: &Application, waited_seconds: Option<u64>) -> Check {
    let status = status_of(app);
    let mut evidence = vec![
        Evidence::new(
            "health",
            with_message(app.health.as_str(), &app.health_message),
        ),
        Evidence::new("sync", app.sync.as_str()),
    ];
    if !app.project.is_empty() {
        evidence.push(Evidence::new("project", safe(&app.project)));
    }
    if status != Status::Pass {
        evidence.extend(resource_evidence(app));
        evidence.extend(condition_evidence(app));
        if let Some(operation) = &app.operation {
            if operation.phase != "Succeeded" || !operation.message.is_empty() {
                evidence.push(Evidence::new(
                    "last operation",
                    with_message(&operation.phase, &operation.message),
                ));
            }
        }
    }
    let fix = (status != Status::Pass).then(|| Fix {
        component: Component::ArgoCd,
        hint: hint(app),
    });
    Check {
        id: format!("argocd.{}", app.name),
        title: format!(
            "Argo CD application {} is Healthy and Synced",
            safe(&app.name)
        ),
        proves: APP_PROVES.to_owned(),
        status,
        observed: observed(app, status, waited_seconds),
        evidence,
        fix,
        skip_reason: None,
    }
}

/// What an application's row proves.
const APP_PROVES: &str = "Argo CD deployed this application as git describes it, and every \
                          resource it manages reports healthy: the installation is complete.";

/// The title and what it proves of the Argo CD row `id`, as [`judge`] and
/// [`not_checked`] write them: a share link need not carry them.
pub fn description_of(id: &str) -> Option<(String, &'static str)> {
    if id == SUMMARY_ID {
        return Some((SUMMARY_TITLE.to_owned(), SUMMARY_PROVES));
    }
    let name = id.strip_prefix("argocd.")?;
    Some((
        format!("Argo CD application {} is Healthy and Synced", safe(name)),
        APP_PROVES,
    ))
}

/// The observation of Argo CD row `id` with `status` that its reader can
/// rebuild, as [`description_of`] its texts: the summary row's skip when
/// no way to reach Argo CD was given ([`NOT_CONFIGURED`]).
pub fn usual_observed(id: &str, status: Status) -> Option<&'static str> {
    (id == SUMMARY_ID && status == Status::Skip).then_some(NOT_CONFIGURED)
}

/// Id of the row standing for Argo CD as a whole, when no application
/// could be judged.
pub const SUMMARY_ID: &str = "argocd";

/// True for the rows of Argo CD's applications (`argocd.<name>`) and the
/// row standing for them when none was judged.
pub fn is_row(id: &str) -> bool {
    id == SUMMARY_ID || id.starts_with("argocd.")
}

const SUMMARY_TITLE: &str = "Argo CD's applications are Healthy and Synced";
const SUMMARY_PROVES: &str = "Argo CD deployed every application of the installation as git \
                              describes it, and every resource it manages reports healthy.";

/// Why the Argo CD row is skipped when no way to reach Argo CD was given
/// or found: the usual case, which a share link need not carry.
pub const NOT_CONFIGURED: &str =
    "Not checked: give --argocd-url, a kubeconfig or a pod's service account (see --help).";

/// The one row when Argo CD was not looked at: `reason` says why.
pub fn not_checked(reason: &str) -> Check {
    Check {
        id: SUMMARY_ID.to_owned(),
        title: SUMMARY_TITLE.to_owned(),
        proves: SUMMARY_PROVES.to_owned(),
        status: Status::Skip,
        observed: safe(reason),
        evidence: Vec::new(),
        fix: None,
        skip_reason: None,
    }
}

/// The one row when a source the user did not name (a kubeconfig found
/// by `--argocd auto`) failed: skipped, with the failure as evidence.
pub fn found_source_failed(error: &str) -> Check {
    let mut check = not_checked(
        "Argo CD was not checked: the Kubernetes configuration found (not named) reaches no \
         Argo CD; --argocd kubernetes makes this an error.",
    );
    check.evidence.push(Evidence::new("error", safe(error)));
    check
}

/// The one row when the source answered with no application at all:
/// nothing can be proven, and a selector, project or permission is the
/// likely cause.
pub fn none_listed(source: &str) -> Check {
    Check {
        id: SUMMARY_ID.to_owned(),
        title: SUMMARY_TITLE.to_owned(),
        proves: SUMMARY_PROVES.to_owned(),
        status: Status::Fail,
        observed: format!("{} listed no applications.", safe(source)),
        evidence: Vec::new(),
        fix: Some(Fix {
            component: Component::ArgoCd,
            hint: "Check the label selector and projects given (Phalanx labels the \
                   environment's applications argocd.argoproj.io/instance=<app of apps>), the \
                   namespace of Argo CD's Applications, and that the account may get them: \
                   Argo CD's API leaves out what an account may not see."
                .to_owned(),
        }),
        skip_reason: None,
    }
}

/// The verdict: the worst of what health and sync say.
fn status_of(app: &Application) -> Status {
    let health = match app.health {
        HealthCode::Healthy => Status::Pass,
        HealthCode::Progressing | HealthCode::Suspended => Status::Warn,
        HealthCode::Degraded | HealthCode::Missing | HealthCode::Unknown | HealthCode::Other(_) => {
            Status::Fail
        }
    };
    let sync = match app.sync {
        SyncCode::Synced => Status::Pass,
        SyncCode::OutOfSync | SyncCode::Unknown | SyncCode::Other(_) => Status::Fail,
    };
    Status::aggregate([health, sync])
}

fn observed(app: &Application, status: Status, waited_seconds: Option<u64>) -> String {
    let state = format!("{} and {}", app.health.as_str(), app.sync.as_str());
    if status == Status::Pass {
        return format!("{state}.");
    }
    let troubled = troubled_resources(app).count();
    let resources = match troubled {
        0 => String::new(),
        1 => ": 1 resource is not healthy or not synced".to_owned(),
        n => format!(": {n} resources are not healthy or not synced"),
    };
    let waited = match (&app.health, waited_seconds) {
        (HealthCode::Progressing, Some(seconds)) => {
            format!(" (still Progressing when the wait ended after {seconds} s)")
        }
        _ => String::new(),
    };
    format!("{}{resources}{waited}.", safe(&state))
}

/// Resources Argo CD reports as not healthy or not synced.
fn troubled_resources(app: &Application) -> impl Iterator<Item = &Resource> {
    app.resources.iter().filter(|resource| {
        let unhealthy = resource
            .health
            .as_ref()
            .is_some_and(|health| *health != HealthCode::Healthy);
        unhealthy || resource.sync != SyncCode::Synced
    })
}

fn resource_evidence(app: &Application) -> Vec<Evidence> {
    let troubled: Vec<&Resource> = troubled_resources(app).collect();
    let mut evidence: Vec<Evidence> = troubled
        .iter()
        .take(MAX_RESOURCES_SHOWN)
        .map(|resource| {
            let health = resource
                .health
                .as_ref()
                .map(|health| with_message(health.as_str(), &resource.health_message));
            let value = match health {
                Some(health) => format!("{health}; {}", resource.sync.as_str()),
                None => resource.sync.as_str().to_owned(),
            };
            Evidence::new(
                format!("resource {}", safe(&resource.label())),
                safe(&value),
            )
        })
        .collect();
    if troubled.len() > MAX_RESOURCES_SHOWN {
        evidence.push(Evidence::new(
            "resources",
            format!("and {} more", troubled.len() - MAX_RESOURCES_SHOWN),
        ));
    }
    evidence
}

fn condition_evidence(app: &Application) -> Vec<Evidence> {
    let mut evidence: Vec<Evidence> = app
        .conditions
        .iter()
        .take(MAX_CONDITIONS_SHOWN)
        .map(|condition| {
            Evidence::new(
                format!("condition {}", safe(&condition.kind)),
                safe(&condition.message),
            )
        })
        .collect();
    if app.conditions.len() > MAX_CONDITIONS_SHOWN {
        evidence.push(Evidence::new(
            "conditions",
            format!("and {} more", app.conditions.len() - MAX_CONDITIONS_SHOWN),
        ));
    }
    evidence
}

/// What to do, naming the application and the first resource at fault.
fn hint(app: &Application) -> String {
    let name = safe(&app.name);
    let resource = troubled_resources(app).next().map(|r| safe(&r.label()));
    let error = app
        .conditions
        .iter()
        .find(|condition| condition.kind.ends_with("Error"));
    if let Some(condition) = error {
        return format!(
            "Argo CD reports {} for application {name}: {}. This usually means the \
             application's chart does not render (a values file or secret is missing); fix \
             its source in Phalanx, then sync it (argocd app sync {name}).",
            safe(&condition.kind),
            safe(&condition.message)
        );
    }
    let at = |what: &str| match &resource {
        Some(resource) => format!("{what} {resource}"),
        None => what.to_owned(),
    };
    match (&app.health, &app.sync) {
        (HealthCode::Degraded, _) => format!(
            "Application {name} is Degraded: look at {} (kubectl describe, and its pods' \
             events and logs), fix the cause, and let Argo CD sync again.",
            at("the resource")
        ),
        (HealthCode::Missing, _) => format!(
            "Application {name} expects {} that is not in the cluster: sync it (argocd app \
             sync {name}) and read the sync result.",
            at("a resource,")
        ),
        (HealthCode::Unknown | HealthCode::Other(_), _) => format!(
            "Argo CD cannot assess application {name}'s health ({}): check the application \
             controller's logs in Argo CD's namespace.",
            safe(&with_message(app.health.as_str(), &app.health_message))
        ),
        (_, SyncCode::OutOfSync) => format!(
            "Application {name} is OutOfSync ({} differs from git): sync it (argocd app sync \
             {name}); if it stays OutOfSync, something in the cluster changes the resource \
             after each sync.",
            at("the resource")
        ),
        (_, SyncCode::Unknown | SyncCode::Other(_)) => format!(
            "Argo CD could not compare application {name} with git: check that its source \
             repository and revision are reachable from Argo CD's repo server."
        ),
        (HealthCode::Progressing, _) => format!(
            "Application {name} is still Progressing ({}): wait longer (--wait), or look at \
             why its rollout does not finish.",
            at("waiting for")
        ),
        (HealthCode::Suspended, _) => format!(
            "Application {name} is Suspended ({}): resume it if that was not intended.",
            at("at")
        ),
        (HealthCode::Healthy, SyncCode::Synced) => {
            format!("Application {name} is Healthy and Synced.")
        }
    }
}

/// `word: message`, or the word alone.
fn with_message(word: &str, message: &str) -> String {
    if message.is_empty() {
        safe(word)
    } else {
        format!("{}: {}", safe(word), safe(message))
    }
}

/// Text from Argo CD made safe to show: any token hidden, cut to the
/// evidence length.
fn safe(text: &str) -> String {
    shorten(&redact::tokens_in_text(text))
}

/// How far a list of applications is from ready, for a progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Applications Healthy and Synced.
    pub ready: usize,
    /// Applications listed.
    pub total: usize,
    /// The first application not ready, and the word that says why.
    pub waiting_for: Option<(String, String)>,
}

impl Progress {
    /// Every application is Healthy and Synced.
    pub fn done(&self) -> bool {
        self.ready == self.total
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} applications healthy", self.ready, self.total)?;
        match &self.waiting_for {
            Some((name, why)) => write!(f, ", waiting for {name} ({why})"),
            None => Ok(()),
        }
    }
}

/// The progress of `apps` towards all Healthy and Synced.
pub fn progress(apps: &[Application]) -> Progress {
    let waiting = apps.iter().find(|app| !app.is_ready()).map(|app| {
        let why = if app.health == HealthCode::Healthy {
            app.sync.as_str()
        } else {
            app.health.as_str()
        };
        (safe(&app.name), safe(why))
    });
    Progress {
        ready: apps.iter().filter(|app| app.is_ready()).count(),
        total: apps.len(),
        waiting_for: waiting,
    }
}

#[cfg(test)]
mod tests;
