//! Muster's shared core: the serde types of every JSON body Muster speaks,
//! the catalogue of checks, the pure functions that turn observed HTTP
//! exchanges into verdicts, and the share-link snapshot codec.
//!
//! This crate does no I/O so that the server, the browser app (wasm) and the
//! command-line checker reach the same verdicts from the same code.
//!
//! Data flows one way: [`observed`] facts → [`checks`] (pure functions,
//! described by the [`catalogue`]) → [`outcome::Outcome`]s →
//! [`evaluate`] → the [`model`]'s route report and the [`upstream`] body.
//!
//! Clients (the browser app and `muster-check`) share the [`probe`]
//! catalogue: the requests to make through the ingress and the pure judges
//! of what came back, gathered into a [`run::Run`] that the page renders,
//! the CLI prints, and a [`snapshot`] share link carries; both state it in
//! the words of [`verdict`].

pub mod catalogue;
pub mod checks;
pub mod environment;
pub mod evaluate;
pub mod json_parse;
pub mod json_read;
pub mod model;
pub mod observed;
pub mod outcome;
pub mod probe;
pub mod redact;
pub mod run;
pub mod snapshot;
pub mod upstream;
pub mod verdict;

pub use evaluate::{evaluate, Evaluation};
pub use model::{Check, Component, Evidence, Fix, Route, RouteReport, Status};
