//! Accepting connections for the monitor's routes, with explicit limits:
//! a deadline on each request's head, a cap on its size, a cap on open
//! connections and on a connection's lifetime, so that a stalled or
//! flooding scraper cannot hold the monitor's memory or sockets.
//! (`axum::serve` sets no timer, which leaves hyper's header-read timeout
//! off, and no limit on connections.)

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// How long a client may take to send a request's line and headers.
const HEADER_READ: Duration = Duration::from_secs(5);
/// Most bytes of a request head: the routes take no headers worth more.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most connections open at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 32;
/// Longest life of one connection (keep-alive included).
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);
/// Longest wait before accepting again after an accept error.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes; connections
/// still open then are closed.
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let room = connections.len() < MAX_CONNECTIONS;
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept(), if room => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, app.clone()));
                }
                // Out of descriptors and the like: wait rather than spin.
                Err(_) => tokio::time::sleep(ACCEPT_RETRY).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// One connection, until it ends or its lifetime is up.
async fn connection(stream: TcpStream, app: Router) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ)
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(MAX_HEAD_BYTES);
    let served = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let _ = tokio::time::timeout(CONNECTION_LIFETIME, served).await;
}
