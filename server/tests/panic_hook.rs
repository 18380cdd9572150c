//! The panic hook replaces Rust's default one, which would print a panic's
//! raw message (and any token in it) to standard error outside the log
//! format: the message is logged once, fingerprinted, with its location.
//! Its own test binary, because the hook is global to the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use muster_report::redact;
use muster_server::config::Config;

/// The log, in memory.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const TOKEN: &str = "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";

#[test]
fn panics_are_logged_redacted_with_their_location() {
    let vars: HashMap<String, String> = HashMap::new();
    let config = Config::from_vars(&vars).unwrap();
    let logs = Log::default();
    let _guard =
        tracing::subscriber::set_default(muster_server::logging::subscriber(&config, logs.clone()));
    muster_server::alerts::install_panic_hook();
    let caught = std::panic::catch_unwind(|| panic!("lost {TOKEN}"));
    let _ = std::panic::take_hook();
    assert!(caught.is_err());
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logged.contains(&redact::fingerprint(TOKEN)), "{logged}");
    assert!(!logged.contains(TOKEN), "{logged}");
    assert!(logged.contains("server/tests/panic_hook.rs:"), "{logged}");
    assert_eq!(logged.lines().count(), 1, "{logged}");
}
