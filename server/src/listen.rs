//! Accepting connections: HTTP/1 with a deadline for each request's head and
//! a bounded graceful shutdown, so that no slow or stalled peer can hold a
//! connection open forever or keep SIGTERM from stopping the server.
//! (`axum::serve` sets no timer, which leaves hyper's header-read timeout
//! off.)

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Longest wait before accepting again after an accept error, when no
/// connection closes first.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Time limits on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's line and headers,
    /// counted from the first byte of the request (or, on a new
    /// connection, from its opening).
    pub header_read: Duration,
    /// How long requests in flight may take to finish once shutdown begins;
    /// connections still open then are closed. Below Kubernetes's default
    /// 30 s termination grace period.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, lets requests in flight finish within
/// [`Limits::shutdown_grace`] and closes what is left.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, app.clone(), closing_seen.clone(), limits));
                }
                // Out of file descriptors and the like: the listener is
                // still good. Rather than spin, wait for what frees a
                // descriptor — a connection closing — or for ACCEPT_RETRY
                // (the descriptor may be held elsewhere); shutdown still wins.
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::select! {
                        () = &mut shutdown => break,
                        Some(_) = connections.join_next(), if !connections.is_empty() => {}
                        () = tokio::time::sleep(ACCEPT_RETRY) => {}
                    }
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    // Receivers wait on the channel, so a send error (none left) is moot.
    let _ = closing.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "closing connections still busy after the shutdown grace period"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// One client connection, until it ends or the server closes it.
async fn connection(
    stream: TcpStream,
    app: Router,
    mut closing: watch::Receiver<bool>,
    limits: Limits,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let served = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut served = std::pin::pin!(served);
    tokio::select! {
        result = served.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        // The sender lives as long as `serve`: its end means closing too.
        () = async { let _ = closing.wait_for(|closing| *closing).await; } => {
            served.as_mut().graceful_shutdown();
            if let Err(error) = served.await {
                tracing::debug!(%error, "connection ended with an error during shutdown");
            }
        }
    }
}
