//! Builders of realistic exchanges and runs for the probe, run and
//! snapshot tests.

use super::{probe, probes, Client, Exchange, Prepared, ProbeContext, ProbeResult, Tokens};
use crate::model::{Route, RouteKind};
use crate::probe::run::Run;
use crate::received::checks::testing::TOKEN as DELEGATED_TOKEN;
use crate::received::observed::{
    BackendObservation, Gafaelfawr, Group, RequestSeen, TokenInfo, UserInfo,
};

/// The CLI's scoped token: must never survive recording.
pub const USER_TOKEN: &str = "gt-CanaryUserKey000000000.CanaryUserSecret000000";
/// The CLI's token without the scope.
pub const NO_SCOPE_TOKEN: &str = "gt-CanaryNoScopeKey000000.CanaryNoScopeSecret000";
/// The user the runs are made as.
pub const USERNAME: &str = "rachel";
/// Their email.
pub const EMAIL: &str = "rachel@example.org";
/// Their full name.
pub const FULL_NAME: &str = "Rachel Roe";

/// The start of a home page as Squareone (a Next.js application) serves it.
pub const SQUAREONE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><title>Rubin Science \
     Platform</title><script src=\"/_next/static/chunks/main.js\" defer></script></head><body>\
     <div id=\"__next\"></div></body></html>";

/// The CLI's tokens.
pub fn cli_tokens() -> Tokens {
    Tokens {
        user: Some(USER_TOKEN.into()),
        no_scope: Some(NO_SCOPE_TOKEN.into()),
    }
}

/// The requests of probe `id` for `client`.
pub fn prepared(id: &str, client: Client) -> Vec<Prepared> {
    let tokens = match client {
        Client::Browser => Tokens::default(),
        Client::Cli => cli_tokens(),
    };
    probe(id)
        .unwrap_or_else(|| panic!("no probe {id}"))
        .prepare("https://data.example.org/muster", client, &tokens)
        .unwrap_or_else(|why| panic!("{id}: {why}"))
}

/// An HTTP answer to `sent`.
pub fn respond(sent: &Prepared, status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
    Exchange::response(sent, status, headers.iter().copied(), body.as_bytes(), 42)
}

/// Judges probe `id` on `exchanges` for `client`.
pub fn judge(id: &str, exchanges: Vec<Exchange>, client: Client) -> ProbeResult {
    probe(id)
        .unwrap()
        .result(exchanges, &ProbeContext::new(client))
}

/// What Muster sees when everything works for [`USERNAME`] on `route`.
pub fn healthy_observation(route: Route) -> BackendObservation {
    let mut headers = vec![("cookie", "theme=dark".to_owned())];
    let mut gafaelfawr = Gafaelfawr::default();
    match route.kind() {
        RouteKind::Anonymous => {}
        RouteKind::Auth => {
            headers.push(("x-auth-request-user", USERNAME.into()));
            headers.push(("x-auth-request-email", EMAIL.into()));
        }
        RouteKind::Delegated => {
            headers.push(("x-auth-request-user", USERNAME.into()));
            headers.push(("x-auth-request-email", EMAIL.into()));
            headers.push(("x-auth-request-token", DELEGATED_TOKEN.into()));
            if route == Route::DelegatedAuthorization {
                headers.push(("authorization", format!("Bearer {DELEGATED_TOKEN}")));
            }
            gafaelfawr.user_info = Some(Ok(UserInfo {
                username: USERNAME.into(),
                name: Some(FULL_NAME.into()),
                email: Some(EMAIL.into()),
                uid: Some(1001),
                gid: Some(1001),
                groups: vec![Group {
                    name: "g_users".into(),
                    id: Some(2001),
                }],
            }));
            gafaelfawr.token_info = Some(Ok(TokenInfo {
                username: USERNAME.into(),
                token_type: "internal".into(),
                service: Some("muster".into()),
                scopes: vec![],
            }));
        }
    }
    BackendObservation {
        route,
        request: RequestSeen::from_pairs(headers.iter().map(|(n, v)| (*n, v.as_bytes()))),
        gafaelfawr,
    }
}

