//! Argo CD's view of an installation: every `Application` must be
//! `Healthy` and `Synced`. One parser ([`application::parse_list`]) reads
//! the list from either source — the Kubernetes API's `ApplicationList` or
//! Argo CD's own `GET /api/v1/applications`, which return the same objects —
//! and one judgement ([`judge::judge`]) turns each application into a check
//! row of the report model, so every client shows the same rows.
//!
//! The shapes and the meaning of each status are written down, with their
//! sources, in `docs/argocd-contract.md`.

pub mod application;
pub mod judge;

pub use application::{parse_list, Application, HealthCode, ListError, SyncCode};
pub use judge::{
    description_of, found_source_failed, is_row, judge, none_listed, not_checked, progress,
    usual_observed, Progress, NOT_CONFIGURED, SUMMARY_ID,
};
