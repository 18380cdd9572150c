//! Running nginx with a configuration rendered from the ingresses: checked
//! with `nginx -t` first, started in its own process group, stopped on drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::fault::IngressFault;
use super::model::GafaelfawrIngress;
use super::nginx_conf::{render_nginx_conf, NginxSite};
use crate::process::ChildGuard;

/// Debian's nginx; `nginx` on `PATH` is used when it is elsewhere.
const NGINX_BINARY: &str = "/usr/sbin/nginx";
/// How long nginx gets to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A running nginx in front of the backend and Gafaelfawr of an [`NginxSite`].
#[derive(Debug)]
pub struct Nginx {
    child: ChildGuard,
    port: u16,
    work_dir: PathBuf,
    config: String,
}

impl Nginx {
    /// Renders the configuration for `ingresses` (with `fault`, if any) into
    /// `<work_dir>/nginx.conf`, checks it with `nginx -t`, starts nginx and
    /// waits until it listens. Errors carry nginx's own output.
    pub fn start(
        ingresses: &[GafaelfawrIngress],
        site: &NginxSite,
        fault: Option<IngressFault>,
        work_dir: &Path,
    ) -> Result<Nginx, String> {
        std::fs::create_dir_all(work_dir)
            .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;
        let config = render_nginx_conf(ingresses, site, fault, work_dir)?;
        let conf_path = work_dir.join("nginx.conf");
        std::fs::write(&conf_path, &config)
            .map_err(|error| format!("cannot write {}: {error}", conf_path.display()))?;

        let test = nginx_command(work_dir, &conf_path, &["-t", "-q"])
            .output()
            .map_err(|error| {
                format!(
                    "cannot run nginx ({}): {error}; install Debian's nginx-light",
                    binary()
                )
            })?;
        if !test.status.success() {
            return Err(format!(
                "nginx -t rejected {} ({}):\n{}{}",
                conf_path.display(),
                test.status,
                String::from_utf8_lossy(&test.stdout),
                String::from_utf8_lossy(&test.stderr)
            ));
        }

        let mut child =
            ChildGuard::spawn("nginx", nginx_command(work_dir, &conf_path, &[]), work_dir)
                .map_err(|error| error.to_string())?;
        let addr = SocketAddr::from(([127, 0, 0, 1], site.port));
        child.wait_for_port(addr, START_TIMEOUT).map_err(|error| {
            let log = std::fs::read_to_string(work_dir.join("error.log")).unwrap_or_default();
            format!("{error}\nnginx error.log:\n{log}")
        })?;
        Ok(Nginx {
            child,
            port: site.port,
            work_dir: work_dir.to_owned(),
            config,
        })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port nginx listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The configuration nginx runs with.
    pub fn config(&self) -> &str {
        &self.config
    }

    /// nginx's error log so far, for failure messages.
    pub fn error_log(&self) -> String {
        let log = std::fs::read_to_string(self.work_dir.join("error.log")).unwrap_or_default();
        format!("{log}{}", self.child.log_text())
    }
}

fn binary() -> &'static str {
    if Path::new(NGINX_BINARY).exists() {
        NGINX_BINARY
    } else {
        "nginx"
    }
}

fn nginx_command(work_dir: &Path, conf: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command
        .args(extra)
        .arg("-p")
        .arg(work_dir)
        .arg("-e")
        .arg(work_dir.join("error.log"))
        .arg("-c")
        .arg(conf)
        .args(["-g", "daemon off;"]);
    command
}
