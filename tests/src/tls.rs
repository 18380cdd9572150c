//! TLS for the stack and its stand-ins: a certificate authority made for
//! one test, the server certificates it issues (valid, expiring or expired),
//! self-signed ones, and a listener that serves axum over rustls with one
//! of them (nginx serves the stack's own, see [`crate::stack::StackTls`]). Nothing here is trusted outside the
//! test that made it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// How long one client may take to finish its TLS handshake before the
/// listener gives up on it and accepts the next.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// A server certificate chain and its private key, in PEM.
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// The server certificate (then any intermediates).
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
}

/// A certificate authority generated for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
}

impl TestCa {
    /// A new CA named `name`.
    pub fn new(name: &str) -> Result<Self, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA's certificate, for a client to trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn issue(&self, names: &[&str]) -> Result<TlsIdentity, rcgen::Error> {
        let key = KeyPair::generate()?;
        let cert = server_params(names)?.signed_by(&key, &self.issuer)?;
        Ok(TlsIdentity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// A server certificate for `names` with `days_left` whole days (and an
    /// hour) to go before it expires, valid since 60 days ago (or 60 days
    /// before it expired); negative: expired that many days ago.
    pub fn issue_expiring(
        &self,
        names: &[&str],
        days_left: i64,
    ) -> Result<TlsIdentity, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params = server_params(names)?;
        let not_after = days_from_now(days_left) + Duration::from_secs(60 * 60);
        params.not_after = not_after.into();
        params.not_before =
            (not_after.min(SystemTime::now()) - Duration::from_secs(60 * DAY_SECONDS)).into();
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(TlsIdentity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

const DAY_SECONDS: u64 = 24 * 60 * 60;

/// Now plus (or minus) `days`.
fn days_from_now(days: i64) -> SystemTime {
    let span = Duration::from_secs(days.unsigned_abs() * DAY_SECONDS);
    if days >= 0 {
        SystemTime::now() + span
    } else {
        SystemTime::now() - span
    }
}

fn server_params(names: &[&str]) -> Result<CertificateParams, rcgen::Error> {
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut params = CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "muster test server");
    Ok(params)
}

/// A certificate for `names` that issued itself: no CA vouches for it.
pub fn self_signed(names: &[&str]) -> Result<TlsIdentity, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert = server_params(names)?.self_signed(&key)?;
    Ok(TlsIdentity {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A TCP listener that completes a TLS handshake before handing a
/// connection to axum; clients that fail or stall the handshake are
/// dropped.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl TlsListener {
    /// Serves `identity` on `tcp`.
    pub fn new(tcp: TcpListener, identity: &TlsIdentity) -> io::Result<Self> {
        let invalid = |error: &dyn std::fmt::Display| {
            io::Error::new(io::ErrorKind::InvalidInput, error.to_string())
        };
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| invalid(&e))?;
        let key =
            PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).map_err(|e| invalid(&e))?;
        let config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| invalid(&e))?;
        Ok(Self {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, addr) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                // Out of descriptors or similar: let other tasks run, then
                // try again (the test is bounded by its own timeout).
                Err(_) => {
                    tokio::task::yield_now().await;
                    continue;
                }
            };
            if let Ok(Ok(tls)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(tcp)).await
            {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