/// The report body Muster sends for `observed`.
pub fn report_body(observed: &BackendObservation) -> String {
    serde_json::to_string(&crate::evaluate(observed, "1.2.3").report).unwrap()
}

/// The body of a healthy report of `route`.
pub fn healthy_report(route: Route) -> String {
    report_body(&healthy_observation(route))
}

/// The anonymous route's healthy report carrying `vault_secret` as the
/// server writes it.
pub fn report_with_vault_secret(vault_secret: serde_json::Value) -> String {
    let mut report: serde_json::Value =
        serde_json::from_str(&healthy_report(Route::Anonymous)).unwrap();
    report[crate::vault_secret::FIELD] = vault_secret;
    report.to_string()
}

/// The anonymous route's healthy report carrying `state` and its row as
/// the server writes the host's certificate.
pub fn report_with_certificate(state: &crate::tls_certificate::CertificateState) -> String {
    let mut report: serde_json::Value =
        serde_json::from_str(&healthy_report(Route::Anonymous)).unwrap();
    report[crate::tls_certificate::FIELD] = serde_json::to_value(state).unwrap();
    report[crate::tls_certificate::CHECK_FIELD] =
        serde_json::to_value(crate::probe::certificate_row(state).unwrap()).unwrap();
    report.to_string()
}

/// A certificate Let's Encrypt issued for data.example.org, `days` days
/// from its expiry.
pub fn certificate(days: i64) -> crate::tls_certificate::CertificateState {
    crate::tls_certificate::CertificateState::Presented(crate::tls_certificate::Presented {
        host: "data.example.org:443".into(),
        issuer: "CN=R11, O=Let's Encrypt, C=US".into(),
        subject_names: vec!["data.example.org".into()],
        not_after: "2027-01-05 12:00 UTC".into(),
        seconds_left: days * 86_400 + 60,
        trusted: true,
        trust_problem: None,
        names_host: true,
    })
}

/// Rate-limit headers as Gafaelfawr sends them for the quota route.
pub fn rate_headers(remaining: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("x-ratelimit-limit", "1"),
        ("x-ratelimit-remaining", remaining),
        ("x-ratelimit-reset", "1767225660"),
        ("x-ratelimit-resource", "muster-quota"),
        ("x-ratelimit-used", "1"),
    ]
}

/// The upstream-compatible body of the delegated routes for [`USERNAME`].
pub fn healthy_user() -> crate::received::upstream::DelegatedUserInfo {
    crate::received::upstream::DelegatedUserInfo {
        username: USERNAME.into(),
        email: Some(EMAIL.into()),
        name: Some(FULL_NAME.into()),
        uid: Some(1001),
        gid: Some(1001),
        groups: vec![Group {
            name: "g_users".into(),
            id: Some(2001),
        }],
    }
}

