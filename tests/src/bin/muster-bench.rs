//! `muster-bench`: the benchmark behind `./dev bench`. Over loopback, wrk
//! loads Muster's `/muster/anonymous` and `/muster/delegated/header` (the
//! latter calling the Gafaelfawr stand-in twice per request) and nginx
//! serving the same static JSON body, then prints requests/s, p99 latency,
//! the ratio to nginx and the server's peak RSS.
//!
//! Usage: `muster-bench [--seconds N] [--connections N]`. Expects the
//! release `muster` binary beside itself (`./dev bench` builds both).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;
use muster_stack::process::{free_port, running_as_root, ChildGuard};
use muster_stack::standin::{Standin, StandinConfig};

/// The core the server under test (Muster or nginx) runs on, alone.
const SERVER_CORE: &str = "1";
/// The core wrk runs on, so the load generator never competes with the
/// server: the comparison is per core, one worker each.
const LOAD_CORE: &str = "0";

/// `program` pinned to the server core.
fn pinned(program: &Path) -> Command {
    let mut command = Command::new("taskset");
    command.args(["-c", SERVER_CORE]).arg(program);
    command
}

/// Keeps this process (and the Gafaelfawr stand-in it runs) off the server
/// core.
fn pin_self_to_load_core() -> Result<(), String> {
    let core: usize = LOAD_CORE.parse().map_err(|_| "bad LOAD_CORE".to_owned())?;
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes within
    // it; sched_setaffinity reads it for this process (pid 0).
    let result = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if result == 0 {
        Ok(())
    } else {
        Err(format!(
            "cannot pin the bench to core {core}: {}",
            std::io::Error::last_os_error()
        ))
    }
}

/// One wrk measurement.
struct Measured {
    requests_per_second: f64,
    p99_ms: f64,
    non_2xx: u64,
}

