//! The parts of a Phalanx platform a deployer recognises, in the order a
//! request meets them, and which part each [`Component`] belongs to. The
//! page, the CLI's checklist and JUnit group their rows by these parts, so
//! that a reader sees *where* the platform is broken before reading why.

use crate::model::{Check, Component};
use crate::probe::catalogue::outline;
use crate::received::catalogue::server_component;

/// One part of the platform, a group of rows with one heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlatformPart {
    /// The certificate the host presents (cert-manager).
    CertManager,
    /// ingress-nginx, with the ingress a `GafaelfawrIngress` generates.
    IngressNginx,
    /// Gafaelfawr: authentication, tokens, scopes and quotas.
    Gafaelfawr,
    /// The user directory behind Gafaelfawr.
    UserDirectory,
    /// Vault secrets reaching a pod through vault-secrets-operator.
    Vault,
    /// The environment's home page.
    HomePage,
    /// Argo CD and the applications it deploys.
    ArgoCd,
    /// Muster itself: its configuration, its NetworkPolicy, its discovery.
    Muster,
}

impl PlatformPart {
    /// Every part, in the order a request meets them (and headings show).
    pub const ALL: [PlatformPart; 8] = [
        PlatformPart::CertManager,
        PlatformPart::IngressNginx,
        PlatformPart::Gafaelfawr,
        PlatformPart::UserDirectory,
        PlatformPart::Vault,
        PlatformPart::HomePage,
        PlatformPart::ArgoCd,
        PlatformPart::Muster,
    ];

    /// The part a component belongs to.
    pub fn of(component: Component) -> Self {
        match component {
            Component::CertManager => PlatformPart::CertManager,
            Component::IngressNginx | Component::GafaelfawrIngress => PlatformPart::IngressNginx,
            Component::Gafaelfawr | Component::UserAccount => PlatformPart::Gafaelfawr,
            Component::UserDirectory => PlatformPart::UserDirectory,
            Component::VaultSecrets => PlatformPart::Vault,
            Component::HomePage => PlatformPart::HomePage,
            Component::ArgoCd => PlatformPart::ArgoCd,
            Component::MusterConfiguration | Component::NetworkPolicy | Component::Repertoire => {
                PlatformPart::Muster
            }
        }
    }

    /// The part a row of a run belongs to: its probe's, an Argo CD
    /// application's, or, for a check this catalogue does not know (a
    /// share link from another version), the part of the component its fix
    /// names; Muster's own when it names none. It reads the probes'
    /// outlines, so that the share-link page links no judge.
    pub fn of_check(check: &Check) -> Self {
        if let Some(probe) = outline(&check.id) {
            return PlatformPart::of(probe.description.component);
        }
        if crate::argocd::is_row(&check.id) {
            return PlatformPart::ArgoCd;
        }
        check
            .fix
            .as_ref()
            .map_or(PlatformPart::Muster, |fix| PlatformPart::of(fix.component))
    }

    /// The part a check of Muster's server (a route report's row) belongs
    /// to; Muster's own for an id the server's catalogue does not know.
    pub fn of_server_check(id: &str) -> Self {
        server_component(id).map_or(PlatformPart::Muster, PlatformPart::of)
    }

    /// A stable snake_case word, for ids, anchors and JUnit.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformPart::CertManager => "cert_manager",
            PlatformPart::IngressNginx => "ingress_nginx",
            PlatformPart::Gafaelfawr => "gafaelfawr",
            PlatformPart::UserDirectory => "user_directory",
            PlatformPart::Vault => "vault",
            PlatformPart::HomePage => "home_page",
            PlatformPart::ArgoCd => "argo_cd",
            PlatformPart::Muster => "muster",
        }
    }

    /// The heading a deployer knows the part by.
    pub fn heading(self) -> &'static str {
        match self {
            PlatformPart::CertManager => "TLS certificate (cert-manager)",
            PlatformPart::IngressNginx => "ingress-nginx",
            PlatformPart::Gafaelfawr => "Gafaelfawr",
            PlatformPart::UserDirectory => "User directory",
            PlatformPart::Vault => "Vault secrets",
            PlatformPart::HomePage => "Home page",
            PlatformPart::ArgoCd => "Argo CD",
            PlatformPart::Muster => "Muster itself",
        }
    }
}

/// The rows of one part, in the order they came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRows<T> {
    /// The part.
    pub part: PlatformPart,
    /// Its rows (never none).
    pub rows: Vec<T>,
}

