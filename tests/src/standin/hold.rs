//! A Gafaelfawr that stops answering nginx: while held, every auth
//! subrequest of a protected route (`/ingress/auth`; anonymous ones still
//! pass) waits, unanswered, until released (or the stand-in stops).
//! Tests use it to stall a client's requests for as long as they need,
//! without sleeping, and count the waiting requests to know when a client
//! is stuck.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// Whether auth subrequests are held, and how many are waiting.
#[derive(Debug)]
pub struct Hold {
    held: watch::Sender<bool>,
    waiting: AtomicUsize,
}

impl Default for Hold {
    fn default() -> Self {
        Hold {
            held: watch::Sender::new(false),
            waiting: AtomicUsize::new(0),
        }
    }
}

impl Hold {
    /// Holds (`true`) or releases (`false`) auth subrequests.
    pub fn set(&self, held: bool) {
        self.held.send_replace(held);
    }

    /// How many auth subrequests have waited since the stand-in started
    /// (released ones included).
    pub fn waited(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Returns at once when not held, else when released.
    pub async fn pass(&self) {
        let mut held = self.held.subscribe();
        if !*held.borrow_and_update() {
            return;
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        // An error means the sender is gone, i.e. the stand-in is stopping.
        let _ = held.wait_for(|held| !*held).await;
    }
}
