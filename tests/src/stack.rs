//! The local stack: the Gafaelfawr stand-in, nginx configured from the
//! chart's GafaelfawrIngresses, and the Muster server with the chart's own
//! ConfigMap settings — all on loopback, started together, stopped together,
//! healthy or with one named fault. Used by the end-to-end tests and by
//! `muster-stack`, the README's run command.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::home_page::{self, HomePageFault};
use crate::ingress::{self, IngressFault, Nginx, NginxSite, TlsPort};
use crate::logs::{self, LogCapture};
use crate::process::{closed_port, free_port};
use crate::standin::{QuotaConfig, Standin, StandinConfig, StandinFault};
use crate::tls::{TestCa, TlsIdentity};

/// One deliberate misconfiguration of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// nginx rendered wrongly (see [`IngressFault`]).
    Ingress(IngressFault),
    /// The Gafaelfawr stand-in misbehaving (see [`StandinFault`]).
    Gafaelfawr(StandinFault),
    /// The home page at the host's root broken (see [`HomePageFault`]).
    HomePage(HomePageFault),
    /// Muster cannot reach Gafaelfawr's API (wrong URL or a network policy
    /// in the way), while the ingress still authenticates.
    GafaelfawrUnreachable,
    /// The secret from Vault never reached Muster's pod: the VaultSecret was
    /// not synced (or its key is missing in Vault), so the optional mount
    /// is empty.
    VaultSecretMissing,
    /// cert-manager stopped renewing: nginx serves the stack's TLS port
    /// with a certificate that expired three days ago.
    CertificateExpired,
}

/// The name of [`Fault::GafaelfawrUnreachable`].
const UNREACHABLE: &str = "gafaelfawr-unreachable";
/// The name of [`Fault::VaultSecretMissing`].
const VAULT_SECRET_MISSING: &str = "vault-secret-missing";
/// The name of [`Fault::CertificateExpired`].
const CERTIFICATE_EXPIRED: &str = "certificate-expired";

impl Fault {
    /// Every fault the stack can be started with.
    pub fn all() -> Vec<Fault> {
        let ingress = IngressFault::all().iter().copied().map(Fault::Ingress);
        let gafaelfawr = StandinFault::all().iter().copied().map(Fault::Gafaelfawr);
        let home_page = HomePageFault::all().iter().copied().map(Fault::HomePage);
        ingress
            .chain(gafaelfawr)
            .chain([
                Fault::GafaelfawrUnreachable,
                Fault::VaultSecretMissing,
                Fault::CertificateExpired,
            ])
            .chain(home_page)
            .collect()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Ingress(fault) => write!(f, "{fault}"),
            Fault::Gafaelfawr(fault) => write!(f, "{fault}"),
            Fault::HomePage(fault) => write!(f, "{fault}"),
            Fault::GafaelfawrUnreachable => f.write_str(UNREACHABLE),
            Fault::VaultSecretMissing => f.write_str(VAULT_SECRET_MISSING),
            Fault::CertificateExpired => f.write_str(CERTIFICATE_EXPIRED),
        }
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if name == UNREACHABLE {
            return Ok(Fault::GafaelfawrUnreachable);
        }
        if name == VAULT_SECRET_MISSING {
            return Ok(Fault::VaultSecretMissing);
        }
        if name == CERTIFICATE_EXPIRED {
            return Ok(Fault::CertificateExpired);
        }
        if let Ok(fault) = name.parse::<IngressFault>() {
            return Ok(Fault::Ingress(fault));
        }
        if let Ok(fault) = name.parse::<StandinFault>() {
            return Ok(Fault::Gafaelfawr(fault));
        }
        if let Ok(fault) = name.parse::<HomePageFault>() {
            return Ok(Fault::HomePage(fault));
        }
        let known: Vec<String> = Fault::all().iter().map(Fault::to_string).collect();
        Err(format!(
            "unknown fault {name:?}; known faults: {}",
            known.join(", ")
        ))
    }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// trunk's output directory.
    pub assets_dir: PathBuf,
    /// Port for nginx; `None` picks a free one.
    pub port: Option<u16>,
    /// A deliberate misconfiguration, or `None` for a healthy stack.
    pub fault: Option<Fault>,
    /// The stand-in's users, tokens and scopes.
    pub gafaelfawr: StandinConfig,
    /// Server settings that override the chart's ConfigMap (e.g. shorter
    /// Gafaelfawr timeouts in tests).
    pub server_env: Vec<(String, String)>,
    /// Render the chart as Phalanx deploys it by default: no
    /// `config.gafaelfawrUrl`, so Muster asks Repertoire's discovery (the
    /// stand-in's) for Gafaelfawr's API instead of being given its URL.
    pub discover_gafaelfawr: bool,
    /// Also write the server's log lines to standard error as they come
    /// (`muster-stack`); they are captured for [`Stack::muster_logs`]
    /// either way.
    pub echo_server_logs: bool,
    /// The certificates nginx also serves the stack with over TLS, as
    /// ingress-nginx does with the TLS secret cert-manager writes; `None`:
    /// [`StackTls::local`] (whose certificate [`Fault::CertificateExpired`]
    /// has expired).
    pub tls: Option<StackTls>,
}