/// Loads Muster and nginx with wrk over loopback and prints requests/s,
/// p99 latency, the ratio to nginx and the server's peak RSS. Expects the
/// release `muster` binary beside itself (`./dev bench` builds both).
#[derive(Parser)]
#[command(name = "muster-bench", args_override_self = true)]
struct Args {
    /// How long wrk loads each target, in seconds.
    #[arg(long, value_name = "N", default_value_t = 5)]
    #[arg(value_parser = clap::value_parser!(u32).range(1..))]
    seconds: u32,
    /// How many connections wrk keeps open.
    #[arg(long, value_name = "N", default_value_t = 32)]
    #[arg(value_parser = clap::value_parser!(u32).range(1..))]
    connections: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("muster-bench: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(
    Args {
        seconds,
        connections,
    }: Args,
) -> Result<(), String> {
    pin_self_to_load_core()?;
    let work = tempfile::tempdir().map_err(|e| format!("no work dir: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("no runtime: {e}"))?;
    let standin = runtime
        .block_on(Standin::start(StandinConfig::demo()))
        .map_err(|e| format!("stand-in: {e}"))?;
    let delegated = standin.issue_token("someuser", "internal", &[]);

    let muster_port = free_port().map_err(|e| e.to_string())?;
    let mut muster = start_muster(work.path(), muster_port, &standin.url())?;
    let nginx_port = free_port().map_err(|e| e.to_string())?;
    let _nginx = start_static_nginx(work.path(), nginx_port)?;

    let muster_url = format!("http://127.0.0.1:{muster_port}/muster");
    let user = "X-Auth-Request-User: someuser".to_owned();
    let email = "X-Auth-Request-Email: someuser@example.com".to_owned();
    let token = format!("X-Auth-Request-Token: {delegated}");
    let load = |url: &str, headers: &[String]| wrk(url, headers, seconds, connections);

    println!(
        "wrk on core {LOAD_CORE}: {connections} connections, {seconds} s per target; \
         nginx (1 worker) and muster (1 tokio worker) each alone on core {SERVER_CORE}\n"
    );
    let nginx = load(&format!("http://127.0.0.1:{nginx_port}/static"), &[])?;
    let anonymous = load(&format!("{muster_url}/anonymous"), &[])?;
    let delegated = load(
        &format!("{muster_url}/delegated/header"),
        &[user, email, token],
    )?;
    let peak_rss_kb = peak_rss_kb(muster.pid())?;
    if let Some(exit) = muster.exited() {
        return Err(format!("muster died under load: {exit}"));
    }

    println!(
        "{:<34} {:>10} {:>9} {:>9} {:>7}",
        "target", "req/s", "p99 ms", "vs nginx", "non-2xx"
    );
    for (name, m) in [
        ("nginx static JSON", &nginx),
        ("muster /muster/anonymous", &anonymous),
        ("muster /muster/delegated/header", &delegated),
    ] {
        println!(
            "{:<34} {:>10.0} {:>9.2} {:>8.2}x {:>7}",
            name,
            m.requests_per_second,
            m.p99_ms,
            m.requests_per_second / nginx.requests_per_second,
            m.non_2xx
        );
    }
    println!(
        "\nmuster peak RSS under load: {:.1} MB",
        peak_rss_kb as f64 / 1024.0
    );
    runtime.block_on(standin.stop());
    Ok(())
}

fn start_muster(dir: &Path, port: u16, gafaelfawr: &str) -> Result<ChildGuard, String> {
    let binary = sibling_binary("muster")?;
    let assets = dir.join("dist");
    std::fs::create_dir_all(&assets).map_err(|e| e.to_string())?;
    for shell in ["index.html", "pages.html"] {
        std::fs::write(assets.join(shell), "<html></html>").map_err(|e| e.to_string())?;
    }
    let mut command = pinned(&binary);
    command
        .env("TOKIO_WORKER_THREADS", "1")
        .env("MUSTER_BIND", format!("127.0.0.1:{port}"))
        .env("MUSTER_ASSETS_DIR", &assets)
        .env("MUSTER_GAFAELFAWR_URL", format!("{gafaelfawr}/auth/api/v1"))
        .env("MUSTER_LOG_LEVEL", "warning");
    let mut child = ChildGuard::spawn("muster", command, dir).map_err(|e| e.to_string())?;
    child.wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(10),
    )?;
    Ok(child)
}

fn start_static_nginx(dir: &Path, port: u16) -> Result<ChildGuard, String> {
    let d = dir.display();
    let user = if running_as_root() { "user root;" } else { "" };
    let conf = format!(
        "{user}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/cb; proxy_temp_path {d}/px; fastcgi_temp_path {d}/fc;
  uwsgi_temp_path {d}/uw; scgi_temp_path {d}/sc;
  server {{
    listen 127.0.0.1:{port};
    location = /static {{ default_type application/json; return 200 '{{\"ok\":true}}'; }}
  }}
}}
"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).map_err(|e| e.to_string())?;
    let mut command = Command::new("nginx");
    command
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .args(["-g", "daemon off;"]);
    let mut nginx = ChildGuard::spawn("nginx", command, dir).map_err(|e| e.to_string())?;
    nginx.wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(10),
    )?;
    Ok(nginx)
}

/// A binary built beside this one (`target/release/<name>`).
fn sibling_binary(name: &str) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = me.with_file_name(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build it with ./dev bench",
            path.display()
        ))
    }
}

fn wrk(url: &str, headers: &[String], seconds: u32, connections: u32) -> Result<Measured, String> {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
        "--timeout",
        "5s",
    ]);
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run wrk (scripts/setup installs it): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk failed on {url}: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
    };
    let requests_per_second = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk output:\n{text}"))?;
    let p99_ms = field("99%")
        .and_then(|v| duration_ms(&v))
        .ok_or_else(|| format!("no 99% latency in wrk output:\n{text}"))?;
    let non_2xx = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(Measured {
        requests_per_second,
        p99_ms,
        non_2xx,
    })
}

/// wrk's `1.23ms` / `456.00us` / `1.02s` as milliseconds.
fn duration_ms(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

/// Peak resident set size of `pid` (VmHWM), in kB.
fn peak_rss_kb(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| "no VmHWM in /proc status".to_owned())
}
