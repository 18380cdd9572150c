//! An axum app served on a tokio task until it is stopped or dropped: what
//! each in-process stand-in (Gafaelfawr's, Argo CD's) does with its
//! listener.

use std::fmt::Debug;
use std::time::Duration;

use axum::serve::Listener;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long [`Served::stop`] lets requests in flight finish.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A running server task. Dropping it aborts the task.
#[derive(Debug)]
pub struct Served {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Served {
    /// Serves `app` on `listener` on a new tokio task; `name` says whose
    /// server stopped, should it stop with an error.
    pub fn spawn<L>(listener: L, app: Router, name: &'static str) -> Self
    where
        L: Listener,
        L::Addr: Debug,
    {
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    // A dropped sender stops the server too.
                    let _ = signal.await;
                })
                .await;
            if let Err(error) = served {
                eprintln!("{name} stopped: {error}");
            }
        });
        Self {
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// Stops serving: new connections are refused at once, requests in
    /// flight get a short grace period.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