/// The certificates nginx serves the stack with over TLS, each on a port
/// of its own ([`Stack::tls_url`]), and the CA that issued them. Muster's
/// public base URL (`MUSTER_BASE_URL`) is the first one's, and it trusts
/// the CA (`MUSTER_CA_FILE`), as a deployment with a private CA would.
#[derive(Debug, Clone)]
pub struct StackTls {
    /// The CA's certificate (PEM).
    pub ca_pem: String,
    /// One certificate and key per TLS port, in order.
    pub identities: Vec<TlsIdentity>,
}

impl Default for StackOptions {
    fn default() -> Self {
        let mut gafaelfawr = StandinConfig::demo();
        // Phalanx gives every user the Muster quota (`quota.default`), so
        // the bot muster-check mints has it too.
        gafaelfawr.default_quota = Some(QuotaConfig {
            api: [("muster-quota".to_owned(), 1)].into(),
            ..QuotaConfig::default()
        });
        Self {
            assets_dir: default_assets_dir(),
            port: None,
            fault: None,
            gafaelfawr,
            server_env: Vec::new(),
            discover_gafaelfawr: false,
            echo_server_logs: false,
            tls: None,
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
    nginx: Option<Nginx>,
    /// The ports of [`StackOptions::tls`]'s certificates, in order.
    tls_ports: Vec<u16>,
    server_addr: SocketAddr,
    path_prefix: String,
    standin: Option<Standin>,
    server_shutdown: Option<oneshot::Sender<()>>,
    /// The server's own runtime, so that all it logs is captured.
    server_runtime: Option<Runtime>,
    server_logs: LogCapture,
    /// The value planted as Muster's secret from Vault (random, as
    /// Phalanx generates it); under [`Fault::VaultSecretMissing`] it is
    /// never written, but still searched for.
    vault_secret: String,
    /// The socket behind the `gafaelfawr-unreachable` fault's URL.
    _refusing: Option<tokio::net::TcpSocket>,
    runtime: Option<Runtime>,
    work_dir: tempfile::TempDir,
}

/// How many ports a stack tries for nginx before giving up.
const PORT_ATTEMPTS: usize = 3;

impl Stack {
    /// Starts the stand-in, the server and nginx, in that order. Without a
    /// fixed port, a port another test took between the check and nginx's
    /// bind is retried with a new one.
    pub fn start(options: StackOptions) -> Result<Self, String> {
        if options.port.is_some() {
            return Self::start_once(&options);
        }
        let mut taken = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match Self::start_once(&options) {
                Err(error) if error.contains("Address already in use") => taken = error,
                started => return started,
            }
        }
        Err(taken)
    }

    fn start_once(options: &StackOptions) -> Result<Self, String> {
        for shell in ["index.html", "pages.html"] {
            if !options.assets_dir.join(shell).exists() {
                return Err(format!(
                    "the app is not built: no {shell} in {} (run ./dev build)",
                    options.assets_dir.display()
                ));
            }
        }
        let work_dir = tempfile::tempdir().map_err(|e| format!("no work dir: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("no tokio runtime: {e}"))?;
        let mut gafaelfawr = options.gafaelfawr.clone();
        if let Some(Fault::Gafaelfawr(fault)) = options.fault {
            gafaelfawr.fault = Some(fault);
        }
        let standin = runtime
            .block_on(Standin::start(gafaelfawr))
            .map_err(|e| format!("cannot start the Gafaelfawr stand-in: {e}"))?;
        let port = match options.port {
            Some(port) => port,
            None => free_port().map_err(|e| format!("no free port: {e}"))?,
        };
        let origin = format!("http://127.0.0.1:{port}");
        standin.set_public_origin(Some(origin.clone()));

        let mut refusing = None;
        let api_url = match options.fault {
            Some(Fault::GafaelfawrUnreachable) => {
                // Bound for the stack's lifetime but never listening: every
                // connection is refused, and no other test can take it.
                let socket = closed_port().map_err(|e| format!("no closed port: {e}"))?;
                let closed = socket
                    .local_addr()
                    .map_err(|e| format!("no closed port: {e}"))?
                    .port();
                refusing = Some(socket);
                format!("http://127.0.0.1:{closed}/auth/api/v1")
            }
            _ => format!("{}/auth/api/v1", standin.url()),
        };
        let mut values = ingress::local_stack_values(&format!("127.0.0.1:{port}"), &api_url);
        if options.discover_gafaelfawr {
            values["config"]["gafaelfawrUrl"] = serde_json::Value::Null;
            values["global"]["repertoireUrl"] = format!("{}/repertoire", standin.url()).into();
        }
        let manifest = ingress::render_chart(&values)?;
        let ingresses = ingress::parse_manifest(&manifest)?;
        refuse_unknown_scopes(&ingresses, &options.gafaelfawr)?;
        let mut server_env = configmap_data(&manifest, "muster")?;
        server_env.insert(
            "MUSTER_ASSETS_DIR".into(),
            options.assets_dir.display().to_string(),
        );
        server_env.insert("MUSTER_LOG_PROFILE".into(), "development".into());
        let vault_secret = crate::standin::Token::generate().secret;
        let vault_file = mount_vault_secret(
            &server_env,
            work_dir.path(),
            (options.fault != Some(Fault::VaultSecretMissing)).then_some(&vault_secret),
        )?;
        server_env.insert(
            "MUSTER_VAULT_SECRET_FILE".into(),
            vault_file.display().to_string(),
        );
        let tls = match &options.tls {
            Some(tls) => tls.clone(),
            None if options.fault == Some(Fault::CertificateExpired) => StackTls::local(-3)?,
            None => StackTls::local(90)?,
        };
        let tls_ports = serve_tls(&tls, work_dir.path(), &mut server_env)?;
        server_env.extend(options.server_env.iter().cloned());
        let path_prefix = server_env
            .get("MUSTER_PATH_PREFIX")
            .cloned()
            .unwrap_or_else(|| "/muster".to_owned());
        let server_logs = if options.echo_server_logs {
            LogCapture::echoing()
        } else {
            LogCapture::default()
        };
        let (server_runtime, server_addr, server_shutdown) =
            start_server(&server_env, &server_logs)?;

        let fault = match options.fault {
            Some(Fault::Ingress(fault)) => Some(fault),
            _ => None,
        };
        let home_page_fault = match options.fault {
            Some(Fault::HomePage(fault)) => Some(fault),
            _ => None,
        };
        let mut site = NginxSite::new(port, server_addr, standin.addr());
        site.home_page = home_page::nginx_location(
            home_page_fault,
            &work_dir.path().join("home"),
            ingress::MUSTER_UPSTREAM,
        )?;
        site.tls = tls_ports
            .iter()
            .enumerate()
            .map(|(index, port)| TlsPort {
                port: *port,
                certificate: tls_file(work_dir.path(), index, "crt"),
                key: tls_file(work_dir.path(), index, "key"),
            })
            .collect();
        let nginx = Nginx::start(&ingresses, &site, fault, &work_dir.path().join("nginx"))?;
        Ok(Self {
            nginx: Some(nginx),
            tls_ports,
            server_addr,
            path_prefix,
            standin: Some(standin),
            server_shutdown: Some(server_shutdown),
            server_runtime: Some(server_runtime),
            server_logs,
            vault_secret,
            _refusing: refusing,
            runtime: Some(runtime),
            work_dir,
        })
    }

    /// `http://127.0.0.1:<port>`: the stack's front door (nginx).
    pub fn url(&self) -> String {
        self.nginx.as_ref().map(Nginx::url).unwrap_or_default()
    }

    /// `https://127.0.0.1:<port>`: the stack over TLS with the `index`th
    /// certificate of [`StackOptions::tls`].
    pub fn tls_url(&self, index: usize) -> Option<String> {
        let port = self.tls_ports.get(index)?;
        Some(format!("https://127.0.0.1:{port}"))
    }

    /// The CA that issued the stack's TLS certificates (PEM), for a
    /// client's `--ca-file`.
    pub fn ca_file(&self) -> PathBuf {
        self.work_dir.path().join("tls").join("ca.crt")
    }

    /// The URL of Muster's overview page, through nginx.
    pub fn page_url(&self) -> String {
        format!("{}{}/", self.url(), self.path_prefix)
    }

    /// The link that logs the demo user in and comes back to the page.
    pub fn login_url(&self) -> String {
        format!("{}/login?rd={}", self.url(), self.page_url())
    }

    /// Muster's path prefix, from the chart's ConfigMap.
    pub fn path_prefix(&self) -> &str {
        &self.path_prefix
    }

    /// The Muster server's own address, behind nginx.
    pub fn server_addr(&self) -> SocketAddr {
        self.server_addr
    }

    /// The Gafaelfawr stand-in, to mint tokens in tests.
    pub fn gafaelfawr(&self) -> &Standin {
        self.standin
            .as_ref()
            .expect("the stand-in runs while the stack does")
    }

    /// The nginx configuration in use.
    pub fn nginx_config(&self) -> &str {
        self.nginx.as_ref().map(Nginx::config).unwrap_or_default()
    }

    /// Directory holding the stack's configuration and logs.
    pub fn work_dir(&self) -> &Path {
        self.work_dir.path()
    }

    /// The value planted as Muster's secret from Vault, for the leak checks
    /// (see [`crate::secrets`]); under [`Fault::VaultSecretMissing`] it was
    /// never written.
    pub fn vault_secret(&self) -> &str {
        &self.vault_secret
    }

    /// Everything the Muster server has logged since it started, as its
    /// configuration (`MUSTER_LOG_PROFILE`, `MUSTER_LOG_LEVEL`) formats
    /// and filters it (see [`crate::logs`]).
    pub fn muster_logs(&self) -> String {
        self.server_logs.text()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        drop(self.nginx.take());
        if let Some(shutdown) = self.server_shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.server_runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
        if let (Some(runtime), Some(standin)) = (self.runtime.as_ref(), self.standin.take()) {
            runtime.block_on(standin.stop());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// Plays the kubelet for the chart's Vault secret: the chart's
/// `MUSTER_VAULT_SECRET_FILE` path, below `work_dir`, holding `value` (or
/// missing, as an optional mount of a Secret that never arrived leaves
/// it). Returns the file's path.
fn mount_vault_secret(
    chart_env: &HashMap<String, String>,
    work_dir: &Path,
    value: Option<&String>,
) -> Result<PathBuf, String> {
    let in_pod = chart_env
        .get("MUSTER_VAULT_SECRET_FILE")
        .ok_or("the chart's ConfigMap sets no MUSTER_VAULT_SECRET_FILE")?;
    let file = work_dir.join("pod").join(in_pod.trim_start_matches('/'));
    let dir = file.parent().unwrap_or(work_dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if let Some(value) = value {
        std::fs::write(&file, value)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    Ok(file)
}

impl StackTls {
    /// One certificate for 127.0.0.1 and localhost with `days_left` to
    /// go (90 for a healthy stack), from a CA made for this stack.
    pub fn local(days_left: i64) -> Result<Self, String> {
        let ca = TestCa::new("muster stack CA").map_err(|e| format!("no test CA: {e}"))?;
        let identity = ca
            .issue_expiring(&["127.0.0.1", "localhost"], days_left)
            .map_err(|e| format!("no test certificate: {e}"))?;
        Ok(Self {
            ca_pem: ca.cert_pem().to_owned(),
            identities: vec![identity],
        })
    }
}

/// Writes the certificates of `tls` for nginx (below `work_dir`) and the
/// CA for Muster, points Muster's `MUSTER_BASE_URL` at the first one's
/// port and returns a free port for each.
fn serve_tls(
    tls: &StackTls,
    work_dir: &Path,
    server_env: &mut HashMap<String, String>,
) -> Result<Vec<u16>, String> {
    let write = |file: PathBuf, text: &str| {
        std::fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
    };
    let dir = work_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut ports = Vec::new();
    for (index, identity) in tls.identities.iter().enumerate() {
        write(tls_file(work_dir, index, "crt"), &identity.cert_pem)?;
        write(tls_file(work_dir, index, "key"), &identity.key_pem)?;
        ports.push(free_port().map_err(|e| format!("no free port: {e}"))?);
    }
    let ca = dir.join("ca.crt");
    write(ca.clone(), &tls.ca_pem)?;
    server_env.insert("MUSTER_CA_FILE".into(), ca.display().to_string());
    if let Some(port) = ports.first() {
        server_env.insert(
            "MUSTER_BASE_URL".into(),
            format!("https://127.0.0.1:{port}"),
        );
    }
    Ok(ports)
}

/// Where the `index`th TLS certificate (`crt`) or key (`key`) is written.
fn tls_file(work_dir: &Path, index: usize, kind: &str) -> PathBuf {
    work_dir.join("tls").join(format!("{index}.{kind}"))
}

/// The `data` of the ConfigMap called `name` in a rendered manifest.
fn configmap_data(manifest: &str, name: &str) -> Result<HashMap<String, String>, String> {
    for document in yaml_serde::Deserializer::from_str(manifest) {
        let value: yaml_serde::Value = serde::Deserialize::deserialize(document)
            .map_err(|e| format!("the rendered chart is not YAML: {e}"))?;
        if value["kind"].as_str() == Some("ConfigMap")
            && value["metadata"]["name"].as_str() == Some(name)
        {
            return yaml_serde::from_value(value["data"].clone())
                .map_err(|e| format!("ConfigMap {name} has non-string data: {e}"));
        }
    }
    Err(format!("the rendered chart has no ConfigMap {name}"))
}

/// Starts the server configured by `env` on a runtime of its own, every
/// line it logs (start-up included) going to `logs` in its configured
/// format.
/// Gafaelfawr's operator refuses a `GafaelfawrIngress` naming a scope that
/// is not one of its `knownScopes` (docs/gafaelfawr-contract.md), so the stack does too,
/// instead of serving routes a real deployment would not have.
fn refuse_unknown_scopes(
    ingresses: &[ingress::GafaelfawrIngress],
    gafaelfawr: &StandinConfig,
) -> Result<(), String> {
    for ingress in ingresses {
        if let Some(scope) = ingress
            .scopes_named()
            .into_iter()
            .find(|scope| !gafaelfawr.known_scopes.contains_key(*scope))
        {
            return Err(format!(
                "GafaelfawrIngress {} names scope {scope:?}, which is not one of \
                 Gafaelfawr's knownScopes: its operator would refuse it",
                ingress.name
            ));
        }
    }
    Ok(())
}

fn start_server(
    env: &HashMap<String, String>,
    logs: &LogCapture,
) -> Result<(Runtime, SocketAddr, oneshot::Sender<()>), String> {
    let config = muster_server::config::Config::from_vars(env).map_err(|e| e.to_string())?;
    let dispatch =
        tracing::Dispatch::new(muster_server::logging::subscriber(&config, logs.clone()));
    let runtime = logs::runtime_logging_to(dispatch.clone(), 2)
        .map_err(|e| format!("no tokio runtime for the server: {e}"))?;
    let (addr, shutdown) = tracing::dispatcher::with_default(&dispatch, || {
        runtime.block_on(serve_on_this_runtime(config))
    })?;
    Ok((runtime, addr, shutdown))
}

async fn serve_on_this_runtime(
    config: muster_server::config::Config,
) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
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
