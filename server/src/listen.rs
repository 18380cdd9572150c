//! Accepting connections: HTTP/1 with a deadline and a size limit for each
//! request's head, a cap on open connections and a bounded graceful
//! shutdown, so that no slow, stalled or flooding peer can hold a
//! connection open forever, grow the server's memory without bound or keep
//! SIGTERM from stopping the server. (`axum::serve` sets no timer, which
//! leaves hyper's header-read timeout off, and no limit on connections.)

use std::future::Future;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http::{header, StatusCode};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::DEFAULT_MAX_CONNECTIONS;

/// Longest wait before accepting again after an accept error, when no
/// connection closes first.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Time and size limits on connections.
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
    /// Most bytes of a request head (request line and headers) buffered
    /// for one connection: a longer head gets 431 and the connection is
    /// closed. ingress-nginx's `large_client_header_buffers 4 64k` accepts
    /// no head over four 64 KiB buffers, so nothing it forwards is refused.
    pub max_head_bytes: usize,
    /// Longest header line (name, `: ` and value): a longer one gets 431,
    /// as ingress-nginx refuses a line that does not fit one of its 64 KiB
    /// buffers. (hyper answers 414 to a request target over 64 KiB.)
    pub max_header_line_bytes: usize,
    /// Most connections open at once; beyond it the server accepts no
    /// more until one closes, and new ones wait in the listen backlog.
    /// Together with `max_head_bytes`, it bounds the memory that unfinished
    /// heads can take.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            max_head_bytes: 256 * 1024,
            max_header_line_bytes: 64 * 1024,
            max_connections: DEFAULT_MAX_CONNECTIONS,
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
    let app = app.layer(middleware::from_fn_with_state(
        limits.max_header_line_bytes,
        refuse_long_header_lines,
    ));
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut saturated = false;
    loop {
        // At the cap, leave new connections in the listen backlog: the
        // accept branch is off until a connection ends.
        let room = connections.len() < limits.max_connections;
        if !room && !saturated {
            tracing::warn!(
                limit = limits.max_connections,
                "connection limit reached: new connections wait until one closes"
            );
        }
        saturated = !room;
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept(), if room => match accepted {
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
        .header_read_timeout(limits.header_read)
        // A longer head, finished or not, gets 431 and the connection
        // closes; but the read buffer that holds the head while it arrives
        // grows by doubling and one read may fill it past that, so its own
        // cap (which hyper refuses below 8 KiB) is set too.
        .max_header_size(limits.max_head_bytes)
        .max_buf_size(limits.max_head_bytes.max(8 * 1024));
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

/// Answers 431 to a request with a header line longer than `longest`
/// bytes, and closes its connection, before any route sees it.
async fn refuse_long_header_lines(
    State(longest): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let too_long = request
        .headers()
        .iter()
        .any(|(name, value)| name.as_str().len() + 2 + value.len() > longest);
    if too_long {
        return (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            [(header::CONNECTION, "close")],
        )
            .into_response();
    }
    next.run(request).await
}
