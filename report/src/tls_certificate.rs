//! The certificate the host serving Muster presents (cert-manager issues
//! it into the ingress's TLS secret), and its one judgement. The facts come
//! from two readers: Muster's server reads the certificate of its
//! configured public base URL and writes them into its extended answers
//! under [`FIELD`], with their judgement as a check under [`CHECK_FIELD`],
//! which the page shows; `muster-check` reads the certificate of the URL
//! it checks itself. Both end in [`judge`], so the thresholds and words are
//! the same on the page and in the CLI — and the page's wasm carries none
//! of them. The facts are public: what any client of the host sees in its
//! handshake.

use serde::Serialize;

use crate::model::{Component, Status};
use crate::outcome::Outcome;

/// The field of the server's reports that holds a [`CertificateState`].
pub const FIELD: &str = "tls_certificate";

/// The field of the server's reports that holds the [`check`] of it.
pub const CHECK_FIELD: &str = "tls_certificate_check";

/// Fewer days left than this warns: cert-manager renews a certificate a
/// third of its lifetime before it expires (30 days for Let's Encrypt's
/// 90), so a certificate this close to its end is one renewal missed.
pub const WARN_DAYS: i64 = 30;

/// Fewer days left than this fails: a week is too little to notice and
/// fix a renewal that keeps failing.
pub const FAIL_DAYS: i64 = 7;

const DAY: i64 = 24 * 60 * 60;

/// What reading the certificate found; written as an object whose `state`
/// is the variant's snake_case name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CertificateState {
    /// The handshake completed and the host's certificate was read.
    Presented(Presented),
    /// No TLS handshake completed with the host (refused, timed out, not
    /// TLS).
    Unreachable {
        /// `host:port`.
        host: String,
        /// What went wrong, in words.
        error: String,
    },
    /// The base URL is plain `http://`: there is no certificate.
    NotHttps {
        /// The base URL.
        base_url: String,
    },
    /// The server was not told its public base URL (`MUSTER_BASE_URL`).
    NotConfigured,
}

/// The facts of a certificate read in a handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Presented {
    /// `host:port` the handshake was made with.
    pub host: String,
    /// The issuer of the host's certificate, as its distinguished name.
    pub issuer: String,
    /// The names it is valid for (DNS names and addresses; the common name
    /// when it has none).
    pub subject_names: Vec<String>,
    /// When it expires, e.g. `2027-01-05 12:00 UTC`.
    pub not_after: String,
    /// Seconds from the reading to the expiry; negative once expired.
    pub seconds_left: i64,
    /// Its chain leads to a trusted root (expiry aside, judged apart).
    pub trusted: bool,
    /// Why it is not trusted, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_problem: Option<String>,
    /// It is valid for the host name asked for.
    pub names_host: bool,
}

/// The id of the probe that judges the certificate.
pub const PROBE_ID: &str = "tls.certificate";

/// Why a client that read a failing certificate itself sends nothing else
/// to the host: no answer over that connection could be trusted.
pub const BLOCKED: &str =
    "Not checked: the host's certificate fails (see its row), so no request to it was sent.";

/// True when a client's own reading shows a host that presents a failing
/// certificate: it then sends no request there (the probes' own
/// `blocked_by_certificate`).
pub fn blocks_requests(state: &CertificateState) -> bool {
    matches!(state, CertificateState::Presented(_)) && judge(state).status == Status::Fail
}

const RENEWAL_HINT: &str =
    "cert-manager is not renewing it: see `kubectl describe certificate` in the ingress's \
     namespace, its CertificateRequest and Order, and the Issuer's or ClusterIssuer's status \
     (e.g. its ACME DNS-01 credentials).";

