//! The ingress layer of the local stack: Muster's chart rendered by Helm,
//! its `GafaelfawrIngress` objects parsed and validated, and nginx
//! configured from them the way Gafaelfawr's operator and ingress-nginx
//! would, optionally with one deliberate misconfiguration.
//!
//! The rendered chart is the single source of truth for the routes: nothing
//! here keeps a second list of them.

mod chart;
mod fault;
mod model;
mod nginx;
mod nginx_conf;
mod query;

pub use chart::{
    chart_dir, helm_script, lint_chart, local_stack_values, render_chart, HELM_INSTALL_HINT,
};
pub use fault::IngressFault;
pub use model::{
    parse_ingress, parse_manifest, AuthType, Backend, Delegate, DelegateKind, GafaelfawrIngress,
    HttpRule, IngressConfig, IngressPath, IngressRule, IngressSpec, IngressTemplate, PathType,
    Scopes, ServiceBackend, ServicePort, TemplateMetadata, API_VERSION, KIND,
};
pub use nginx::Nginx;
pub use nginx_conf::{
    render_nginx_conf, NginxSite, TlsPort, AUTH_RESPONSE_HEADERS, MUSTER_UPSTREAM,
};
pub use query::auth_query;
