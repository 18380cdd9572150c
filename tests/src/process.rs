//! Child processes of the stack (nginx, chromedriver and its Chromium)
//! and of the tests: started in their own process group with output to a
//! log file (or, for [`output_within`], collected within a deadline), and
//! stopped — the whole group — when their guard is dropped, so nothing is
//! left running even when a test panics.

use std::fs::File;
use std::io::{self, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a stopped process group gets to exit before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Interval between two looks at a condition being waited for.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// A running child process that is stopped with its whole group on drop.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
    log: PathBuf,
}

impl ChildGuard {
    /// Starts `command` in a new process group, its stdout and stderr going
    /// to `<log_dir>/<name>.log`.
    pub fn spawn(name: &str, mut command: Command, log_dir: &Path) -> io::Result<Self> {
        let log = log_dir.join(format!("{name}.log"));
        let out = File::create(&log)?;
        let err = out.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .process_group(0);
        let child = command.spawn().map_err(|error| {
            io::Error::new(error.kind(), format!("cannot start {name}: {error}"))
        })?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log,
        })
    }

    /// The process's log so far, for error messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The operating-system process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, once the process has exited.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// `Some(description)` when the process has already exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} exited ({status})", self.name)),
            Ok(None) => None,
            Err(error) => Some(format!("{} cannot be waited for: {error}", self.name)),
        }
    }

    /// Waits until `addr` accepts connections, failing early with the log
    /// if the process exits first.
    pub fn wait_for_port(&mut self, addr: SocketAddr, timeout: Duration) -> Result<(), String> {
        let name = self.name.clone();
        poll_until(timeout, &format!("{name} to listen on {addr}"), || {
            if let Some(exit) = self.exited() {
                return Err(format!("{exit}; its log:\n{}", self.log_text()));
            }
            Ok(TcpStream::connect_timeout(&addr, POLL_INTERVAL).is_ok())
        })
    }

    /// Stops the process group: SIGTERM, then SIGKILL after a grace period.
    pub fn stop(&mut self) {
        let group = -(self.child.id() as i32);
        if self.exited().is_some() {
            signal_group(group, libc::SIGKILL);
            return;
        }
        signal_group(group, libc::SIGTERM);
        let stopped = poll_until(STOP_GRACE, "exit", || Ok(self.exited().is_some()));
        signal_group(group, libc::SIGKILL);
        if stopped.is_err() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `command` to completion in a new process group, writing `stdin` to
/// it and collecting its stdout and stderr. If it has not exited within
/// `timeout`, its group is stopped (as by [`ChildGuard`]) and the error
/// carries what it printed.
pub fn output_within(
    name: &str,
    mut command: Command,
    stdin: &[u8],
    timeout: Duration,
) -> Result<Output, String> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = command
        .spawn()
        .map_err(|error| format!("cannot start {name}: {error}"))?;
    let mut guard = ChildGuard {
        name: name.to_owned(),
        child,
        log: PathBuf::new(),
    };
    // Threads, so that neither a full pipe nor an unread stdin blocks.
    let input = guard.child.stdin.take();
    let stdin = stdin.to_vec();
    std::thread::spawn(move || {
        if let Some(mut input) = input {
            let _ = input.write_all(&stdin);
        }
    });
    let stdout = read_to_end_in_thread(guard.child.stdout.take());
    let stderr = read_to_end_in_thread(guard.child.stderr.take());
    let finished = poll_until(timeout, &format!("{name} to exit"), || {
        Ok(guard.exited().is_some())
    });
    // Exited or not, nothing of its group outlives this call.
    guard.stop();
    let status = guard.exit_status();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match (finished, status) {
        (Ok(()), Some(status)) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        (finished, _) => Err(format!(
            "{}; its stdout:\n{}\nits stderr:\n{}",
            finished
                .err()
                .unwrap_or_else(|| format!("{name} cannot be waited for")),
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr),
        )),
    }
}

fn read_to_end_in_thread(
    pipe: Option<impl io::Read + Send + 'static>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

fn signal_group(group: i32, signal: libc::c_int) {
    // SAFETY: kill(2) takes plain integers; a group that is already gone
    // just makes it return ESRCH.
    unsafe {
        libc::kill(group, signal);
    }
}

/// A port on 127.0.0.1 that was free a moment ago, for programs that must
/// be told their port (nginx, chromedriver).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Calls `check` until it answers `Ok(true)`, an error, or `timeout` passes.
pub fn poll_until(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if check()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// True when this process runs as root (nginx then needs `user root;`).
pub fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// A loopback socket bound to a port but not listening: connections to the
/// port are refused for as long as the socket lives, and no other test can
/// take the port meanwhile (unlike a [`free_port`] that is let go).
pub fn closed_port() -> io::Result<tokio::net::TcpSocket> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
    Ok(socket)
}
