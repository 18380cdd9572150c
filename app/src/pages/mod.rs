//! The pages, one per kind of address under the prefix (see `place::Page`).

pub mod overview;
pub mod route;
pub mod snapshot;
