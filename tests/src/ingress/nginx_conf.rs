//! nginx configuration rendered from `GafaelfawrIngress` objects the way
//! Gafaelfawr's operator (ingress annotations) and ingress-nginx (its
//! `nginx.tmpl`) together with Phalanx's ingress-nginx settings would render
//! it, for one host served on loopback.
//!
//! What is reproduced, because Muster's checks depend on it: the
//! `auth_request` subrequest with `X-Original-URL` / `X-Original-Method`; the
//! six `auth-response-headers` copied into the proxied request (an empty
//! variable sends no header, which is what strips a client's credentials
//! and forged identity headers); Gafaelfawr's configuration snippet and
//! Phalanx's `@autherror` location; `auth-signin`; the auth cache; Phalanx's
//! buffer sizes; `use-forwarded-headers` and `compute-full-forwarded-for`.
//! TLS, when the site has certificates, as further servers on ports of
//! their own with ingress-nginx's HSTS. What is left out: Lua balancing,
//! and host routing (each server is the default server of its port, so any
//! `Host` reaches it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use super::fault::IngressFault;
use super::model::{GafaelfawrIngress, IngressConfig, PathType, Scopes};
use super::query::auth_query;
use crate::process::running_as_root;

/// The ingress `auth-response-headers` list Gafaelfawr's operator sets.
pub const AUTH_RESPONSE_HEADERS: [&str; 6] = [
    "Authorization",
    "Cookie",
    "X-Auth-Request-Email",
    "X-Auth-Request-Service",
    "X-Auth-Request-Token",
    "X-Auth-Request-User",
];

/// The nginx upstream of Muster's server, every ingress's backend.
pub const MUSTER_UPSTREAM: &str = "muster_backend";

/// The rate-limit headers Gafaelfawr's snippet copies to the client response.
const RATE_LIMIT_HEADERS: [(&str, &str); 5] = [
    ("X-RateLimit-Limit", "limit"),
    ("X-RateLimit-Remaining", "remaining"),
    ("X-RateLimit-Reset", "reset"),
    ("X-RateLimit-Resource", "resource"),
    ("X-RateLimit-Used", "used"),
];

/// Maps escaping `$request_uri` for `rd=`: each escapes one character.
const RD_ESCAPE_STAGES: usize = 24;

/// Where the rendered nginx listens and what it talks to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NginxSite {
    /// Port on 127.0.0.1 nginx listens on.
    pub port: u16,
    /// The Muster server: every ingress backend is sent here.
    pub backend: SocketAddr,
    /// Gafaelfawr (or its stand-in): auth subrequests and its public routes
    /// `/login`, `/logout` and `/auth/api/`.
    pub gafaelfawr: SocketAddr,
    /// Gafaelfawr's public base URL, as a browser sees it; `auth-signin` is
    /// `<base_url>/login`.
    pub base_url: String,
    /// The location serving the host's root in place of the home page's
    /// own ingress (see [`crate::home_page`]); none: the default backend's
    /// 404, as where no home page is deployed.
    pub home_page: Option<String>,
    /// Further ports on 127.0.0.1 that serve the same ingresses over TLS,
    /// each with its own certificate, as ingress-nginx serves a host with
    /// the TLS secret cert-manager writes (HSTS included).
    pub tls: Vec<TlsPort>,
}

/// One TLS listener of an [`NginxSite`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPort {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// The certificate chain file (PEM).
    pub certificate: std::path::PathBuf,
    /// Its private key file (PEM).
    pub key: std::path::PathBuf,
}

/// ingress-nginx's default `Strict-Transport-Security` on TLS hosts
/// (`hsts-max-age`, `hsts-include-subdomains`).
const HSTS: &str = "max-age=15724800; includeSubDomains";

impl NginxSite {
    /// A site on `127.0.0.1:<port>` whose public base URL is nginx itself.
    pub fn new(port: u16, backend: SocketAddr, gafaelfawr: SocketAddr) -> Self {
        Self {
            port,
            backend,
            gafaelfawr,
            base_url: format!("http://127.0.0.1:{port}"),
            home_page: None,
            tls: Vec::new(),
        }
    }
}

