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

/// A complete request whose one extra header line is `line_bytes` long.
fn request_with_header_line(line_bytes: usize) -> Vec<u8> {
    let mut request = b"GET / HTTP/1.1\r\nHost: muster\r\nConnection: close\r\nX-Long: ".to_vec();
    request.extend(std::iter::repeat_n(b'a', line_bytes - "X-Long: ".len()));
    request.extend_from_slice(b"\r\n\r\n");
    request
}

/// The status line the server answers `request` with.
async fn status_of(server: &Server, request: &[u8]) -> String {
    let mut client = TcpStream::connect(server.address).await.unwrap();
    // The server may answer and close before reading all of a long head.
    let _ = client.write_all(request).await;
    let seen = read_until_closed(&mut client).await.unwrap_or_default();
    let line = seen.split(|byte| *byte == b'\r').next().unwrap_or(&[]);
    String::from_utf8_lossy(line).into_owned()
}

#[tokio::test]
async fn header_lines_and_heads_past_nginxs_buffers_get_431() {
    let server = Server::start(Limits::default()).await;
    let at_limit = request_with_header_line(64 * 1024);
    assert_eq!(status_of(&server, &at_limit).await, "HTTP/1.1 200 OK");
    let over = request_with_header_line(64 * 1024 + 1);
    assert_eq!(
        status_of(&server, &over).await,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    // Four lines of 60 KB fit; a fifth takes the head over 256 KiB.
    let mut four = b"GET / HTTP/1.1\r\nHost: muster\r\nConnection: close\r\n".to_vec();
    for name in ["A", "B", "C", "D"] {
        four.extend_from_slice(format!("X-{name}: ").as_bytes());
        four.extend(std::iter::repeat_n(b'a', 60_000));
        four.extend_from_slice(b"\r\n");
    }
    let mut five = four.clone();
    four.extend_from_slice(b"\r\n");
    assert_eq!(status_of(&server, &four).await, "HTTP/1.1 200 OK");
    five.extend_from_slice(b"X-E: ");
    five.extend(std::iter::repeat_n(b'a', 60_000));
    five.extend_from_slice(b"\r\n\r\n");
    assert_eq!(
        status_of(&server, &five).await,
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_room() {
    let server = Server::start(Limits {
        max_connections: 2,
        ..Limits::default()
    })
    .await;
    let _first = TcpStream::connect(server.address).await.unwrap();
    let second = TcpStream::connect(server.address).await.unwrap();
    let mut third = TcpStream::connect(server.address).await.unwrap();
    third
        .write_all(b"GET / HTTP/1.1\r\nHost: muster\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    // The third waits unanswered while two connections are open: an
    // answer takes milliseconds, so silence for 300 ms is the evidence
    // (a bound on an absence, not a wait for something to happen)…
    let mut byte = [0_u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(300), third.read(&mut byte)).await;
    assert!(early.is_err(), "a connection past the cap was served");
    // …and is served as soon as one closes.
    drop(second);
    let answer = read_until_closed(&mut third).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}
