//! What the in-process Muster server logs, captured for the leak checks.
//!
//! tracing's global subscriber can be set once per process, and a scoped
//! one (`tracing::subscriber::set_default`) covers one thread only, while
//! the server's request lines are written on whichever runtime thread runs
//! the connection. So the stack gives the server a runtime of its own whose
//! every thread, as it starts, makes Muster's own subscriber
//! ([`muster_server::logging::subscriber`], from the server's
//! configuration) its default, writing to a [`LogCapture`]: each stack
//! captures exactly its own server's lines, in its configured format, even
//! with several stacks running in one test process.

use std::cell::RefCell;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::runtime::Runtime;
use tracing::dispatcher::{DefaultGuard, Dispatch};
use tracing_subscriber::fmt::MakeWriter;

/// The most a capture keeps (a long-running `muster-stack` must not grow
/// without bound); what comes after is dropped, and [`CAPTURE_FULL`] says
/// so at the end of the text.
const CAPACITY: usize = 64 * 1024 * 1024;

/// The line that ends a capture that reached its capacity.
pub const CAPTURE_FULL: &str = "[muster-stack: log capture full, later lines dropped]\n";

/// A shared, bounded buffer of log text (cheap to clone: every clone
/// writes to the same buffer).
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Captured>>);

#[derive(Debug, Default)]
struct Captured {
    bytes: Vec<u8>,
    full: bool,
    /// Also write every line to standard error.
    echo: bool,
}

impl LogCapture {
    /// A capture that also writes what it gets to standard error, for
    /// `muster-stack`, whose user wants to see the server's lines.
    pub fn echoing() -> Self {
        LogCapture(Arc::new(Mutex::new(Captured {
            echo: true,
            ..Captured::default()
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Captured> {
        // A panic while writing leaves at worst a partial line.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        let captured = self.lock();
        let mut text = String::from_utf8_lossy(&captured.bytes).into_owned();
        if captured.full {
            text.push_str(CAPTURE_FULL);
        }
        text
    }
}

impl io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut captured = self.lock();
        if captured.echo {
            // A closed terminal must not stop the capture or the server.
            let _ = io::Write::write_all(&mut io::stderr(), buf);
        }
        if captured.bytes.len() + buf.len() <= CAPACITY {
            captured.bytes.extend_from_slice(buf);
        } else {
            captured.full = true;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'writer> MakeWriter<'writer> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'writer self) -> Self::Writer {
        self.clone()
    }
}

thread_local! {
    /// The dispatch a runtime thread made its default when it started.
    static THREAD_DEFAULT: RefCell<Option<DefaultGuard>> = const { RefCell::new(None) };
}

/// A multi-threaded runtime with `workers` workers on which every thread —
/// workers and blocking pool alike — sends its tracing events to
/// `dispatch`.
pub fn runtime_logging_to(dispatch: Dispatch, workers: usize) -> io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .on_thread_start(move || {
            let guard = tracing::dispatcher::set_default(&dispatch);
            THREAD_DEFAULT.with(|slot| *slot.borrow_mut() = Some(guard));
        })
        .on_thread_stop(|| {
            THREAD_DEFAULT.with(|slot| drop(slot.borrow_mut().take()));
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_on_any_runtime_thread_are_captured_and_the_caller_is_left_alone() {
        let capture = LogCapture::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(capture.clone())
            .finish();
        let runtime = runtime_logging_to(Dispatch::new(subscriber), 2).unwrap();
        runtime.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|n| tokio::spawn(async move { tracing::info!(n, "from a task") }))
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            tokio::task::spawn_blocking(|| tracing::info!("from the blocking pool"))
                .await
                .unwrap();
        });
        tracing::info!("from the test's own thread");
        let text = capture.text();
        assert_eq!(text.matches("from a task").count(), 8, "{text}");
        assert!(text.contains("from the blocking pool"), "{text}");
        assert!(!text.contains("own thread"), "{text}");
    }
}
