//! The full report and the HTML shell, on the same URLs.

use crate::support::*;

#[tokio::test]
async fn report_is_200_with_the_verdict_inside() {
    let f = fixture(&[]);
    let answer = get(
        &f.router,
        "/muster/anonymous?report=true",
        &[("authorization", "Bearer x")],
    )
    .await;
    assert_eq!(answer.status.as_u16(), 200);
    assert_eq!(answer.header("content-type"), "application/json");
    assert_eq!(answer.header("cache-control"), "no-store");
    let report = answer.json();
    assert_eq!(report["route"], "anonymous");
    assert_eq!(report["status"], "fail");
    assert_eq!(report["muster_version"], env!("CARGO_PKG_VERSION"));
    let check = answer.check("anonymous.no_authorization");
    assert_eq!(check["status"], "fail");
    assert_eq!(check["fix"]["component"], "gafaelfawr_ingress");
    assert!(check["proves"].as_str().unwrap().len() > 20);
    assert_eq!(check["evidence"][0]["name"], "Authorization");
}

#[tokio::test]
async fn vendor_media_type_selects_the_report() {
    let f = fixture(&[]);
    let accept = [("accept", "application/vnd.muster.report+json")];
    let answer = get(&f.router, "/muster/auth/fail", &accept).await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    assert_eq!(
        answer.header("content-type"),
        "application/vnd.muster.report+json"
    );
    assert_eq!(answer.json()["route"], "auth/fail");
    assert_eq!(answer.check("auth.user_header")["status"], "fail");
    assert!(answer.header("vary").contains("Accept"));
}

#[tokio::test]
async fn anonymous_report_names_forged_identity_headers() {
    let f = fixture(&[]);
    let forged = [
        ("x-auth-request-user", "admin"),
        ("x-auth-request-email", "admin@example.com"),
    ];
    let answer = get(&f.router, "/muster/anonymous?report=true", &forged).await;
    let check = answer.check("anonymous.no_identity_headers");
    assert_eq!(check["status"], "fail");
    assert!(check["observed"]
        .as_str()
        .unwrap()
        .contains("X-Auth-Request-User, X-Auth-Request-Email"));
}

#[tokio::test]
async fn auth_report_flags_a_leaked_cookie_and_token() {
    let f = fixture(&[]);
    let headers = [
        ("x-auth-request-user", "alice"),
        ("cookie", "gafaelfawr=session-value"),
        ("x-auth-request-token", TOKEN),
    ];
    let answer = get(&f.router, "/muster/auth/cached?report=true", &headers).await;
    assert_eq!(answer.json()["status"], "fail");
    assert_eq!(answer.check("auth.no_gafaelfawr_cookie")["status"], "fail");
    assert_eq!(answer.check("auth.no_delegated_token")["status"], "fail");
    assert_eq!(answer.check("auth.user_header")["status"], "pass");
    let upstream = get(&f.router, "/muster/auth/cached", &headers).await;
    assert_eq!(
        upstream.body, r#"{"username":"alice"}"#,
        "upstream does not check these"
    );
}

#[tokio::test]
async fn browsers_get_the_shell_on_check_routes() {
    let f = fixture(&[]);
    for path in [
        "/muster/anonymous",
        "/muster/auth/fail",
        "/muster/delegated/header",
        "/muster/auth/vinyl",
    ] {
        let answer = get(&f.router, path, &[("accept", BROWSER)]).await;
        assert_eq!(answer.status.as_u16(), 200, "{path}");
        assert!(answer.body.contains(SHELL_MARK), "{path}");
        assert_eq!(answer.header("cache-control"), "no-cache", "{path}");
        assert!(answer.header("vary").contains("Accept"), "{path}");
    }
}

#[tokio::test]
async fn report_flag_beats_a_browser_accept() {
    let f = fixture(&[]);
    let answer = get(
        &f.router,
        "/muster/anonymous?report=true",
        &[("accept", BROWSER)],
    )
    .await;
    assert_eq!(answer.json()["status"], "pass");
}

#[tokio::test]
async fn openapi_describes_both_representations() {
    let f = fixture(&[]);
    let answer = get(&f.router, "/muster/openapi.json", &[]).await;
    assert_eq!(answer.status.as_u16(), 200);
    let document = answer.json();
    assert_eq!(document["openapi"], "3.1.0");
    for path in [
        "/muster/anonymous",
        "/muster/auth/{mode}",
        "/muster/delegated/{mode}",
    ] {
        let responses = &document["paths"][path]["get"]["responses"];
        assert!(
            responses["200"]["content"]["application/vnd.muster.report+json"].is_object(),
            "{path}"
        );
        assert!(responses["500"].is_object(), "{path}");
    }
    let schemas = &document["components"]["schemas"];
    let components = schemas["Component"]["enum"].to_string();
    assert!(components.contains("muster_configuration") && components.contains("network_policy"));
    assert_eq!(
        schemas["Status"]["enum"],
        serde_json::json!(["pass", "warn", "fail", "skip"])
    );
}