/// One ingress path, with the config it is protected by.
struct Route<'a> {
    ingress: &'a str,
    index: usize,
    path: &'a str,
    path_type: PathType,
    config: IngressConfig,
}

impl Route<'_> {
    fn id(&self) -> String {
        format!("{}-{}", self.ingress, self.index)
    }

    fn auth_location(&self) -> String {
        format!("/_external-auth-{}", self.id())
    }

    fn signin_location(&self) -> String {
        format!("@signin-{}", self.id())
    }
}

/// Renders the complete `nginx.conf` for `nginx -p <work_dir> -c <file> -g
/// 'daemon off;'`: pid, logs, temporary files and the auth cache live in
/// `work_dir`. `fault` renders one deliberate misconfiguration.
pub fn render_nginx_conf(
    ingresses: &[GafaelfawrIngress],
    site: &NginxSite,
    fault: Option<IngressFault>,
    work_dir: &Path,
) -> Result<String, String> {
    let routes = routes(ingresses, fault);
    let locations = location_table(&routes)?;
    let dir = nginx_path(work_dir)?;
    let any_signin = routes.iter().any(|r| r.config.login_redirect);
    let mut hosts: Vec<&str> = ingresses
        .iter()
        .flat_map(|i| &i.template.spec.rules)
        .filter_map(|rule| rule.host.as_deref())
        .collect();
    hosts.sort_unstable();
    hosts.dedup();

    let mut out = String::new();
    out.push_str("# Rendered by muster_stack::ingress from the chart's GafaelfawrIngresses.\n");
    if let Some(fault) = fault {
        let _ = writeln!(out, "# Fault injected: {fault}");
    }
    if running_as_root() {
        out.push_str("user root;\n");
    }
    let _ = write!(
        out,
        "worker_processes 1;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log notice;\n\
         events {{\n    worker_connections 256;\n}}\n\nhttp {{\n    access_log {dir}/access.log;\n\
         \x20   client_body_temp_path {dir}/client_body;\n    proxy_temp_path {dir}/proxy;\n\
         \x20   fastcgi_temp_path {dir}/fastcgi;\n    uwsgi_temp_path {dir}/uwsgi;\n\
         \x20   scgi_temp_path {dir}/scgi;\n\
         \x20   proxy_cache_path {dir}/auth_cache levels=1:2 keys_zone=auth_cache:1m;\n\
         \x20   default_type text/html;\n    server_tokens off;\n\n\
         \x20   # Phalanx: reflected cookies can be large.\n\
         \x20   large_client_header_buffers 4 64k;\n    proxy_buffer_size 64k;\n    proxy_buffers 4 64k;\n\n\
         \x20   # use-forwarded-headers: true\n\
         \x20   map $http_x_forwarded_proto $pass_access_scheme {{\n        default $http_x_forwarded_proto;\n        \"\" $scheme;\n    }}\n\
         \x20   map $http_x_forwarded_host $best_http_host {{\n        default $http_x_forwarded_host;\n        \"\" $http_host;\n    }}\n\
         \x20   map $http_x_forwarded_port $pass_port {{\n        default $http_x_forwarded_port;\n        \"\" $server_port;\n    }}\n"
    );
    if any_signin {
        escaped_request_uri_maps(&mut out);
    }
    let hsts = !site.tls.is_empty();
    if hsts {
        // An empty value sends no header: plain HTTP gets none.
        let _ = write!(
            out,
            "\n    # ingress-nginx's HSTS, on TLS only.\n\
             \x20   map $scheme $hsts {{\n        https \"{HSTS}\";\n        default \"\";\n    }}\n"
        );
    }
    let _ = write!(
        out,
        "\n    upstream {MUSTER_UPSTREAM} {{\n        server {};\n    }}\n\
         \x20   upstream gafaelfawr {{\n        server {};\n    }}\n",
        site.backend, site.gafaelfawr,
    );
    let mut body = String::new();
    if fault != Some(IngressFault::NoAutherror) {
        autherror_location(&mut body);
    }
    for ((modifier, path), route) in &locations {
        ingress_location(&mut body, modifier, path, &routes[*route], fault, hsts);
    }
    for route in &routes {
        if !is_unprocessed_anonymous(route, fault) {
            auth_location(&mut body, route, site, fault);
        }
        if route.config.login_redirect {
            signin_location(&mut body, route, site);
        }
    }
    if let Some(home_page) = &site.home_page {
        if locations.contains_key(&("=", "/".to_owned())) {
            return Err("an ingress claims /, where the home page stands in".to_owned());
        }
        body.push_str(home_page);
    }
    gafaelfawr_locations(&mut body, &locations)?;
    let server_name = if hosts.is_empty() {
        "_".to_owned()
    } else {
        hosts.join(" ")
    };
    let _ = write!(
        out,
        "\n    server {{\n        listen 127.0.0.1:{} default_server;\n        server_name {server_name};\n\n{body}    }}\n",
        site.port,
    );
    for tls in &site.tls {
        let _ = write!(
            out,
            "\n    server {{\n        listen 127.0.0.1:{} ssl default_server;\n        server_name {server_name};\n\
             \x20       ssl_certificate {};\n        ssl_certificate_key {};\n\
             \x20       add_header Strict-Transport-Security $hsts always;\n\n{body}    }}\n",
            tls.port,
            nginx_path(&tls.certificate)?,
            nginx_path(&tls.key)?,
        );
    }
    out.push_str("}\n");
    Ok(out)
}