/// The exchanges of a healthy deployment for probe `id`.
pub fn healthy_exchanges(id: &str, client: Client) -> Vec<Exchange> {
    let sent = prepared(id, client);
    let challenge = "Bearer realm=\"data.example.org\"";
    let json = [("content-type", "application/json")];
    match id {
        "anonymous.credentials_stripped" => vec![
            respond(&sent[0], 200, &json, &healthy_report(Route::Anonymous)),
            respond(&sent[1], 200, &json, r#"{"ok":true}"#),
        ],
        "anonymous.forged_identity_masked" => {
            vec![respond(&sent[0], 200, &json, &healthy_report(Route::Anonymous))]
        }
        "auth.challenge" => vec![respond(
            &sent[0],
            401,
            &[("www-authenticate", challenge)],
            "<html><body>401 Authorization Required</body></html>",
        )],
        "auth.malformed_authorization" => vec![respond(
            &sent[0],
            400,
            &[("www-authenticate", "Bearer realm=\"data.example.org\", error=\"invalid_request\", error_description=\"Unknown Authorization type Token\"")],
            r#"{"detail":[{"msg":"Unknown Authorization type Token","type":"invalid_request"}]}"#,
        )],
        "auth.invalid_token" => vec![respond(
            &sent[0],
            401,
            &[("www-authenticate", "Bearer realm=\"data.example.org\", error=\"invalid_token\", error_description=\"Token is not valid\"")],
            "<html><body>401 Authorization Required</body></html>",
        )],
        "auth.insufficient_scope" => vec![respond(
            &sent[0],
            403,
            &[("www-authenticate", "Bearer realm=\"data.example.org\", error=\"insufficient_scope\", error_description=\"Token missing required scope\", scope=\"read:image\"")],
            "",
        )],
        "auth.login_redirect" => match client {
            Client::Browser => vec![Exchange::opaque_redirect(&sent[0], 5)],
            Client::Cli => vec![respond(
                &sent[0],
                302,
                &[("location", "https://data.example.org/login?rd=https%3A%2F%2Fdata.example.org%2Fmuster%2Fauth%2Fredirect")],
                "",
            )],
        },
        "auth.quota" => {
            let mut limited = rate_headers("0");
            limited.push(("retry-after", "Thu, 01 Jan 2026 00:01:00 GMT"));
            vec![
                respond(
                    &sent[0],
                    200,
                    &rate_headers("0"),
                    &format!(r#"{{"username":"{USERNAME}"}}"#),
                ),
                respond(&sent[1], 429, &limited, r#"{"detail":[{"msg":"Rate limit (1 per minute) exceeded","type":"rate_limited"}]}"#),
            ]
        }
        "auth.cache_isolation" => vec![
            respond(&sent[0], 200, &json, &format!(r#"{{"username":"{USERNAME}"}}"#)),
            respond(&sent[1], 401, &[("www-authenticate", challenge)], ""),
            respond(&sent[2], 401, &[("www-authenticate", "Bearer realm=\"data.example.org\", error=\"invalid_token\"")], ""),
            respond(&sent[3], 403, &[], ""),
            respond(&sent[4], 403, &[], ""),
        ],
        "auth.cache_scope" => vec![
            respond(&sent[0], 200, &json, &format!(r#"{{"username":"{USERNAME}"}}"#)),
            respond(&sent[1], 403, &[("www-authenticate", "Bearer realm=\"data.example.org\", error=\"insufficient_scope\", scope=\"read:image\"")], ""),
        ],
        "vault.secret_delivered" => vec![respond(
            &sent[0],
            200,
            &json,
            &report_with_vault_secret(
                serde_json::json!({"state": "present", "length": 32, "age_seconds": 60}),
            ),
        )],
        "home.page" => vec![respond(
            &sent[0],
            200,
            &[("content-type", "text/html; charset=utf-8")],
            SQUAREONE_PAGE,
        )],
        "tls.certificate" => vec![respond(
            &sent[0],
            200,
            &[
                ("content-type", "application/json"),
                ("strict-transport-security", "max-age=15724800; includeSubDomains"),
            ],
            &report_with_certificate(&certificate(60)),
        )],
        "upstream.client_answers" => {
            let auth = format!(r#"{{"username":"{USERNAME}","email":"{EMAIL}"}}"#);
            let delegated = serde_json::to_string(&healthy_user()).unwrap();
            vec![
                respond(&sent[0], 200, &json, &auth),
                respond(&sent[1], 200, &json, &auth),
                respond(&sent[2], 200, &json, &delegated),
                respond(&sent[3], 200, &json, &delegated),
            ]
        }
        other => {
            let route = Route::ALL
                .into_iter()
                .find(|route| sent[0].url.contains(&format!("/{}?", route.path())))
                .unwrap_or_else(|| panic!("no route for {other}"));
            vec![respond(&sent[0], 200, &json, &healthy_report(route))]
        }
    }
}

/// A typical complete run of a healthy deployment by `client`.
pub fn healthy_run(client: Client) -> Run {
    let context = ProbeContext::new(client);
    let results = probes()
        .iter()
        .map(|probe| {
            match probe.prepare(
                "https://data.example.org/muster",
                client,
                &match client {
                    Client::Browser => Tokens::default(),
                    Client::Cli => cli_tokens(),
                },
            ) {
                Ok(_) => probe.result(healthy_exchanges(probe.description.id, client), &context),
                Err(reason) => probe.skipped(&reason),
            }
        })
        .collect();
    Run::new(
        "1.2.3",
        "https://data.example.org",
        1_767_225_600,
        client,
        results,
    )
}
