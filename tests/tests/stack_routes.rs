//! Muster's routes through the whole healthy stack — real nginx configured
//! from the chart, the Gafaelfawr stand-in — exactly as the existing
//! automated client (mobu's Muster business) exercises them.

use muster_report::probe::{probe, Client, Exchange, ProbeContext, Tokens};
use muster_report::tls_certificate::PROBE_ID;
use muster_report::Status;
use muster_stack::http::{get, send, Reply};
use muster_stack::secrets::{self, Secrets};
use muster_stack::stack::{Stack, StackOptions};
use serde_json::json;

const BOT: &str = "bot-mobu-muster";

/// Mints a service token for the bot with the route scope, through nginx,
/// with the bootstrap token — as the automated client's harness does.
fn mint_bot_token(stack: &Stack) -> String {
    let bootstrap = format!("Bearer {}", stack.gafaelfawr().bootstrap_token());
    let body = json!({
        "username": BOT, "token_type": "service", "scopes": ["read:image"],
        "name": "Mobu Muster", "uid": 90001, "gid": 90001,
        "groups": [{"name": "g_bots", "id": 90002}],
    });
    let url = format!("{}/auth/api/v1/tokens", stack.url());
    let reply = send("POST", &url, &[("authorization", &bootstrap)], Some(&body)).unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json().unwrap()["token"].as_str().unwrap().to_owned()
}

fn route(stack: &Stack, path: &str) -> String {
    format!("{}{}/{path}", stack.url(), stack.path_prefix())
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn automated_client_flow_gets_upstream_bodies_through_the_ingress() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let token = mint_bot_token(&stack);
    let auth = bearer(&token);
    let with_token = [("authorization", auth.as_str())];

    let anonymous = get(&route(&stack, "anonymous"), &with_token).unwrap();
    assert_eq!(
        (anonymous.status, anonymous.body.as_str()),
        (200, r#"{"ok":true}"#)
    );

    let redirect = get(&route(&stack, "auth/redirect"), &[]).unwrap();
    assert_eq!(redirect.status, 302);
    let expected = format!("{}/login?rd=", stack.url());
    assert!(
        redirect.header("location").unwrap().starts_with(&expected),
        "{redirect:?}"
    );

    let challenge = get(&route(&stack, "auth/fail"), &[]).unwrap();
    assert_eq!(challenge.status, 401);
    assert!(challenge
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer realm=\""));

    let malformed = get(
        &route(&stack, "auth/fail"),
        &[("authorization", "Token bogus")],
    )
    .unwrap();
    assert_eq!(malformed.status, 400, "{malformed:?}");

    for path in ["auth/fail", "auth/redirect"] {
        let reply = get(&route(&stack, path), &with_token).unwrap();
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, r#"{"username":"bot-mobu-muster"}"#)
        );
    }

    let header = get(&route(&stack, "delegated/header"), &with_token).unwrap();
    let authorization = get(&route(&stack, "delegated/authorization"), &with_token).unwrap();
    assert_eq!(header.status, 200, "{}", header.body);
    assert_eq!(authorization.status, 200, "{}", authorization.body);
    assert_eq!(header.body, authorization.body);
    assert_eq!(
        header.json().unwrap(),
        json!({"username": BOT, "name": "Mobu Muster", "uid": 90001, "gid": 90001,
               "groups": [{"name": "g_bots", "id": 90002}]})
    );
    let secrets = Secrets::issued_in(&stack);
    for reply in [&header, &authorization] {
        assert_shows_no_secret(&secrets, reply, "a delegated route");
    }
}

#[test]
fn delegated_routes_find_gafaelfawr_through_repertoire_as_deployed() {
    // The chart's default: no Gafaelfawr URL, only Repertoire's discovery.
    let stack = Stack::start(StackOptions {
        discover_gafaelfawr: true,
        ..StackOptions::default()
    })
    .unwrap();
    let token = mint_bot_token(&stack);
    let auth = bearer(&token);
    let with_token = [("authorization", auth.as_str())];
    for path in ["delegated/header", "delegated/authorization"] {
        let reply = get(&route(&stack, path), &with_token).unwrap();
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.json().unwrap()["username"], BOT, "{path}");
        let report = get(&format!("{}?report=true", route(&stack, path)), &with_token).unwrap();
        let user_info = report.json().unwrap()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == "delegated.user_info")
            .cloned()
            .unwrap();
        assert_eq!(user_info["status"], "pass", "{path}: {user_info}");
    }
}

