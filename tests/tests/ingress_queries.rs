//! The nginx configuration generated from the chart, pinned where it
//! matters: the auth subrequest URL of each of the seven ingresses (in the
//! operator's parameter order) and the directives each ingress gets.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::OnceLock;

use muster_stack::ingress::{
    auth_query, local_stack_values, parse_manifest, render_chart, render_nginx_conf,
    GafaelfawrIngress, IngressFault, NginxSite,
};

/// The chart's ingresses, rendered once per test binary.
fn chart_ingresses() -> Vec<GafaelfawrIngress> {
    static INGRESSES: OnceLock<Result<Vec<GafaelfawrIngress>, String>> = OnceLock::new();
    INGRESSES
        .get_or_init(|| {
            let values = local_stack_values("localhost", "http://127.0.0.1:1/auth/api/v1");
            parse_manifest(&render_chart(&values)?)
        })
        .clone()
        .unwrap_or_else(|error| panic!("cannot render the chart's ingresses: {error}"))
}

fn site() -> NginxSite {
    let backend: SocketAddr = "127.0.0.1:8080".parse().expect("address");
    let gafaelfawr: SocketAddr = "127.0.0.1:8081".parse().expect("address");
    NginxSite::new(8000, backend, gafaelfawr)
}

fn conf(fault: Option<IngressFault>) -> String {
    render_nginx_conf(
        &chart_ingresses(),
        &site(),
        fault,
        Path::new("/tmp/muster-nginx"),
    )
    .unwrap_or_else(|error| panic!("{error}"))
}

/// The text of the block opened by `opening` (up to its closing brace).
fn block<'a>(conf: &'a str, opening: &str) -> &'a str {
    let start = conf
        .find(opening)
        .unwrap_or_else(|| panic!("no `{opening}` in:\n{conf}"));
    let end = conf[start..].find("\n        }").expect("block end");
    &conf[start..start + end]
}

#[test]
fn auth_queries_of_the_seven_ingresses() {
    let ingresses = chart_ingresses();
    let query = |name: &str| {
        let ingress = ingresses
            .iter()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no ingress {name}"));
        auth_query(&ingress.config)
    };
    assert_eq!(query("muster-anonymous"), "/ingress/anonymous");
    assert_eq!(
        query("muster-auth"),
        "/ingress/auth?scope=read:image&service=muster"
    );
    assert_eq!(
        query("muster-redirect"),
        "/ingress/auth?scope=read:image&service=muster"
    );
    assert_eq!(
        query("muster-quota"),
        "/ingress/auth?scope=read:image&service=muster-quota"
    );
    assert_eq!(
        query("muster-auth-cached"),
        "/ingress/auth?scope=read:image&service=muster"
    );
    assert_eq!(
        query("muster-delegate"),
        "/ingress/auth?delegate_to=muster&scope=read:image&service=muster"
    );
    assert_eq!(
        query("muster-authorization"),
        "/ingress/auth?delegate_to=muster&use_authorization=true&scope=read:image&service=muster"
    );
}

#[test]
fn every_authenticated_location_copies_the_six_auth_response_headers() {
    let conf = conf(None);
    let location = block(&conf, "location = /muster/auth/fail {");
    assert!(location.contains("auth_request /_external-auth-muster-auth-0;"));
    for (number, (header, variable)) in [
        ("Authorization", "authorization"),
        ("Cookie", "cookie"),
        ("X-Auth-Request-Email", "x_auth_request_email"),
        ("X-Auth-Request-Service", "x_auth_request_service"),
        ("X-Auth-Request-Token", "x_auth_request_token"),
        ("X-Auth-Request-User", "x_auth_request_user"),
    ]
    .iter()
    .enumerate()
    {
        assert!(location.contains(&format!(
            "auth_request_set $authHeader{number} $upstream_http_{variable};\n            proxy_set_header '{header}' $authHeader{number};"
        )), "{header} in:\n{location}");
    }
    assert!(location.contains("error_page 403 = @autherror;"));
    assert!(location.contains("add_header X-RateLimit-Remaining $auth_ratelimit_remaining always;"));
    assert!(
        !location.contains("error_page 401"),
        "only loginRedirect signs in"
    );
    let anonymous = block(&conf, "location /muster/ {");
    assert!(anonymous.contains("auth_request /_external-auth-muster-anonymous-0;"));
}

