//! What the server checks on a request it received: the facts it observed
//! ([`observed`]), the pure check functions that judge them ([`checks`]),
//! their descriptions in catalogue order ([`catalogue`]), and the
//! evaluation ([`evaluate`]) into a route report and the body the Python
//! service answered ([`upstream`]).
//!
//! Gathering the facts is I/O and lives in the server; everything here is
//! pure.

pub mod catalogue;
pub mod checks;
pub mod evaluate;
pub mod observed;
pub mod upstream;
