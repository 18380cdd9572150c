//! Muster's shared core: the serde types of every JSON body Muster speaks,
//! the checks and the pure functions that reach verdicts, and the
//! share-link snapshot codec. It does no I/O, so that the server, the
//! browser app (wasm) and the command-line checker reach the same verdicts
//! from the same code.
//!
//! Muster checks a deployment from two sides, and the crate has one module
//! for each:
//!
//! - [`received`]: **what the server checks on a request it received.**
//!   The server gathers the [`received::observed`] facts (the headers that
//!   reached it after nginx and Gafaelfawr, and Gafaelfawr's answers about
//!   the delegated token); the pure [`received::checks`], listed in the
//!   [`received::catalogue`], judge them; [`received::evaluate`] turns the
//!   verdicts into a route report and the [`received::upstream`]-compatible
//!   body.
//! - [`probe`]: **what a client checks by probing.** The browser app and
//!   `muster-check` make the requests of the [`probe::catalogue`] through
//!   the ingress, record each as a redacted [`probe::exchange`], and let the
//!   pure judges (`probe::judges`) decide; the results form a [`probe::run`] that
//!   the page renders, the CLI prints, a [`probe::snapshot`] share link
//!   carries, and both state in the words of [`probe::verdict`].
//!
//! Both sides share the rest: the report [`model`] (a check, its status and
//! fix), the [`description`] every check and probe has, the [`outcome`] a
//! judgement returns, [`redact`]ion of secrets, the [`text`] helpers, the
//! reader of Gafaelfawr's [`error_body`], what the server reports of its
//! [`vault_secret`] and of its [`tls_certificate`], and JSON reading ([`json_parse`],
//! [`json_read`]) small enough for the wasm page; the server and the CLI
//! also read the process [`environment`] through it. Data flows one way:
//! facts → judgements → outcomes → checks → what a person reads.

pub mod argocd;
pub mod description;
pub mod environment;
pub mod error_body;
pub mod json_parse;
pub mod json_read;
pub mod model;
pub mod outcome;
pub mod platform;
pub mod probe;
pub mod received;
pub mod redact;
pub mod text;
pub mod tls_certificate;
pub mod vault_secret;

pub use model::{Check, Component, Evidence, Fix, Route, RouteReport, Status};
pub use received::evaluate::{evaluate, Evaluation};
