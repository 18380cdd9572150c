//! Slow and stalled peers cannot hold the server: a client that never
//! finishes its request head is disconnected, and shutdown closes
//! connections still busy after the grace period.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use muster_server::config::Config;
use muster_server::listen::{serve, Limits};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The bound on every wait here: far above the limits under test, so that
/// only a server without them makes a test fail.
const PATIENCE: Duration = Duration::from_secs(10);
/// A response larger than loopback's socket buffers, so that a client that
/// stops reading stalls the server's writes.
const LARGE_BYTES: usize = 64 * 1024 * 1024;

struct Server {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    served: JoinHandle<std::io::Result<()>>,
    _assets: tempfile::TempDir,
}

impl Server {
    async fn start(limits: Limits) -> Server {
        let assets = tempfile::tempdir().unwrap();
        for shell in ["index.html", "pages.html"] {
            std::fs::write(assets.path().join(shell), "<html></html>").unwrap();
        }
        std::fs::write(assets.path().join("large.txt"), vec![b'a'; LARGE_BYTES]).unwrap();
        let vars: HashMap<String, String> = [
            ("MUSTER_PATH_PREFIX", "/muster"),
            ("MUSTER_ASSETS_DIR", assets.path().to_str().unwrap()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let state = muster_server::build_state(Config::from_vars(&vars).unwrap()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let router = muster_server::router::router(state);
        let served = tokio::spawn(serve(
            listener,
            router,
            async move {
                let _ = stopped.await;
            },
            limits,
        ));
        Server {
            address,
            stop: Some(stop),
            served,
            _assets: assets,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.served.abort();
    }
}

/// Reads until the server closes the connection; `None` if it has not
/// within [`PATIENCE`].
async fn read_until_closed(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    tokio::time::timeout(PATIENCE, client.read_to_end(&mut seen))
        .await
        .ok()
        .map(|_| seen)
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    let server = Server::start(Limits {
        header_read: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let mut slow = TcpStream::connect(server.address).await.unwrap();
    slow.write_all(b"GET /muster/ HTTP/1.1\r\nHost: muster\r\n")
        .await
        .unwrap();
    let seen = read_until_closed(&mut slow).await;
    assert!(seen.is_some(), "the server kept a half-sent request open");
    // A client that sends nothing at all is cut off too.
    let mut silent = TcpStream::connect(server.address).await.unwrap();
    assert!(read_until_closed(&mut silent).await.is_some());
    // The server still answers everyone else.
    let mut prompt = TcpStream::connect(server.address).await.unwrap();
    prompt
        .write_all(b"GET / HTTP/1.1\r\nHost: muster\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut prompt).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}

#[tokio::test]
async fn shutdown_closes_a_stalled_download_after_the_grace_period() {
    let mut server = Server::start(Limits {
        shutdown_grace: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    let mut stalled = TcpStream::connect(server.address).await.unwrap();
    stalled
        .write_all(b"GET /muster/large.txt HTTP/1.1\r\nHost: muster\r\n\r\n")
        .await
        .unwrap();
    // The response has started; the client now stops reading.
    let mut status = [0_u8; 12];
    tokio::time::timeout(PATIENCE, stalled.read_exact(&mut status))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&status, b"HTTP/1.1 200");
    server.stop.take().unwrap().send(()).unwrap();
    let stopped = tokio::time::timeout(PATIENCE, &mut server.served).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server did not stop while a client stalled its download: {stopped:?}"
    );
}
