//! The certificate of the environment's public base URL
//! (`MUSTER_BASE_URL`, Phalanx's `global.baseUrl`) as the reports state it,
//! and the extended answers that carry it. The host comes only from the
//! configuration, never from a request, so a client cannot make Muster
//! connect anywhere. A reading is kept for [`FRESH_FOR`], so that reports
//! asked often cost one handshake every few minutes; concurrent reports
//! wait for the one reading in progress rather than each making their own.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use muster_report::tls_certificate::CertificateState;
use muster_report::Check;
use muster_tls::RootCertStore;
use serde::Serialize;
use tokio::sync::Mutex;

/// How long a reading stands before the next report reads again.
pub const FRESH_FOR: Duration = Duration::from_secs(5 * 60);

/// The longest a reading may take, connection and handshake together; a
/// report waits for it at most this long.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads and keeps the base URL's certificate.
pub struct CertificateCheck {
    base_url: Option<String>,
    roots: Arc<RootCertStore>,
    kept: Mutex<Option<(Instant, CertificateState)>>,
}

impl CertificateCheck {
    /// A check of `base_url` trusting the built-in and system roots, and
    /// those of `ca_file` when given (read now: an unreadable or empty file
    /// stops the server at start-up with its name).
    pub fn new(base_url: Option<String>, ca_file: Option<&Path>) -> Result<Self, String> {
        let pem = match ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|error| {
                format!("MUSTER_CA_FILE: cannot read {}: {error}", path.display())
            })?),
            None => None,
        };
        let name = ca_file.map(|path| format!("MUSTER_CA_FILE {}", path.display()));
        let roots = muster_tls::roots(name.as_deref().zip(pem.as_deref()))
            .map_err(|error| error.to_string())?;
        Ok(Self {
            base_url,
            roots,
            kept: Mutex::new(None),
        })
    }

    /// The certificate's state now: the kept reading while fresh (its days
    /// left brought up to date), else a new one.
    pub async fn state(&self) -> CertificateState {
        let Some(base_url) = &self.base_url else {
            return CertificateState::NotConfigured;
        };
        let mut kept = self.kept.lock().await;
        if let Some((read_at, state)) = kept.as_ref() {
            let age = read_at.elapsed();
            if age < FRESH_FOR {
                return aged(state.clone(), age);
            }
        }
        let state = muster_tls::inspect(base_url, self.roots.clone(), HANDSHAKE_TIMEOUT).await;
        *kept = Some((Instant::now(), state.clone()));
        state
    }
}

/// `state` as it stands `age` after it was read.
fn aged(mut state: CertificateState, age: Duration) -> CertificateState {
    if let CertificateState::Presented(presented) = &mut state {
        let age = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
        presented.seconds_left = presented.seconds_left.saturating_sub(age);
    }
    state
}

/// One of Muster's extended answers with the certificate's state beside
/// its own fields.
#[derive(Debug, Serialize)]
pub struct WithCertificate<'a, T: Serialize> {
    /// The answer itself, its fields first.
    #[serde(flatten)]
    pub answer: &'a T,
    /// The state, under `muster_report::tls_certificate::FIELD`.
    pub tls_certificate: CertificateState,
    /// Its row as the page shows it, under
    /// `muster_report::tls_certificate::CHECK_FIELD`.
    pub tls_certificate_check: Option<Check>,
}

impl<'a, T: Serialize> WithCertificate<'a, T> {
    /// `answer` with `state` and its row.
    pub fn new(answer: &'a T, state: CertificateState) -> Self {
        Self {
            answer,
            tls_certificate_check: muster_report::probe::certificate_row(&state),
            tls_certificate: state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_base_url_the_reports_say_so_and_http_is_not_read() {
        let check = CertificateCheck::new(None, None).unwrap();
        assert_eq!(check.state().await, CertificateState::NotConfigured);
        let check = CertificateCheck::new(Some("http://127.0.0.1:9".into()), None).unwrap();
        assert_eq!(
            check.state().await,
            CertificateState::NotHttps {
                base_url: "http://127.0.0.1:9".into()
            }
        );
    }

    #[test]
    fn an_unreadable_ca_file_is_named() {
        let error = CertificateCheck::new(None, Some(Path::new("/nonexistent/ca.crt")))
            .err()
            .unwrap();
        assert!(error.contains("MUSTER_CA_FILE"), "{error}");
        assert!(error.contains("/nonexistent/ca.crt"), "{error}");
    }

    #[test]
    fn a_kept_reading_counts_down() {
        let state = CertificateState::Presented(muster_report::tls_certificate::Presented {
            host: "h:443".into(),
            issuer: "CN=ca".into(),
            subject_names: vec!["h".into()],
            not_after: "2027-01-01 00:00 UTC".into(),
            seconds_left: 1000,
            trusted: true,
            trust_problem: None,
            names_host: true,
        });
        let CertificateState::Presented(presented) = aged(state, Duration::from_secs(100)) else {
            unreachable!();
        };
        assert_eq!(presented.seconds_left, 900);
    }
}
