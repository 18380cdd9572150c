//! One TLS handshake with the host of a base URL. The handshake accepts
//! whatever certificate the host presents — it is recorded, not trusted:
//! nothing is sent over the connection, which is closed at once — and the
//! chain is then verified apart, at a time within its validity, so that
//! an expired certificate still says whether it is trusted and names the
//! host.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use muster_report::tls_certificate::{CertificateState, Presented};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::{verify_server_name, WebPkiServerVerifier};
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::time::utc_minute;

/// Reads the certificate of `base_url`'s host: [`CertificateState::NotHttps`]
/// for an `http://` URL, else one handshake (TCP connect and TLS, within
/// `timeout` together) whose certificate is verified against `roots`.
pub async fn inspect(
    base_url: &str,
    roots: Arc<RootCertStore>,
    timeout: Duration,
) -> CertificateState {
    let (host, port) = match https_host(base_url) {
        Ok(Some(target)) => target,
        Ok(None) => {
            return CertificateState::NotHttps {
                base_url: base_url.to_owned(),
            }
        }
        Err(error) => {
            return CertificateState::Unreachable {
                host: base_url.to_owned(),
                error,
            }
        }
    };
    let shown = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => format!("[{host}]:{port}"),
        _ => format!("{host}:{port}"),
    };
    match read(&host, port, roots, timeout).await {
        Ok(presented) => CertificateState::Presented(Presented {
            host: shown,
            ..presented
        }),
        Err(error) => CertificateState::Unreachable { host: shown, error },
    }
}

/// The host and port of an `https://` URL; `None` for `http://`.
fn https_host(base_url: &str) -> Result<Option<(String, u16)>, String> {
    let uri: http::Uri = base_url
        .parse()
        .map_err(|error| format!("{base_url} is not a URL: {error}"))?;
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        Some("http") => return Ok(None),
        _ => return Err(format!("{base_url} is not an http(s) URL")),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| format!("{base_url} names no host"))?;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    Ok(Some((
        host.to_owned(),
        authority.port_u16().unwrap_or(default_port),
    )))
}

async fn read(
    host: &str,
    port: u16,
    roots: Arc<RootCertStore>,
    timeout: Duration,
) -> Result<Presented, String> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|error| format!("{host} is not a host name: {error}"))?;
    let provider = Arc::new(ring::default_provider());
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|error| format!("no roots to verify with: {error}"))?;
    let recorder = Arc::new(Recorder {
        verifier: verifier.clone(),
        chain: Mutex::new(Vec::new()),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let handshake = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        TlsConnector::from(Arc::new(config))
            .connect(name.clone(), tcp)
            .await
            .map_err(|error| format!("TLS handshake failed: {error}"))
    };
    let stream = tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| format!("no TLS handshake within {} s", timeout.as_secs_f32()))??;
    drop(stream);
    let chain = recorder
        .chain
        .lock()
        .map_err(|_| "the certificate was lost".to_owned())?
        .clone();
    let (leaf, intermediates) = chain
        .split_first()
        .ok_or_else(|| "the host presented no certificate".to_owned())?;
    judge_apart(leaf, intermediates, &name, &verifier)
}

/// The facts of `leaf`: read with x509-parser, verified with `verifier`
/// at a time within its validity (expiry is judged from the dates).
fn judge_apart(
    leaf: &CertificateDer<'static>,
    intermediates: &[CertificateDer<'static>],
    name: &ServerName<'static>,
    verifier: &WebPkiServerVerifier,
) -> Result<Presented, String> {
    let (_, cert) = X509Certificate::from_der(leaf)
        .map_err(|error| format!("the host's certificate cannot be read: {error}"))?;
    let not_after = cert.validity().not_after.timestamp();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        });
    let at = if now >= not_after { not_after - 1 } else { now };
    let at = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(at).unwrap_or(0)));
    let self_signed = cert.issuer() == cert.subject();
    let (trusted, trust_problem, names_host) =
        match verifier.verify_server_cert(leaf, intermediates, name, &[], at) {
            Ok(_) => (true, None, true),
            // The chain is verified before the name: it is trusted.
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => (true, None, false),
            Err(error) => {
                let names_host = ParsedCertificate::try_from(leaf)
                    .is_ok_and(|parsed| verify_server_name(&parsed, name).is_ok());
                (false, Some(untrusted(&error, self_signed)), names_host)
            }
        };
    Ok(Presented {
        host: String::new(),
        issuer: cert.issuer().to_string(),
        subject_names: subject_names(&cert),
        not_after: utc_minute(not_after),
        seconds_left: not_after.saturating_sub(now),
        trusted,
        trust_problem,
        names_host,
    })
}

/// Why a chain is not trusted, in words.
fn untrusted(error: &Error, self_signed: bool) -> String {
    match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) if self_signed => {
            "self-signed: it issued itself, and is not a trusted root".to_owned()
        }
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "issued by an authority that is not trusted".to_owned()
        }
        Error::InvalidCertificate(CertificateError::NotValidYet) => "not valid yet".to_owned(),
        Error::InvalidCertificate(CertificateError::Expired) => {
            "a certificate of its chain has expired".to_owned()
        }
        other => other.to_string(),
    }
}

/// The DNS names and addresses the certificate is for; its common name
/// when it lists none.
fn subject_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(Some(extension)) = cert.subject_alternative_name() {
        for name in &extension.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(octets) = <[u8; 4]>::try_from(*bytes) {
                        names.push(IpAddr::from(octets).to_string());
                    } else if let Ok(octets) = <[u8; 16]>::try_from(*bytes) {
                        names.push(IpAddr::from(octets).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    if names.is_empty() {
        names.extend(
            cert.subject()
                .iter_common_name()
                .filter_map(|name| name.as_str().ok().map(str::to_owned)),
        );
    }
    names
}

/// Accepts any certificate in the handshake and keeps the chain, so that
/// its faults can be named afterwards; handshake signatures are still
/// checked, with the certificate's own key.
#[derive(Debug)]
struct Recorder {
    verifier: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|cert| cert.clone().into_owned())
            .collect();
        if let Ok(mut kept) = self.chain.lock() {
            *kept = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.verifier.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.verifier.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.verifier.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_have_a_host_to_read() {
        assert_eq!(https_host("http://127.0.0.1:8080/muster"), Ok(None));
        assert_eq!(
            https_host("https://data.example.org"),
            Ok(Some(("data.example.org".to_owned(), 443)))
        );
        assert_eq!(
            https_host("https://[::1]:8443/muster"),
            Ok(Some(("::1".to_owned(), 8443)))
        );
        assert!(https_host("ftp://h").is_err());
        assert!(https_host("not a url").is_err());
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_naming_the_host() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let state = inspect(
            &format!("https://127.0.0.1:{port}/muster"),
            crate::roots(None).unwrap(),
            Duration::from_secs(2),
        )
        .await;
        let CertificateState::Unreachable { host, error } = state else {
            panic!("{state:?}");
        };
        assert_eq!(host, format!("127.0.0.1:{port}"));
        assert!(error.contains("cannot connect"), "{error}");
    }
}
