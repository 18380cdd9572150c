//! Stack faults a browser can see, each shown on the overview as the right
//! failing rows, the first with a fix hint naming the right component.

mod page_support;

use muster_stack::secrets;
use muster_stack::webdriver::Browser;
use page_support::*;

/// Starts the stack with `fault`, logs in, runs the overview, and checks
/// that exactly `failing` fail (a browser always skips the probes that need a no-scope token),
/// and that `row`'s fix names `component` and says `hint`.
fn overview_shows(fault: &str, failing: &[&str], row: &str, component: &str, hint: &str) {
    let stack = stack(Some(fault));
    let browser = browser(&stack);
    assert_eq!(log_in_and_run(&browser, &stack), "fail", "{fault}");
    let problems: Vec<String> = rows(&browser)
        .into_iter()
        .filter(|(id, status)| status != "pass" && !browser_skips(id))
        .map(|(id, status)| {
            assert_eq!(status, "fail", "{fault}: {id}");
            id
        })
        .collect();
    assert_eq!(problems, failing, "{fault}");
    let headline = browser
        .text_of("#verdict-text")
        .unwrap()
        .unwrap_or_default();
    let count = failing.len();
    let expected = format!("{count} problem{}", if count == 1 { "" } else { "s" });
    assert_eq!(headline, expected, "{fault}");
    // The failing row's group fails, and so does its part's box.
    let shown = assert_picture_matches_groups(&browser);
    let group = browser
        .execute(
            "return document.querySelector(arguments[0]).closest('.part').id;",
            serde_json::json!([page_support::row(row)]),
        )
        .unwrap();
    let part = group
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("part-");
    assert_eq!(
        picture_status(&shown, part),
        "fail",
        "{fault}: {row} in {part}"
    );
    let fix = row_text(&browser, row, ".fix");
    assert!(
        fix.contains(&format!("look at {component}")),
        "{fault}: {row}: {fix}"
    );
    assert!(fix.contains(hint), "{fault}: {row}: {fix}");
    let token = session_token(&browser);
    let html = expanded_html(&browser);
    assert_no_tokens(&html, token.as_deref(), fault);
    assert_nothing_issued(&stack, &html, fault);
    // Some faults let the cookie or a token reach Muster: never its log.
    secrets::assert_logs_clean(&stack);
    assert_no_csp_violations(&browser);
    // What a problem looks like (the README shows the no-autherror one).
    browser
        .screenshot(&screenshot_path(&format!("overview-{fault}.png")))
        .expect("screenshot");
    // A failing run's link stays short enough to paste into a ticket.
    let link = share_link(&browser);
    println!(
        "{fault}: the page's share link with {count} failing checks: {} characters",
        link.len()
    );
    assert!(link.len() <= FAILING_LINK_LIMIT, "{fault}: {}", link.len());
}

#[test]
fn session_cookie_reaching_the_backend_fails_every_credentialed_route() {
    overview_shows(
        "no-cookie-header",
        &[
            "anonymous.credentials_stripped",
            "auth.fail_route",
            "auth.redirect_route",
            "auth.cached_route",
            "delegated.header_route",
            "delegated.authorization_route",
        ],
        "auth.fail_route",
        "the GafaelfawrIngress",
        "auth-response-headers",
    );
}

#[test]
fn missing_autherror_location_turns_400_and_429_into_403() {
    overview_shows(
        "no-autherror",
        &["auth.malformed_authorization", "auth.quota"],
        "auth.malformed_authorization",
        "ingress-nginx",
        "@autherror",
    );
}

#[test]
fn missing_auth_signin_fails_the_login_redirect() {
    overview_shows(
        "no-auth-signin",
        &["auth.login_redirect"],
        "auth.login_redirect",
        "the GafaelfawrIngress",
        "loginRedirect: true",
    );
}

#[test]
fn missing_delegation_fails_the_delegated_routes() {
    overview_shows(
        "no-delegation",
        &[
            "delegated.header_route",
            "delegated.authorization_route",
            "upstream.client_answers",
        ],
        "delegated.header_route",
        "the GafaelfawrIngress",
        "delegate",
    );
}

#[test]
fn user_info_naming_another_user_fails_delegation() {
    overview_shows(
        "wrong-username",
        &[
            "delegated.header_route",
            "delegated.authorization_route",
            "upstream.client_answers",
        ],
        "delegated.header_route",
        "Gafaelfawr",
        "config.gafaelfawrUrl",
    );
}

