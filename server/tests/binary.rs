//! The `muster` binary as an operator runs it: refusing a bad configuration
//! with the variable's name, stopping cleanly on SIGTERM, and keeping its
//! memory bounded under a burst of unfinished request heads.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_muster");
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Bound on a refusal: a `muster` that wrongly starts would serve forever.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(10);

/// A spawned `muster`, killed when dropped (a failed assertion included)
/// unless it has already exited.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `command` (stdout discarded) until it exits, within `timeout`, and
/// returns its status and stderr; panics, killing it, if it does not exit.
fn output_within(mut command: Command, timeout: Duration) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut running = Running(command.spawn().unwrap());
    let mut pipe = running.0.stderr.take().unwrap();
    // Read in a thread, so that a full pipe cannot block the child; the
    // pipe closes when the child exits or is killed.
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    });
    let mut status = None;
    wait_for(&mut running, timeout, "muster to exit", |child| {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    Output {
        status: status.unwrap(),
        stdout: Vec::new(),
        stderr: stderr.join().unwrap(),
    }
}

fn assets_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["index.html", "pages.html"] {
        std::fs::write(dir.path().join(shell), "<html></html>").unwrap();
    }
    dir
}

/// Polls `done` until it is true or `timeout` passes (then panics, and
/// dropping `running` kills it).
fn wait_for(
    running: &mut Running,
    timeout: Duration,
    what: &str,
    mut done: impl FnMut(&mut Child) -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !done(&mut running.0) {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Runs `muster` on a loopback port with `vars`, expects it to refuse to
/// start (exit 2), and returns what it said.
fn refusal(vars: &[(&str, &std::ffi::OsStr)]) -> String {
    let mut command = Command::new(BINARY);
    command.env("MUSTER_BIND", "127.0.0.1:0");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = output_within(command, REFUSAL_TIMEOUT);
    assert_eq!(output.status.code(), Some(2), "{vars:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_prefix_is_refused_naming_the_variable() {
    let dir = assets_dir();
    let stderr = refusal(&[
        ("MUSTER_PATH_PREFIX", "muster".as_ref()),
        ("MUSTER_ASSETS_DIR", dir.path().as_os_str()),
    ]);
    assert!(stderr.contains("MUSTER_PATH_PREFIX"), "{stderr}");
}

#[test]
fn missing_assets_are_refused_naming_the_variable() {
    let stderr = refusal(&[("MUSTER_ASSETS_DIR", "/nonexistent/muster/dist".as_ref())]);
    assert!(stderr.contains("MUSTER_ASSETS_DIR"), "{stderr}");
}

#[test]
fn non_utf8_variables_are_named_or_ignored_never_a_panic() {
    use std::os::unix::ffi::OsStrExt as _;
    let not_utf8 = std::ffi::OsStr::from_bytes(b"/mu\xffster");
    let stderr = refusal(&[("MUSTER_PATH_PREFIX", not_utf8)]);
    assert!(
        stderr.contains("MUSTER_PATH_PREFIX: is not valid UTF-8"),
        "{stderr}"
    );
    // Someone else's variable is none of Muster's business: the refusal
    // is about the missing assets, not a panic about the environment.
    let stderr = refusal(&[
        ("SOMEONE_ELSES", not_utf8),
        ("MUSTER_ASSETS_DIR", "/nonexistent/muster/dist".as_ref()),
    ]);
    assert!(stderr.contains("MUSTER_ASSETS_DIR"), "{stderr}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = assets_dir();
    let (mut child, _) = start_muster(dir.path(), &[]);
    let sent = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut status: Option<ExitStatus> = None;
    wait_for(
        &mut child,
        Duration::from_secs(10),
        "muster to stop after SIGTERM",
        |child| {
            status = child.try_wait().unwrap();
            status.is_some()
        },
    );
    assert!(status.unwrap().success(), "{status:?}");
}

/// Connections the burst test lets `muster` keep open
/// (`MUSTER_MAX_CONNECTIONS`): small, so that the test stays light.
const BURST_CAP: usize = 64;
/// Most the server's RSS may grow over its idle size while a burst is on:
/// [`BURST_CAP`] heads of up to 256 KiB, the server's limit (16 MiB), twice over for
/// the allocator's and the runtime's overhead. Without the limits, the
/// bursts below took it over 90 MiB.
const BURST_GROWTH: u64 = 32 * 1024 * 1024;
/// Most the RSS may stay over its idle size once a burst is gone.
const LEFT_AFTER: u64 = 8 * 1024 * 1024;
/// Bound on each phase of the burst test.
const BURST_PATIENCE: Duration = Duration::from_secs(30);

/// `muster` serving on a free loopback port, with `vars`.
fn start_muster(assets: &std::path::Path, vars: &[(&str, &str)]) -> (Running, SocketAddr) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut command = Command::new(BINARY);
    command
        .env("MUSTER_BIND", address.to_string())
        .env("MUSTER_ASSETS_DIR", assets)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in vars {
        command.env(name, value);
    }
    let mut child = Running(command.spawn().unwrap());
    wait_for(
        &mut child,
        Duration::from_secs(10),
        "muster to listen",
        |child| {
            assert!(
                child.try_wait().unwrap().is_none(),
                "muster exited before listening"
            );
            TcpStream::connect(address).is_ok()
        },
    );
    (child, address)
}

/// Resident memory of process `pid`, in bytes, from `/proc/PID/status`.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|number| number.trim().parse::<u64>().ok())
        .unwrap();
    kib * 1024
}

/// One established IPv4 TCP socket, from `/proc/net/tcp`.
struct Socket {
    local_port: u16,
    remote_port: u16,
    /// Bytes sent but not yet acknowledged or not yet sent.
    unsent: u64,
    /// Bytes received that the owner has not read yet.
    unread: u64,
    /// The socket's inode: 0 while no process holds it (still in a listen
    /// backlog, or closed and finishing).
    inode: u64,
}

/// The inodes of the sockets process `pid` holds open.
fn sockets_held_by(pid: u32) -> std::collections::HashSet<u64> {
    let Ok(descriptors) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return std::collections::HashSet::new();
    };
    descriptors
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?;
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// Every established socket with `port` at one end, each once: the kernel
/// lists `/proc/net/tcp` in several reads, and a socket that moves between
/// them may be listed twice.
fn sockets_on(port: u16) -> Vec<Socket> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let hex_port = |address: &str| u16::from_str_radix(address.rsplit(':').next()?, 16).ok();
    let unique: std::collections::BTreeMap<(u16, u16), Socket> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (queues, inode) = (fields.get(4)?, fields.get(9)?);
            let (unsent, unread) = queues.split_once(':')?;
            let socket = Socket {
                local_port: hex_port(fields.get(1)?)?,
                remote_port: hex_port(fields.get(2)?)?,
                unsent: u64::from_str_radix(unsent, 16).ok()?,
                unread: u64::from_str_radix(unread, 16).ok()?,
                inode: inode.parse().ok()?,
            };
            let established = *fields.get(3)? == "01";
            let ours = socket.local_port == port || socket.remote_port == port;
            (established && ours).then_some(((socket.local_port, socket.remote_port), socket))
        })
        .collect();
    unique.into_values().collect()
}

