//! Components that render report data. They receive plain values (a
//! `Check`, an `Exchange`, a `Run`) and show every string as text.

pub mod check_row;
pub mod exchange;
pub mod fix_hint;
pub mod notices;
pub mod platform;
pub mod server_checks;
pub mod share_link;
pub mod status;
pub mod verdict;