#[test]
fn missing_api_quota_fails_the_rate_limit_check() {
    overview_shows(
        "no-quota",
        &["auth.quota"],
        "auth.quota",
        "Gafaelfawr",
        "config.quota.default.api.muster-quota",
    );
}

#[test]
fn a_failing_user_directory_points_the_quota_and_client_rows_at_gafaelfawr() {
    // ingress-nginx answers its own 500 when the auth subrequest fails:
    // the quota and client rows must say so, not blame the quota setup or
    // Muster's configuration.
    for row in ["auth.quota", "upstream.client_answers"] {
        overview_shows(
            "ldap-down",
            // In the page's order: ingress-nginx's rows, then
            // Gafaelfawr's, then Muster's.
            &[
                "auth.fail_route",
                "auth.redirect_route",
                "auth.cached_route",
                // No success to cache, so the cache's isolation is unproven.
                "auth.cache_isolation",
                "delegated.header_route",
                "delegated.authorization_route",
                "auth.quota",
                "upstream.client_answers",
            ],
            row,
            "Gafaelfawr",
            "auth subrequest fails",
        );
    }
}

#[test]
fn a_missing_vault_secret_fails_its_row_naming_the_chain_from_vault() {
    overview_shows(
        "vault-secret-missing",
        &["vault.secret_delivered"],
        "vault.secret_delivered",
        "Vault (vault-secrets-operator)",
        "phalanx secrets sync",
    );
}

/// The page's credentials are the session cookie: an auth cache key
/// without it serves the cookie's cached success to a request without one.
#[test]
fn a_cache_key_without_the_cookie_fails_the_cache_isolation() {
    overview_shows(
        "cache-key-without-cookie",
        &["auth.cache_isolation"],
        "auth.cache_isolation",
        "the GafaelfawrIngress",
        "auth-cache-key",
    );
}

/// Without the method in the key, an OPTIONS with the session cookie gets
/// the GET's cached success instead of Gafaelfawr's refusal.
#[test]
fn a_cache_key_without_the_method_fails_the_cache_isolation() {
    overview_shows(
        "cache-key-without-method",
        &["auth.cache_isolation"],
        "auth.cache_isolation",
        "the GafaelfawrIngress",
        "auth-cache-key",
    );
}

#[test]
fn a_missing_home_page_fails_its_row_naming_squareone() {
    overview_shows(
        "home-page-missing",
        &["home.page"],
        "home.page",
        "the home page (Squareone)",
        "Argo CD application squareone",
    );
}

/// The page opened over TLS (the stack's HTTPS listener, which adds
/// ingress-nginx's default `Strict-Transport-Security`): the certificate row
/// passes and says how the page's own answers came.
#[test]
fn over_https_the_certificate_row_says_so_with_hsts() {
    let stack = stack(None);
    let browser =
        Browser::start_accepting_any_certificate(stack.work_dir()).expect("browser starts");
    let https = stack.tls_url(0).expect("the stack serves TLS");
    let page = format!("{https}{}/", stack.path_prefix());
    browser.goto(&page).expect("page loads");
    verdict(&browser);
    assert_eq!(row_status(&browser, "tls.certificate"), "pass");
    open_all_details(&browser);
    let details = row_text(&browser, "tls.certificate", "");
    assert!(details.contains("HTTPS, HSTS: max-age="), "{details}");
    assert!(!details.contains("plain HTTP"), "{details}");
    assert_no_csp_violations(&browser);
}

/// cert-manager stopped renewing: Muster's server reads the expired
/// certificate of its configured base URL and the page fails that row
/// only, pointing at cert-manager — though the page itself came over
/// plain HTTP, which the row's evidence says.
#[test]
fn an_expired_certificate_fails_its_row_naming_cert_manager() {
    overview_shows(
        "certificate-expired",
        &["tls.certificate"],
        "tls.certificate",
        "cert-manager",
        "CertificateRequest",
    );
    let stack = stack(Some("certificate-expired"));
    let browser = browser(&stack);
    assert_eq!(open_and_run(&browser, &stack), "fail");
    open_all_details(&browser);
    let details = row_text(&browser, "tls.certificate", "");
    for shown in ["expired on", "CN=muster stack CA", "plain HTTP"] {
        assert!(details.contains(shown), "{shown}: {details}");
    }
}