/// A request that must be answered: its status line, once the server
/// closes the connection.
async fn status_line(address: SocketAddr) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: muster\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let line = answer.split(|byte| *byte == b'\r').next().unwrap_or(&[]);
    String::from_utf8_lossy(line).into_owned()
}

/// An unfinished request head of about `bytes` bytes: 4 KB header lines
/// (under 100 of them, hyper's cap on a head's headers) and no blank line.
fn unfinished_head(bytes: usize) -> Vec<u8> {
    let mut head = b"GET / HTTP/1.1\r\nHost: muster\r\n".to_vec();
    for _ in 0..bytes / 4000 {
        head.extend_from_slice(b"X-Filler: ");
        head.extend_from_slice(&[b'a'; 3988]);
        head.extend_from_slice(b"\r\n");
    }
    head
}

/// Polls `done` every [`POLL_INTERVAL`] until it is true, sampling the
/// RSS of `pid` each time; panics after [`BURST_PATIENCE`] or as soon as
/// the RSS exceeds `ceiling`.
async fn poll_with_rss(pid: u32, ceiling: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + BURST_PATIENCE;
    loop {
        let rss = rss_bytes(pid);
        assert!(
            rss <= ceiling,
            "RSS {} MiB over {} MiB while waiting for {what}",
            rss >> 20,
            ceiling >> 20
        );
        if done() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {BURST_PATIENCE:?} waiting for {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_unfinished_heads_leaves_memory_bounded() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let dir = assets_dir();
    let cap = BURST_CAP.to_string();
    let (muster, address) = start_muster(dir.path(), &[("MUSTER_MAX_CONNECTIONS", &cap)]);
    let pid = muster.0.id();
    assert_eq!(status_line(address).await, "HTTP/1.1 200 OK");
    let idle = rss_bytes(pid);
    let ceiling = idle + BURST_GROWTH;

    // Heads over the limit (390 KB, as nginx would never forward) are
    // refused as soon as the limit is reached, with 431 or by closing.
    let oversized = std::sync::Arc::new(unfinished_head(390_000));
    let mut refused = tokio::task::JoinSet::new();
    for _ in 0..300 {
        let head = oversized.clone();
        refused.spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let _ = stream.write_all(&head).await;
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer).await;
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 431 ")
        });
    }
    let mut outcomes = Vec::new();
    poll_with_rss(pid, ceiling, "oversized heads to be refused", || {
        while let Some(outcome) = refused.try_join_next() {
            outcomes.push(outcome.unwrap());
        }
        refused.is_empty()
    })
    .await;
    assert!(outcomes.iter().all(|refused| *refused), "{outcomes:?}");
    assert_eq!(status_line(address).await, "HTTP/1.1 200 OK");

    // Heads under the limit, on six times more connections than allowed:
    // the server holds BURST_CAP of them, the rest wait in the backlog.
    let burst = 6 * BURST_CAP;
    let head = std::sync::Arc::new(unfinished_head(240_000));
    let (release, released) = tokio::sync::watch::channel(false);
    let mut holders = tokio::task::JoinSet::new();
    for _ in 0..burst {
        let head = head.clone();
        let mut released = released.clone();
        holders.spawn(async move {
            let hold = async {
                // Past the listen backlog, connecting waits too.
                if let Ok(mut stream) = tokio::net::TcpStream::connect(address).await {
                    let _ = stream.write_all(&head).await;
                    std::future::pending::<()>().await
                }
            };
            tokio::select! {
                () = hold => {}
                _ = released.wait_for(|released| *released) => {}
            }
        });
    }
    let port = address.port();
    let mut most_accepted = 0;
    poll_with_rss(pid, ceiling, "the server to read what it accepted", || {
        // Held means accepted: the server's own descriptors say which.
        let held = sockets_held_by(pid);
        let sockets = sockets_on(port);
        let (server, clients): (Vec<&Socket>, Vec<&Socket>) =
            sockets.iter().partition(|socket| socket.local_port == port);
        let accepted: Vec<&&Socket> = server
            .iter()
            .filter(|socket| held.contains(&socket.inode))
            .collect();
        most_accepted = most_accepted.max(accepted.len());
        let drained = |server_side: &Socket| {
            server_side.unread == 0
                && clients.iter().all(|client| {
                    client.local_port != server_side.remote_port || client.unsent == 0
                })
        };
        // Connections wait unaccepted while the server has read all that
        // reached the ones it holds.
        accepted.len() >= BURST_CAP
            && server.len() > accepted.len()
            && accepted.iter().all(|socket| drained(socket))
    })
    .await;
    assert!(
        most_accepted <= BURST_CAP,
        "{most_accepted} connections open at once, over the cap of {BURST_CAP}"
    );
    // A request arriving now waits for room, and is answered once the
    // burst goes away.
    let waiting = tokio::spawn(status_line(address));
    release.send(true).unwrap();
    while holders.join_next().await.is_some() {}
    poll_with_rss(pid, ceiling, "the waiting request's answer", || {
        waiting.is_finished()
    })
    .await;
    assert_eq!(waiting.await.unwrap(), "HTTP/1.1 200 OK");

    // The memory goes back.
    poll_with_rss(pid, ceiling, "memory to return after the burst", || {
        rss_bytes(pid) <= idle + LEFT_AFTER
    })
    .await;
}
