//! The panic hook replaces Rust's default one, which would print a panic's
//! raw message (and any token in it) to standard error outside the log
//! format: the message is logged once, fingerprinted, with its location.
//! Its own test binary, because the hook is global to the process.

use std::collections::HashMap;

use muster_report::redact;
use muster_server::config::Config;

#[path = "shared/log_buffer.rs"]
mod log_buffer;
use log_buffer::LogBuffer;

const TOKEN: &str = "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";

#[test]
fn panics_are_logged_redacted_with_their_location() {
    let vars: HashMap<String, String> = HashMap::new();
    let config = Config::from_vars(&vars).unwrap();
    let logs = LogBuffer::default();
    let _guard =
        tracing::subscriber::set_default(muster_server::logging::subscriber(&config, logs.clone()));
    muster_server::alerts::install_panic_hook();
    let caught = std::panic::catch_unwind(|| panic!("lost {TOKEN}"));
    let _ = std::panic::take_hook();
    assert!(caught.is_err());
    let logged = logs.text();
    assert!(logged.contains(&redact::fingerprint(TOKEN)), "{logged}");
    assert!(!logged.contains(TOKEN), "{logged}");
    assert!(logged.contains("server/tests/panic_hook.rs:"), "{logged}");
    assert_eq!(logged.lines().count(), 1, "{logged}");
}
