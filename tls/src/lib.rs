//! Reads the certificate a TLS server presents, for Muster's server (its
//! configured public base URL) and `muster-check` (the URL it checks):
//! one handshake, bounded in time, whose certificate is recorded whatever
//! its faults, then judged apart for trust, name and expiry so that the
//! report can name each. The verdict itself is
//! [`muster_report::tls_certificate::judge`]'s; this crate only gathers
//! the facts, which are public (what any client of the host sees).

mod reading;
mod roots;
mod time;

pub use reading::inspect;
pub use roots::{roots, RootsError};
pub use tokio_rustls::rustls::RootCertStore;