/// Fails if `reply`'s body or headers hold any part of `secrets`.
fn assert_shows_no_secret(secrets: &Secrets, reply: &Reply, what: &str) {
    secrets.assert_absent(&reply.body, &format!("{what}'s body"));
    secrets.assert_absent(
        &format!("{:?}", reply.headers),
        &format!("{what}'s headers"),
    );
}

#[test]
fn quota_route_counts_then_refuses_with_rate_limit_headers() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let token = stack
        .gafaelfawr()
        .issue_token("someuser", "user", &["read:image"]);
    let auth = bearer(&token);
    let quota = || get(&route(&stack, "auth/quota"), &[("authorization", &auth)]).unwrap();
    // A fresh user's first request is allowed and the second refused,
    // unless the fixed one-minute window rolled over between them (both
    // allowed: the second then opened the new window, and one more request
    // must be refused).
    let (mut first, mut second) = (quota(), quota());
    if second.status == 200 {
        (first, second) = (second, quota());
    }
    assert_eq!(first.status, 200, "{first:?}");
    assert_rate_limit_headers(&first, "0", "1");
    assert_eq!(second.status, 429, "{second:?}");
    assert!(second.header("retry-after").is_some(), "{second:?}");
    assert_rate_limit_headers(&second, "0", "1");
}

fn assert_rate_limit_headers(reply: &Reply, remaining: &str, used: &str) {
    assert_eq!(reply.header("x-ratelimit-limit"), Some("1"), "{reply:?}");
    assert_eq!(
        reply.header("x-ratelimit-remaining"),
        Some(remaining),
        "{reply:?}"
    );
    assert_eq!(reply.header("x-ratelimit-used"), Some(used), "{reply:?}");
    assert_eq!(
        reply.header("x-ratelimit-resource"),
        Some("muster-quota"),
        "{reply:?}"
    );
    assert!(reply.header("x-ratelimit-reset").is_some(), "{reply:?}");
}

#[test]
fn every_route_report_passes_on_a_healthy_stack() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let token =
        stack
            .gafaelfawr()
            .issue_token("someuser", "session", &["read:image", "exec:admin"]);
    let auth = bearer(&token);
    let cookie = format!("gafaelfawr={token}; theme=dark");
    let paths = [
        "anonymous",
        "auth/fail",
        "auth/redirect",
        "auth/cached",
        "delegated/header",
        "delegated/authorization",
    ];
    let mut replies = Vec::new();
    for path in paths {
        let credentials = [
            ("authorization", auth.as_str()),
            ("cookie", cookie.as_str()),
        ];
        let upstream = get(&route(&stack, path), &credentials).unwrap();
        assert_eq!(upstream.status, 200, "{path}: {}", upstream.body);
        let url = format!("{}?report=true", route(&stack, path));
        let reply = get(&url, &credentials).unwrap();
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        let report = reply.json().unwrap();
        assert_eq!(report["status"], "pass", "{path}: {report:#}");
        // The secret the stack planted as Vault's reached Muster: its
        // length shows, and (below) never its value.
        assert_eq!(report["vault_secret"]["state"], "present", "{path}");
        assert_eq!(
            report["vault_secret"]["length"],
            stack.vault_secret().len(),
            "{path}"
        );
        replies.push((format!("{path}'s upstream JSON"), upstream));
        replies.push((format!("{path}'s report"), reply));
    }
    let index = format!("{}{}/?report=true", stack.url(), stack.path_prefix());
    let reply = get(&index, &[]).unwrap();
    assert_eq!(reply.json().unwrap()["vault_secret"]["state"], "present");
    replies.push(("the index's report".to_owned(), reply));
    // nginx strips the caller's token, but the delegated routes get a
    // delegated one (X-Auth-Request-Token, or Authorization): look for
    // every token issued, now that they all exist, in both representations.
    let secrets = Secrets::issued_in(&stack);
    let delegated = stack
        .gafaelfawr()
        .issued_tokens()
        .into_iter()
        .filter(|issued| issued.kind == "notebook" || issued.kind == "internal")
        .count();
    // Both delegated routes share one delegation, so one token.
    assert!(delegated >= 1, "the stand-in delegated no token");
    for (what, reply) in &replies {
        assert_shows_no_secret(&secrets, reply, what);
    }
    secrets::assert_logs_clean(&stack);
}

