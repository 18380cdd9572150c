//! A route's URL opened in a browser shows that route's report alone.

mod page_support;

use page_support::*;
use serde_json::json;

#[test]
fn route_page_shows_the_routes_own_report() {
    let stack = stack(None);
    let browser = browser(&stack);
    log_in_and_run(&browser, &stack);
    browser
        .goto(&format!("{}delegated/header", stack.page_url()))
        .unwrap();
    assert_eq!(verdict(&browser), "pass");
    assert_eq!(
        browser.text_of("#route-path").unwrap().as_deref(),
        Some("delegated/header")
    );
    assert_eq!(browser.text_of("#shell-loading").unwrap(), None);
    // Announced: the verdict replaced the wait inside a live region.
    assert_announced(&browser, "#verdict");
    let shown = rows(&browser);
    assert!(
        shown
            .iter()
            .any(|(id, status)| id == "delegated.user_info" && status == "pass"),
        "{shown:?}"
    );
    assert!(
        shown.iter().all(|(id, _)| id.starts_with("delegated.")),
        "{shown:?}"
    );
    // Gafaelfawr's answers about the delegated token are its rows.
    let shown = assert_picture_matches_groups(&browser);
    assert_eq!(picture_status(&shown, "gafaelfawr"), "pass");
    let token = session_token(&browser);
    let html = expanded_html(&browser);
    assert_no_tokens(&html, token.as_deref(), "the route page");
    assert_nothing_issued(&stack, &html, "the route page");
    assert_heading_outline(&browser, "the route page");
    assert_no_csp_violations(&browser);
}

#[test]
fn route_page_shows_a_failing_server_check_with_its_fix() {
    let stack = stack(Some("no-cookie-header"));
    let browser = browser(&stack);
    log_in_and_run(&browser, &stack);
    browser
        .goto(&format!("{}auth/fail", stack.page_url()))
        .unwrap();
    assert_eq!(verdict(&browser), "fail");
    assert_eq!(row_status(&browser, "auth.no_gafaelfawr_cookie"), "fail");
    let shown = assert_picture_matches_groups(&browser);
    assert_eq!(picture_status(&shown, "ingress_nginx"), "fail");
    let fix = row_text(&browser, "auth.no_gafaelfawr_cookie", ".fix");
    assert!(fix.contains("the GafaelfawrIngress"), "{fix}");
    assert!(fix.contains("Cookie"), "{fix}");
    assert_no_csp_violations(&browser);
}

#[test]
fn a_session_lost_before_the_report_is_asked_gets_the_login_notice() {
    // Opened with a session, the page asks its route for the report; the
    // session ends before that request leaves, so the route sends the
    // request to log in instead, and the page says so.
    let stack = stack(None);
    let browser = browser(&stack);
    log_in_and_run(&browser, &stack);
    browser
        .hold_requests("*/auth/redirect?report=true")
        .unwrap();
    browser
        .goto(&format!("{}auth/redirect", stack.page_url()))
        .unwrap();
    browser
        .wait_for_script(
            "return document.querySelector('#verdict[data-status=running]') !== null;",
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("the page waits for its report");
    browser.delete_cookies().unwrap();
    browser.release_requests().unwrap();
    browser
        .wait_for_script(
            "return document.querySelector('[aria-live=polite] > #login-notice') !== null;",
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("the login notice, announced");
    assert_eq!(browser.text_of("#route-error").unwrap(), None);
    assert_eq!(browser.text_of("#verdict").unwrap(), None);
    assert_heading_outline(&browser, "the logged-out route page");
    assert_no_csp_violations(&browser);
}

#[test]
fn quota_route_page_explains_its_429_in_one_outline() {
    // A fresh stack's quota: opening auth/quota uses it for the page
    // itself, so the page's own request gets 429 and the page explains it.
    let stack = stack(None);
    let browser = browser(&stack);
    let elsewhere = format!("{}{}/openapi.json", stack.url(), stack.path_prefix());
    browser
        .goto(&format!("{}/login?rd={elsewhere}", stack.url()))
        .unwrap();
    browser
        .goto(&format!("{}auth/quota", stack.page_url()))
        .unwrap();
    let shown = browser
        .wait_for_script(
            "return document.querySelector('#route-error') ? 'error' : \
             (document.querySelector('#verdict:not([data-status=running])') ? 'report' : null);",
            json!([]),
            PAGE_TIMEOUT,
        )
        .unwrap();
    // Only a new minute starting between the page and its request could
    // let the request through; the outline must hold either way.
    if shown == json!("error") {
        let explained = browser.text_of("#route-error").unwrap().unwrap_or_default();
        assert!(explained.contains("one request a minute"), "{explained}");
    }
    assert_heading_outline(&browser, "the quota route's page");
    assert_no_csp_violations(&browser);
}
