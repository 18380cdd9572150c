//! The local stack: the Muster server (in-process) behind real nginx on
//! loopback, started together and stopped together. Used by the end-to-end
//! tests and by `muster-stack`, the README's run command.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::process::{free_port, running_as_root, ChildGuard};

/// What to start.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Muster's path prefix.
    pub path_prefix: String,
    /// trunk's output directory.
    pub assets_dir: PathBuf,
    /// Port for nginx; `None` picks a free one.
    pub port: Option<u16>,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            path_prefix: "/muster".to_owned(),
            assets_dir: default_assets_dir(),
            port: None,
        }
    }
}

/// trunk's output: `MUSTER_ASSETS_DIR`, else the workspace's `target/dist`.
pub fn default_assets_dir() -> PathBuf {
    std::env::var_os("MUSTER_ASSETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dist"))
}

/// A running stack; everything stops when it is dropped.
pub struct Stack {
    nginx_port: u16,
    server_addr: SocketAddr,
    // Field order is drop order: nginx first, then the server, then files.
    _nginx: ChildGuard,
    server_shutdown: Option<oneshot::Sender<()>>,
    runtime: Option<Runtime>,
    work_dir: tempfile::TempDir,
}

impl Stack {
    /// Starts the server and nginx in front of it.
    pub fn start(options: StackOptions) -> Result<Self, String> {
        if !options.assets_dir.join("index.html").exists() {
            return Err(format!(
                "the app is not built: no index.html in {} (run ./dev build)",
                options.assets_dir.display()
            ));
        }
        let work_dir = tempfile::tempdir().map_err(|e| format!("no work dir: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("no tokio runtime: {e}"))?;
        let (server_addr, server_shutdown) = runtime.block_on(start_server(&options))?;
        let nginx_port = match options.port {
            Some(port) => port,
            None => free_port().map_err(|e| format!("no free port: {e}"))?,
        };
        let conf = plain_proxy_conf(work_dir.path(), nginx_port, server_addr);
        let nginx = start_nginx(work_dir.path(), &conf, nginx_port)?;
        Ok(Self {
            nginx_port,
            server_addr,
            _nginx: nginx,
            server_shutdown: Some(server_shutdown),
            runtime: Some(runtime),
            work_dir,
        })
    }

    /// `http://127.0.0.1:<port>`: the stack's front door (nginx).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.nginx_port)
    }

    /// The Muster server's own address, behind nginx.
    pub fn server_addr(&self) -> SocketAddr {
        self.server_addr
    }

    /// Directory holding the stack's configuration and logs.
    pub fn work_dir(&self) -> &Path {
        self.work_dir.path()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(shutdown) = self.server_shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

async fn start_server(options: &StackOptions) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
    let vars: HashMap<String, String> = [
        ("MUSTER_PATH_PREFIX", options.path_prefix.clone()),
        ("MUSTER_ASSETS_DIR", options.assets_dir.display().to_string()),
        ("MUSTER_LOG_PROFILE", "development".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = muster_server::config::Config::from_vars(&vars).map_err(|e| e.to_string())?;
    let state = muster_server::build_state(config).map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind the server: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (send, receive) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = receive.await;
        };
        if let Err(error) = muster_server::serve(listener, state, shutdown).await {
            eprintln!("muster server stopped: {error}");
        }
    });
    Ok((addr, send))
}

fn start_nginx(dir: &Path, conf: &str, port: u16) -> Result<ChildGuard, String> {
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).map_err(|e| format!("cannot write nginx.conf: {e}"))?;
    let mut command = Command::new("nginx");
    command
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf_path)
        .args(["-g", "daemon off;"]);
    let mut nginx = ChildGuard::spawn("nginx", command, dir).map_err(|e| e.to_string())?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    nginx.wait_for_port(addr, Duration::from_secs(10))?;
    Ok(nginx)
}

/// A plain reverse proxy, until the chart-rendered configuration lands.
fn plain_proxy_conf(dir: &Path, port: u16, upstream: SocketAddr) -> String {
    let dir = dir.display();
    let user = if running_as_root() { "user root;" } else { "" };
    format!(
        "{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/client_body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://{upstream};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }}
  }}
}}
"
    )
}