#[test]
fn forged_identity_headers_never_reach_the_anonymous_route() {
    let stack = Stack::start(StackOptions::default()).unwrap();
    let url = format!("{}?report=true", route(&stack, "anonymous"));
    let forged = [
        ("x-auth-request-user", "admin"),
        ("x-auth-request-email", "admin@example.com"),
        (
            "x-auth-request-token",
            "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB",
        ),
    ];
    let report = get(&url, &forged).unwrap().json().unwrap();
    assert_eq!(report["status"], "pass", "{report:#}");
}

/// Muster's reports state the certificate of its configured base URL
/// (here nginx's TLS port, trusted through `MUSTER_CA_FILE`), whatever
/// host the request names, and the page's probe judges it: valid for a
/// healthy stack, failed once cert-manager stopped renewing.
#[test]
fn reports_state_the_certificate_of_the_configured_base_url() {
    for (fault, status) in [
        (None, Status::Pass),
        (Some("certificate-expired"), Status::Fail),
    ] {
        let stack = Stack::start(StackOptions {
            fault: fault.map(|name| name.parse().unwrap()),
            ..StackOptions::default()
        })
        .unwrap();
        let url = format!("{}?report=true", route(&stack, "anonymous"));
        // A forged host never decides where Muster connects.
        let forged = [
            ("host", "evil.example"),
            ("x-forwarded-host", "evil.example"),
        ];
        let reply = get(&url, &forged).unwrap();
        assert_eq!(reply.status, 200, "{fault:?}: {}", reply.body);
        let report = reply.json().unwrap();
        let certificate = &report["tls_certificate"];
        let tls_url = stack.tls_url(0).unwrap();
        assert_eq!(certificate["state"], "presented", "{fault:?}: {report:#}");
        assert_eq!(
            certificate["host"].as_str(),
            tls_url.strip_prefix("https://"),
            "{fault:?}"
        );
        assert_eq!(certificate["issuer"], "CN=muster stack CA", "{fault:?}");
        assert_eq!(certificate["trusted"], true, "{fault:?}");
        assert_eq!(certificate["names_host"], true, "{fault:?}");
        let days_left = certificate["seconds_left"]
            .as_i64()
            .unwrap()
            .div_euclid(86_400);
        let expected_days = if fault.is_some() { -3 } else { 90 };
        assert_eq!(days_left, expected_days, "{fault:?}: {certificate:#}");
        // The index's report says the same.
        let index = format!("{}{}/?report=true", stack.url(), stack.path_prefix());
        let index = get(&index, &[]).unwrap().json().unwrap();
        assert_eq!(index["tls_certificate"], *certificate, "{fault:?}");
        // The page's probe, fed this answer as a browser records it.
        let probe = probe(PROBE_ID).unwrap();
        let base = format!("{}{}", stack.url(), stack.path_prefix());
        let sent = probe
            .prepare(&base, Client::Browser, &Tokens::default())
            .unwrap();
        let headers: Vec<(String, String)> = reply.headers.clone();
        let exchange =
            Exchange::response(&sent[0], reply.status, headers, reply.body.as_bytes(), 1);
        let check = probe
            .result(vec![exchange], &ProbeContext::new(Client::Browser))
            .check;
        assert_eq!(check.status, status, "{fault:?}: {check:#?}");
    }
}