/// Every ingress path, with the config faults applied to its ingress.
fn routes(ingresses: &[GafaelfawrIngress], fault: Option<IngressFault>) -> Vec<Route<'_>> {
    let mut routes = Vec::new();
    for ingress in ingresses {
        let mut config = ingress.config.clone();
        match fault {
            Some(IngressFault::NoDelegation) => config.delegate = None,
            Some(IngressFault::NoUseAuthorization) => {
                if let Some(delegate) = &mut config.delegate {
                    delegate.use_authorization = false;
                }
            }
            Some(IngressFault::NoAuthSignin) => config.login_redirect = false,
            _ => {}
        }
        let paths = ingress
            .template
            .spec
            .rules
            .iter()
            .flat_map(|rule| &rule.http.paths);
        for (index, path) in paths.enumerate() {
            routes.push(Route {
                ingress: &ingress.name,
                index,
                path: &path.path,
                path_type: path.path_type,
                config: config.clone(),
            });
        }
    }
    routes
}

/// nginx locations (`("=", path)` or `("", prefix)`) → index of the route
/// served there. A Prefix path `/a` is ingress-nginx's pair `= /a` and
/// `/a/`; an Exact path wins over the exact half of such a pair.
fn location_table(routes: &[Route<'_>]) -> Result<BTreeMap<(&'static str, String), usize>, String> {
    let mut table: BTreeMap<(&'static str, String), (usize, bool)> = BTreeMap::new();
    for (index, route) in routes.iter().enumerate() {
        let mut keys = Vec::new();
        match route.path_type {
            PathType::Exact => keys.push((("=", route.path.to_owned()), true)),
            PathType::Prefix | PathType::ImplementationSpecific => {
                let trimmed = route.path.trim_end_matches('/');
                if trimmed.is_empty() {
                    keys.push((("", "/".to_owned()), true));
                } else {
                    keys.push((("=", trimmed.to_owned()), false));
                    keys.push((("", format!("{trimmed}/")), true));
                }
            }
        }
        for (key, strong) in keys {
            match table.get(&key) {
                Some(&(other, other_strong)) if other_strong == strong => {
                    return Err(format!(
                        "path {} of ingress {} and path {} of ingress {} both become nginx location `{} {}`",
                        route.path, route.ingress, routes[other].path, routes[other].ingress, key.0, key.1
                    ));
                }
                Some(&(_, true)) => {}
                _ => {
                    table.insert(key, (index, strong));
                }
            }
        }
    }
    Ok(table
        .into_iter()
        .map(|(key, (index, _))| (key, index))
        .collect())
}

fn is_unprocessed_anonymous(route: &Route<'_>, fault: Option<IngressFault>) -> bool {
    fault == Some(IngressFault::AnonymousNotAuthProcessed)
        && route.config.scopes == Scopes::Anonymous
}

/// Phalanx's ingress-nginx `server-snippet`.
fn autherror_location(out: &mut String) {
    out.push_str(
        "        # Phalanx server-snippet: turns Gafaelfawr's 403 + X-Error-Status into 400/429/403.\n\
         \x20       set $auth_error_body '';\n        set $auth_status '';\n\
         \x20       set $auth_www_authenticate '';\n        set $auth_retry_after '';\n",
    );
    for (_, suffix) in RATE_LIMIT_HEADERS {
        let _ = writeln!(out, "        set $auth_ratelimit_{suffix} '';");
    }
    out.push_str(
        "        location @autherror {\n            default_type application/json;\n\
         \x20           if ($auth_status = 400) {\n\
         \x20               add_header Cache-Control \"no-cache, must-revalidate\" always;\n\
         \x20               add_header WWW-Authenticate $auth_www_authenticate always;\n\
         \x20               return 400 $auth_error_body;\n            }\n\
         \x20           if ($auth_status = 429) {\n\
         \x20               add_header Cache-Control \"no-cache, must-revalidate\" always;\n\
         \x20               add_header Retry-After $auth_retry_after always;\n",
    );
    for (header, suffix) in RATE_LIMIT_HEADERS {
        let _ = writeln!(
            out,
            "                add_header {header} $auth_ratelimit_{suffix} always;"
        );
    }
    out.push_str(
        "                return 429 $auth_error_body;\n            }\n\
         \x20           add_header Cache-Control \"no-cache, must-revalidate\" always;\n\
         \x20           add_header WWW-Authenticate $auth_www_authenticate always;\n\
         \x20           return 403;\n        }\n\n",
    );
}

/// The headers ingress-nginx sets on every proxied request.
fn proxy_headers(out: &mut String) {
    out.push_str(
        "            proxy_http_version 1.1;\n            proxy_redirect off;\n\
         \x20           proxy_set_header Host $best_http_host;\n\
         \x20           proxy_set_header X-Real-IP $remote_addr;\n\
         \x20           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         \x20           proxy_set_header X-Forwarded-Host $best_http_host;\n\
         \x20           proxy_set_header X-Forwarded-Port $pass_port;\n\
         \x20           proxy_set_header X-Forwarded-Proto $pass_access_scheme;\n\
         \x20           proxy_set_header X-Forwarded-Scheme $pass_access_scheme;\n\
         \x20           proxy_set_header X-Scheme $pass_access_scheme;\n\
         \x20           proxy_set_header X-Original-URI $request_uri;\n\
         \x20           proxy_set_header Proxy \"\";\n",
    );
}

fn ingress_location(
    out: &mut String,
    modifier: &str,
    path: &str,
    route: &Route<'_>,
    fault: Option<IngressFault>,
    hsts: bool,
) {
    let space = if modifier.is_empty() { "" } else { " " };
    let _ = writeln!(
        out,
        "        # ingress {}: {} ({:?})\n        location {modifier}{space}{path} {{",
        route.ingress, route.path, route.path_type
    );
    proxy_headers(out);
    if is_unprocessed_anonymous(route, fault) {
        out.push_str("            # Fault: no auth subrequest for this anonymous ingress.\n");
    } else {
        let _ = write!(
            out,
            "            auth_request {};\n\
             \x20           auth_request_set $auth_cookie $upstream_http_set_cookie;\n\
             \x20           add_header Set-Cookie $auth_cookie;\n",
            route.auth_location()
        );
        if hsts {
            // The location's own add_header hides the server's.
            out.push_str("            add_header Strict-Transport-Security $hsts always;\n");
        }
        for (number, header) in AUTH_RESPONSE_HEADERS.iter().enumerate() {
            if fault.and_then(IngressFault::omitted_header) == Some(*header) {
                let _ = writeln!(
                    out,
                    "            # Fault: {header} left out of auth-response-headers."
                );
                continue;
            }
            let variable = header.to_ascii_lowercase().replace('-', "_");
            let _ = write!(
                out,
                "            auth_request_set $authHeader{number} $upstream_http_{variable};\n\
                 \x20           proxy_set_header '{header}' $authHeader{number};\n"
            );
        }
        if route.config.login_redirect {
            let _ = writeln!(
                out,
                "            error_page 401 = {};",
                route.signin_location()
            );
        }
        out.push_str(
            "            # Gafaelfawr's configuration-snippet\n\
             \x20           auth_request_set $auth_www_authenticate $upstream_http_www_authenticate;\n\
             \x20           auth_request_set $auth_status $upstream_http_x_error_status;\n\
             \x20           auth_request_set $auth_error_body $upstream_http_x_error_body;\n\
             \x20           auth_request_set $auth_retry_after $upstream_http_retry_after;\n",
        );
        for (header, suffix) in RATE_LIMIT_HEADERS {
            let variable = header.to_ascii_lowercase().replace('-', "_");
            let _ = writeln!(
                out,
                "            auth_request_set $auth_ratelimit_{suffix} $upstream_http_{variable};"
            );
        }
        for (header, suffix) in RATE_LIMIT_HEADERS {
            let _ = writeln!(
                out,
                "            add_header {header} $auth_ratelimit_{suffix} always;"
            );
        }
        if fault == Some(IngressFault::NoAutherror) {
            out.push_str("            # Fault: 403 is not sent to the autherror location.\n");
        } else {
            out.push_str("            error_page 403 = @autherror;\n");
        }
    }
    let _ = write!(
        out,
        "            proxy_pass http://{MUSTER_UPSTREAM};\n        }}\n\n"
    );
}

/// The internal location ingress-nginx generates for `auth-url`.
fn auth_location(
    out: &mut String,
    route: &Route<'_>,
    site: &NginxSite,
    fault: Option<IngressFault>,
) {
    let _ = write!(
        out,
        "        location = {} {{\n            internal;\n            proxy_method GET;\n\
         \x20           proxy_pass_request_body off;\n            proxy_pass_request_headers on;\n\
         \x20           proxy_set_header Content-Length \"\";\n\
         \x20           proxy_set_header X-Forwarded-Proto \"\";\n\
         \x20           proxy_set_header Host {gafaelfawr};\n\
         \x20           proxy_set_header X-Original-URL $scheme://$http_host$request_uri;\n\
         \x20           proxy_set_header X-Original-Method $request_method;\n\
         \x20           proxy_set_header X-Sent-From \"nginx-ingress-controller\";\n\
         \x20           proxy_set_header X-Real-IP $remote_addr;\n\
         \x20           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         \x20           proxy_set_header X-Auth-Request-Redirect $request_uri;\n\
         \x20           proxy_http_version 1.1;\n            client_max_body_size 1m;\n",
        route.auth_location(),
        gafaelfawr = site.gafaelfawr,
    );
    match &route.config.auth_cache_duration {
        Some(duration) => {
            let key = IngressFault::auth_cache_key(fault);
            if key != IngressFault::auth_cache_key(None) {
                let _ = writeln!(out, "            # Fault: auth-cache-key is {key}.");
            }
            let _ = write!(
                out,
                "            # auth-cache-key and auth-cache-duration\n\
                 \x20           proxy_buffering on;\n            proxy_cache auth_cache;\n\
                 \x20           proxy_cache_key \"{}{key}\";\n\
                 \x20           proxy_cache_valid 200 202 401 {duration};\n",
                route.auth_location()
            );
        }
        None => out.push_str("            proxy_buffering off;\n"),
    }
    let _ = write!(
        out,
        "            set $target http://{}{};\n            proxy_pass $target;\n        }}\n\n",
        site.gafaelfawr,
        auth_query(&route.config)
    );
}

/// The `auth-signin` target: a redirect to Gafaelfawr's login page.
fn signin_location(out: &mut String, route: &Route<'_>, site: &NginxSite) {
    let _ = write!(
        out,
        "        location {} {{\n            add_header Set-Cookie $auth_cookie;\n\
         \x20           return 302 {}/login?rd=$pass_access_scheme://$http_host$escaped_request_uri;\n        }}\n\n",
        route.signin_location(),
        site.base_url.trim_end_matches('/'),
    );
}

/// Gafaelfawr's own routes, served by its own (unauthenticated) ingress.
fn gafaelfawr_locations(
    out: &mut String,
    locations: &BTreeMap<(&'static str, String), usize>,
) -> Result<(), String> {
    let own = [("=", "/login"), ("=", "/logout"), ("", "/auth/api/")];
    for (modifier, path) in own {
        if locations.contains_key(&(modifier, path.to_owned())) {
            return Err(format!(
                "an ingress claims {path}, which is Gafaelfawr's own route"
            ));
        }
        let space = if modifier.is_empty() { "" } else { " " };
        let _ = writeln!(
            out,
            "        # Gafaelfawr's own ingress\n        location {modifier}{space}{path} {{"
        );
        proxy_headers(out);
        out.push_str("            proxy_pass http://gafaelfawr;\n        }\n\n");
    }
    if !locations.contains_key(&("", "/".to_owned())) {
        out.push_str(
            "        # ingress-nginx's default backend\n        location / {\n\
             \x20           return 404;\n        }\n",
        );
    }
    Ok(())
}

/// `$escaped_request_uri` (ingress-nginx computes it with `set_escape_uri`,
/// which Debian's nginx lacks): a chain of maps, each percent-encoding the
/// next character outside `[A-Za-z0-9._~-]`. The state is
/// `"<escaped> <rest>"`; past the last stage the rest is appended as is.
fn escaped_request_uri_maps(out: &mut String) {
    const SAFE: &str = "[A-Za-z0-9._~-]";
    out.push_str(
        "\n    # auth-signin's rd=: $request_uri escaped as a query value.\n\
         \x20   map $request_uri $rd_escape_0 {\n        \"~^(?<rd_r>.*)$\" \" $rd_r\";\n    }\n",
    );
    for stage in 1..=RD_ESCAPE_STAGES {
        let _ = write!(
            out,
            "    map $rd_escape_{previous} $rd_escape_{stage} {{\n\
             \x20       \"~^(?<rd_d>[^ ]*) (?<rd_s>{SAFE}*)$\" \"$rd_d$rd_s \";\n",
            previous = stage - 1
        );
        for byte in 0x20u8..=0x7e {
            let c = char::from(byte);
            if c.is_ascii_alphanumeric() || "._~-".contains(c) {
                continue;
            }
            let _ = writeln!(
                out,
                "        \"~^(?<rd_d>[^ ]*) (?<rd_s>{SAFE}*)\\x{byte:02X}(?<rd_r>.*)$\" \"$rd_d$rd_s%{byte:02X} $rd_r\";"
            );
        }
        let _ = write!(
            out,
            "        \"~^(?<rd_d>[^ ]*) (?<rd_s>{SAFE}*)(?<rd_c>.)(?<rd_r>.*)$\" \"$rd_d$rd_s$rd_c $rd_r\";\n    }}\n"
        );
    }
    let _ = write!(
        out,
        "    map $rd_escape_{RD_ESCAPE_STAGES} $escaped_request_uri {{\n\
         \x20       \"~^(?<rd_d>[^ ]*) (?<rd_r>.*)$\" \"$rd_d$rd_r\";\n    }}\n"
    );
}

/// `path` as nginx may read it unquoted.
fn nginx_path(path: &Path) -> Result<String, String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("work directory {} is not UTF-8", path.display()))?;
    if text
        .chars()
        .any(|c| c.is_whitespace() || "\"';{}$#\\".contains(c))
    {
        return Err(format!(
            "work directory {text} contains characters nginx would misread; use a plain path"
        ));
    }
    Ok(text.to_owned())
}
