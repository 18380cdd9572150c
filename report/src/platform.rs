//! The parts of a Phalanx platform a deployer recognises, in the order a
//! request meets them, and which part each [`Component`] belongs to. The
//! page, the CLI's checklist and JUnit group their rows by these parts, so
//! that a reader sees *where* the platform is broken before reading why.

use crate::model::Component;

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

#[cfg(test)]
mod tests {
    use super::*;

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