/// The verdict on `state`: pass when the certificate is trusted, names the
/// host and has at least [`WARN_DAYS`] left; warn below that; fail below
/// [`FAIL_DAYS`], when expired, untrusted, for another name, or when no
/// handshake completed. A plain-HTTP base URL is skipped (nothing to
/// check); a server that does not say warns, its configuration to fix.
pub fn judge(state: &CertificateState) -> Outcome {
    let presented = match state {
        CertificateState::Presented(presented) => presented,
        CertificateState::Unreachable { host, error } => {
            return Outcome::fail(format!("No TLS handshake with {host}: {error}."))
                .evidence("host", host.clone())
                .fix(
                    Component::IngressNginx,
                    "Check that the host resolves to ingress-nginx and that it serves HTTPS \
                     with the ingress's TLS secret.",
                )
        }
        CertificateState::NotHttps { base_url } => {
            return Outcome::skip(format!(
                "The base URL {base_url} is plain HTTP: there is no certificate to check."
            ))
        }
        CertificateState::NotConfigured => {
            return Outcome::warn("Muster was not told its public base URL.").fix(
                Component::MusterConfiguration,
                "Deploy a current Muster with its chart (MUSTER_BASE_URL, from global.baseUrl).",
            )
        }
    };
    let days = presented.seconds_left.div_euclid(DAY);
    let host_name = presented
        .host
        .rsplit_once(':')
        .map_or(presented.host.as_str(), |(name, _)| name);
    let mut problems = Vec::new();
    let mut fix = None;
    if !presented.trusted {
        problems.push(format!(
            "it is not trusted ({})",
            presented
                .trust_problem
                .as_deref()
                .unwrap_or("unknown issuer")
        ));
        fix = Some(
            "Point the Certificate's issuerRef at a ClusterIssuer (or Issuer) that is Ready and \
             issues publicly trusted certificates, and serve the TLS secret it writes.",
        );
    }
    if !presented.names_host {
        problems.push(format!("it is not valid for {host_name}"));
        fix = fix.or(Some(
            "Add the host to the Certificate's dnsNames (or the Ingress's tls.hosts) so that \
             cert-manager reissues the ingress's TLS secret for it.",
        ));
    }
    if presented.seconds_left <= 0 {
        problems.push(format!("it expired on {}", presented.not_after));
    } else if days < FAIL_DAYS {
        problems.push(format!("it expires in {days} days"));
    }
    let expiry = presented.not_after.to_string();
    let outcome = if !problems.is_empty() {
        let outcome = Outcome::fail(format!("The certificate fails: {}.", problems.join("; ")));
        outcome.fix(Component::CertManager, fix.unwrap_or(RENEWAL_HINT))
    } else if days < WARN_DAYS {
        Outcome::warn(format!(
            "It expires in {days} days, within the {WARN_DAYS} days before expiry when \
             cert-manager renews it: renewal is failing."
        ))
        .fix(Component::CertManager, RENEWAL_HINT)
    } else {
        Outcome::pass(format!("Trusted, valid for {host_name}, {days} days left."))
    };
    outcome
        .evidence("host", presented.host.clone())
        .evidence("issuer", presented.issuer.clone())
        .evidence("subject names", presented.subject_names.join(", "))
        .evidence("expires", expiry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presented(days_left: i64) -> Presented {
        Presented {
            host: "data.example.org:443".into(),
            issuer: "CN=R11, O=Let's Encrypt, C=US".into(),
            subject_names: vec!["data.example.org".into()],
            not_after: "2027-01-05 12:00 UTC".into(),
            seconds_left: days_left * DAY + 60,
            trusted: true,
            trust_problem: None,
            names_host: true,
        }
    }

    fn status(presented: Presented) -> Status {
        judge(&CertificateState::Presented(presented)).status
    }

    #[test]
    fn the_days_left_decide_between_pass_warn_and_fail() {
        assert_eq!(status(presented(60)), Status::Pass);
        assert_eq!(status(presented(WARN_DAYS)), Status::Pass);
        assert_eq!(status(presented(WARN_DAYS - 1)), Status::Warn);
        assert_eq!(status(presented(FAIL_DAYS)), Status::Warn);
        assert_eq!(status(presented(FAIL_DAYS - 1)), Status::Fail);
        let mut expired = presented(0);
        expired.seconds_left = -5;
        let outcome = judge(&CertificateState::Presented(expired));
        assert_eq!(outcome.status, Status::Fail);
        assert!(
            outcome.observed.contains("expired on 2027-01-05"),
            "{outcome:?}"
        );
    }

    #[test]
    fn an_untrusted_or_misnamed_certificate_fails_whatever_its_expiry() {
        let mut untrusted = presented(80);
        untrusted.trusted = false;
        untrusted.trust_problem = Some("issued by an unknown authority".into());
        let outcome = judge(&CertificateState::Presented(untrusted));
        assert_eq!(outcome.status, Status::Fail);
        assert!(
            outcome.observed.contains("unknown authority"),
            "{outcome:?}"
        );
        assert!(outcome.fix.unwrap().hint.contains("ClusterIssuer"));
        let mut misnamed = presented(80);
        misnamed.names_host = false;
        let outcome = judge(&CertificateState::Presented(misnamed));
        assert_eq!(outcome.status, Status::Fail);
        assert!(outcome.observed.contains("not valid for data.example.org"));
        assert!(outcome.fix.unwrap().hint.contains("dnsNames"));
    }

    #[test]
    fn the_evidence_names_issuer_names_and_expiry() {
        let outcome = judge(&CertificateState::Presented(presented(45)));
        let shown: Vec<String> = outcome
            .evidence
            .iter()
            .map(|evidence| format!("{}={}", evidence.name, evidence.value))
            .collect();
        assert!(shown.contains(&"issuer=CN=R11, O=Let's Encrypt, C=US".to_owned()));
        assert!(shown.contains(&"subject names=data.example.org".to_owned()));
        assert!(shown.contains(&"expires=2027-01-05 12:00 UTC".to_owned()));
    }

    #[test]
    fn the_server_writes_the_facts() {
        let state = CertificateState::Presented(presented(50));
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["state"], "presented");
        assert_eq!(json["seconds_left"], 50 * DAY + 60);
        assert!(json.get("trust_problem").is_none(), "{json}");
        let not_https = serde_json::to_value(CertificateState::NotHttps {
            base_url: "http://h".into(),
        })
        .unwrap();
        assert_eq!(
            not_https,
            serde_json::json!({"state": "not_https", "base_url": "http://h"})
        );
    }

    #[test]
    fn only_a_failing_certificate_blocks_the_requests() {
        assert!(!blocks_requests(&CertificateState::Presented(presented(
            20
        ))));
        assert!(blocks_requests(&CertificateState::Presented(presented(2))));
        let unreachable = CertificateState::Unreachable {
            host: "h:443".into(),
            error: "refused".into(),
        };
        assert!(!blocks_requests(&unreachable));
    }

    #[test]
    fn plain_http_is_skipped_and_an_unconfigured_server_warns() {
        let http = CertificateState::NotHttps {
            base_url: "http://127.0.0.1:8080".into(),
        };
        assert_eq!(judge(&http).status, Status::Skip);
        let outcome = judge(&CertificateState::NotConfigured);
        assert_eq!(outcome.status, Status::Warn);
        assert!(outcome.fix.unwrap().hint.contains("MUSTER_BASE_URL"));
    }
}