#[test]
fn auth_locations_call_gafaelfawr_with_the_original_request() {
    let conf = conf(None);
    let auth = block(&conf, "location = /_external-auth-muster-delegate-0 {");
    for line in [
        "internal;",
        "proxy_method GET;",
        "proxy_pass_request_body off;",
        "proxy_set_header Content-Length \"\";",
        "proxy_set_header X-Original-URL $scheme://$http_host$request_uri;",
        "proxy_set_header X-Original-Method $request_method;",
        "proxy_buffering off;",
        "set $target http://127.0.0.1:8081/ingress/auth?delegate_to=muster&scope=read:image&service=muster;",
    ] {
        assert!(auth.contains(line), "`{line}` missing from:\n{auth}");
    }
    let cached = block(&conf, "location = /_external-auth-muster-auth-cached-0 {");
    assert!(cached.contains("proxy_cache auth_cache;"));
    assert!(cached.contains(
        "proxy_cache_key \"/_external-auth-muster-auth-cached-0$request_method$http_cookie$http_authorization\";"
    ));
    assert!(cached.contains("proxy_cache_valid 200 202 401 5m;"));
}

#[test]
fn login_redirect_signs_in_through_gafaelfawr() {
    let conf = conf(None);
    let location = block(&conf, "location = /muster/auth/redirect {");
    assert!(location.contains("error_page 401 = @signin-muster-redirect-0;"));
    let signin = block(&conf, "location @signin-muster-redirect-0 {");
    assert!(signin.contains(
        "return 302 http://127.0.0.1:8000/login?rd=$pass_access_scheme://$http_host$escaped_request_uri;"
    ));
}

#[test]
fn phalanx_server_settings_are_present() {
    let conf = conf(None);
    for line in [
        "large_client_header_buffers 4 64k;",
        "proxy_buffer_size 64k;",
        "location @autherror {",
        "return 400 $auth_error_body;",
        "return 429 $auth_error_body;",
        "add_header Retry-After $auth_retry_after always;",
        "return 403;",
        "location = /login {",
        "location = /logout {",
        "location /auth/api/ {",
        "pid /tmp/muster-nginx/nginx.pid;",
        "proxy_cache_path /tmp/muster-nginx/auth_cache",
    ] {
        assert!(conf.contains(line), "`{line}` missing");
    }
}

#[test]
fn faults_change_only_their_part_of_the_configuration() {
    let healthy = conf(None);
    for fault in IngressFault::all() {
        let broken = conf(Some(*fault));
        assert_ne!(broken, healthy, "{fault} changed nothing");
        assert!(broken.contains(&format!("# Fault injected: {fault}")));
    }
    let no_user = conf(Some(IngressFault::NoUserHeader));
    assert!(!no_user.contains("proxy_set_header 'X-Auth-Request-User'"));
    assert!(no_user.contains("proxy_set_header 'X-Auth-Request-Email'"));
    let no_autherror = conf(Some(IngressFault::NoAutherror));
    assert!(!no_autherror.contains("@autherror"));
    let no_signin = conf(Some(IngressFault::NoAuthSignin));
    assert!(!no_signin.contains("error_page 401"));
    let anonymous = conf(Some(IngressFault::AnonymousNotAuthProcessed));
    assert!(!anonymous.contains("auth_request /_external-auth-muster-anonymous-0;"));
    assert!(anonymous.contains("auth_request /_external-auth-muster-auth-0;"));
    let no_delegation = conf(Some(IngressFault::NoDelegation));
    assert!(!no_delegation.contains("delegate_to="));
    let no_use = conf(Some(IngressFault::NoUseAuthorization));
    assert!(no_use.contains("delegate_to=muster"));
    assert!(!no_use.contains("use_authorization=true"));
}
