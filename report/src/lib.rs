//! Muster's shared core: the serde types of every JSON body Muster speaks,
//! the catalogue of checks, the pure functions that turn observed HTTP
//! exchanges into verdicts, and the share-link snapshot codec.
//!
//! This crate does no I/O so that the server, the browser app (wasm) and the
//! command-line checker reach the same verdicts from the same code.

pub mod redact;
pub mod upstream;