/// `rows` grouped by the part `part_of` says each belongs to: parts in
/// [`PlatformPart::ALL`] order, those without a row left out, and rows in
/// their own order within a part. Buckets rather than a sort, which would
/// link far more code into the wasm page for a dozen rows.
pub fn group_by_part<T>(
    rows: impl IntoIterator<Item = T>,
    part_of: impl Fn(&T) -> PlatformPart,
) -> Vec<PartRows<T>> {
    let mut buckets: [Vec<T>; PlatformPart::ALL.len()] = Default::default();
    for row in rows {
        // `ALL` lists the parts in declaration order.
        buckets[part_of(&row) as usize].push(row);
    }
    PlatformPart::ALL
        .into_iter()
        .zip(buckets)
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(part, rows)| PartRows { part, rows })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Fix, Status};

    #[test]
    fn every_part_holds_a_component_and_every_component_has_a_part() {
        for part in PlatformPart::ALL {
            assert!(
                Component::ALL.iter().any(|c| PlatformPart::of(*c) == part),
                "{part:?} holds no component"
            );
        }
        let words: std::collections::HashSet<&str> =
            PlatformPart::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(words.len(), PlatformPart::ALL.len());
    }

    fn check(id: &str, status: Status, fix: Option<Component>) -> Check {
        Check {
            id: id.to_owned(),
            title: String::new(),
            proves: String::new(),
            status,
            observed: String::new(),
            evidence: Vec::new(),
            fix: fix.map(|component| Fix {
                component,
                hint: String::new(),
            }),
            skip_reason: None,
        }
    }

    #[test]
    fn rows_group_in_platform_order_keeping_their_own_order_within_a_part() {
        let rows = [
            ("upstream.client_answers", Status::Pass),
            ("anonymous.credentials_stripped", Status::Fail),
            ("argocd.gafaelfawr", Status::Warn),
            ("auth.invalid_token", Status::Pass),
            ("auth.challenge", Status::Pass),
            ("auth.quota", Status::Skip),
        ]
        .map(|(id, status)| check(id, status, None));
        let groups = group_by_part(rows, PlatformPart::of_check);
        let shown: Vec<(PlatformPart, Vec<&str>, Status)> = groups
            .iter()
            .map(|group| {
                let ids = group.rows.iter().map(|row| row.id.as_str()).collect();
                let status = Status::of_group(group.rows.iter().map(|row| row.status));
                (group.part, ids, status)
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    PlatformPart::IngressNginx,
                    vec!["anonymous.credentials_stripped", "auth.challenge"],
                    Status::Fail
                ),
                (
                    PlatformPart::Gafaelfawr,
                    vec!["auth.invalid_token", "auth.quota"],
                    Status::Pass
                ),
                (
                    PlatformPart::ArgoCd,
                    vec!["argocd.gafaelfawr"],
                    Status::Warn
                ),
                (
                    PlatformPart::Muster,
                    vec!["upstream.client_answers"],
                    Status::Pass
                ),
            ]
        );
        assert_eq!(
            group_by_part(Vec::<Check>::new(), PlatformPart::of_check),
            []
        );
    }

    #[test]
    fn a_heading_shows_the_worst_row_and_skipped_only_when_every_row_was() {
        use Status::*;
        for (rows, heading) in [
            (vec![Pass, Warn, Skip], Warn),
            (vec![Warn, Fail, Pass], Fail),
            (vec![Pass, Skip], Pass),
            (vec![Skip, Skip], Skip),
            (vec![], Skip),
        ] {
            assert_eq!(Status::of_group(rows.clone()), heading, "{rows:?}");
        }
    }

    #[test]
    fn an_unknown_row_goes_where_its_fix_points_and_else_to_muster() {
        let from_elsewhere = check(
            "certificate.expiry",
            Status::Fail,
            Some(Component::CertManager),
        );
        assert_eq!(
            PlatformPart::of_check(&from_elsewhere),
            PlatformPart::CertManager
        );
        let unknown = check("evil.check", Status::Pass, None);
        assert_eq!(PlatformPart::of_check(&unknown), PlatformPart::Muster);
        assert_eq!(
            PlatformPart::of_check(&check("argocd", Status::Skip, None)),
            PlatformPart::ArgoCd
        );
        assert_eq!(
            PlatformPart::of_server_check("evil.check"),
            PlatformPart::Muster
        );
        // A server check is found by its own catalogue: `delegated.user_info`
        // (Gafaelfawr's answer) is no probe's id.
        assert!(crate::probe::probe("delegated.user_info").is_none());
        assert_ne!(
            PlatformPart::of_server_check("delegated.user_info"),
            PlatformPart::Muster
        );
    }

    #[test]
    fn a_header_lost_on_the_way_is_the_ingress_and_a_wrong_value_is_gafaelfawr() {
        assert_eq!(
            PlatformPart::of(Component::GafaelfawrIngress),
            PlatformPart::IngressNginx
        );
        assert_eq!(
            PlatformPart::of(Component::Gafaelfawr),
            PlatformPart::Gafaelfawr
        );
        assert_eq!(
            PlatformPart::of(Component::Repertoire),
            PlatformPart::Muster
        );
    }
}
