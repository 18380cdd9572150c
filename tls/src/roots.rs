//! The certificate authorities a reading trusts: Mozilla's list built in
//! (Muster's image has no system store), the system's when there is one,
//! and the ones in a PEM file the caller names (a private CA, or a test's).

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_rustls::rustls::RootCertStore;

/// A CA file that cannot serve as roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootsError(String);

impl std::fmt::Display for RootsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RootsError {}

/// The roots to verify with, adding the certificates of `ca_pem` (the
/// contents of a PEM file named `ca_name` in errors) when given. A file
/// without a usable certificate is an error rather than silently no roots.
pub fn roots(ca: Option<(&str, &[u8])>) -> Result<Arc<RootCertStore>, RootsError> {
    let mut store = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    // Unreadable system certificates are skipped: the built-in list and
    // the CA file still stand.
    let system = rustls_native_certs::load_native_certs();
    let _ = store.add_parsable_certificates(system.certs);
    if let Some((name, pem)) = ca {
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|error| RootsError(format!("{name} is not PEM: {error}")))?;
        let (added, _) = store.add_parsable_certificates(certificates);
        if added == 0 {
            return Err(RootsError(format!(
                "{name} holds no CA certificate (expected PEM `BEGIN CERTIFICATE` blocks)"
            )));
        }
    }
    Ok(Arc::new(store))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_by_name() {
        let error = roots(Some(("ca.pem", b"not a certificate"))).unwrap_err();
        assert!(error.to_string().contains("ca.pem"), "{error}");
        assert!(roots(None).unwrap().len() > 50);
    }
}
