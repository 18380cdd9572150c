//! What the page tests share: starting the stack and a browser, logging
//! in, waiting for the verdict, reading rows, and the assertions every
//! page must pass (no CSP violation, no token anywhere).
// Each page test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use muster_report::probe::{Credentials, UNKNOWN_TOKEN};
use muster_stack::secrets::Secrets;
use muster_stack::stack::{Stack, StackOptions};
use muster_stack::webdriver::Browser;
use serde_json::json;

/// Bound on waiting for the page (load, wasm start, every probe).
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A stack, healthy or with the named fault.
pub fn stack(fault: Option<&str>) -> Stack {
    let options = StackOptions {
        fault: fault.map(|name| name.parse().expect("known fault")),
        ..StackOptions::default()
    };
    Stack::start(options).expect("stack starts")
}

/// A fresh browser (its own profile: no cookies) logging into the stack.
pub fn browser(stack: &Stack) -> Browser {
    Browser::start(stack.work_dir()).expect("browser starts")
}

/// Logs in through the stand-in's `/login`, which sets the session cookie
/// and redirects to the overview; waits for the overview's verdict.
pub fn log_in_and_run(browser: &Browser, stack: &Stack) -> String {
    browser.goto(&stack.login_url()).expect("login page loads");
    verdict(browser)
}

/// Opens the overview (without logging in) and waits for its verdict.
pub fn open_and_run(browser: &Browser, stack: &Stack) -> String {
    browser.goto(&stack.page_url()).expect("page loads");
    verdict(browser)
}

/// Waits until every probe has finished; returns the verdict's status.
pub fn verdict(browser: &Browser) -> String {
    let status = browser
        .wait_for_script(
            "const v = document.querySelector('#verdict'); \
             const s = v && v.getAttribute('data-status'); \
             return s && s !== 'running' ? s : null;",
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("the verdict appears");
    status.as_str().unwrap_or_default().to_owned()
}

/// The CSS selector of the checklist row of check `id`.
pub fn row(id: &str) -> String {
    format!(".checks > li[data-check=\"{id}\"]")
}

/// The status (`pass`, `warn`, `fail`, `skip`) shown by row `id`.
pub fn row_status(browser: &Browser, id: &str) -> String {
    browser
        .attribute_of(&row(id), "data-status")
        .expect("WebDriver answers")
        .unwrap_or_else(|| panic!("no row {id}; page: {}", browser.page_text()))
}

/// The text of row `id`'s part `part` (e.g. `.fix`), hidden details included.
pub fn row_text(browser: &Browser, id: &str, part: &str) -> String {
    browser
        .text_of(&format!("{} {part}", row(id)))
        .expect("WebDriver answers")
        .unwrap_or_default()
}

/// Opens every row's details (the page builds a row's details when it is
/// first opened) and waits until each shows more than its summary.
pub fn open_all_details(browser: &Browser) {
    browser
        .execute(
            "document.querySelectorAll('details').forEach(d => d.open = true);",
            json!([]),
        )
        .expect("WebDriver answers");
    browser
        .wait_for_script(
            "return [...document.querySelectorAll('details')]\
             .every(d => d.open && d.children.length > 1);",
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("every opened row shows its details");
}

/// The page's HTML with every row's details built: what the secret
/// checks scan, so that no request or response escapes them.
pub fn expanded_html(browser: &Browser) -> String {
    open_all_details(browser);
    browser.page_html().expect("WebDriver answers")
}

/// Every row as `(id, status)`, in order.
pub fn rows(browser: &Browser) -> Vec<(String, String)> {
    let value = browser
        .execute(
            "return [...document.querySelectorAll('.checks > li')]\
             .map(e => [e.getAttribute('data-check'), e.getAttribute('data-status')]);",
            json!([]),
        )
        .expect("WebDriver answers");
    serde_json::from_value(value).expect("pairs of strings")
}

/// Fails if the console reports a Content-Security-Policy violation.
pub fn assert_no_csp_violations(browser: &Browser) {
    let messages = browser.console_messages().expect("console log");
    let violations: Vec<&String> = messages
        .iter()
        .filter(|message| {
            message.contains("Content Security Policy")
                || message.contains("Content-Security-Policy")
                || message.contains("Refused")
        })
        .collect();
    assert!(violations.is_empty(), "CSP violations: {violations:#?}");
}

/// The session cookie's value (the stand-in's token), if logged in.
pub fn session_token(browser: &Browser) -> Option<String> {
    browser
        .cookies()
        .expect("cookies")
        .into_iter()
        .find(|(name, _)| name == "gafaelfawr")
        .map(|(_, value)| value)
}

/// Fails if `text` holds `token` or its secret half, or anything shaped
/// like a Gafaelfawr token other than the public unknown-token probe.
pub fn assert_no_tokens(text: &str, token: Option<&str>, what: &str) {
    if let Some(token) = token {
        assert!(!text.contains(token), "{what} holds the session token");
        if let Some((_, secret)) = token.split_once('.') {
            assert!(!text.contains(secret), "{what} holds the token's secret");
        }
    }
    for (at, _) in text.match_indices("gt-") {
        let candidate: String = text[at..].chars().take(48).collect();
        let shaped = candidate.len() == 48
            && candidate.as_bytes()[25] == b'.'
            && candidate[3..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        assert!(
            !shaped || candidate == UNKNOWN_TOKEN,
            "{what} holds a token: {candidate}"
        );
    }
}

/// Fails if `text` holds any part of a credential the stack's stand-in has
/// issued so far: the session cookie, and every token minted or delegated
/// behind the browser's back, which the test never sees (ask after the
/// run, when they exist).
pub fn assert_nothing_issued(stack: &Stack, text: &str, what: &str) {
    Secrets::issued_in(stack).assert_absent(text, what);
}

/// Where screenshots go: `target/screenshots`, never a tracked file (the
/// README's `docs/overview.png` is refreshed by copying on purpose).
pub fn screenshot_path(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir.join(name)
}

/// Asserts the page's headings form one outline: a single `h1` first, and
/// no level skipped on the way down (open details included).
pub fn assert_heading_outline(browser: &Browser, what: &str) {
    let levels = browser
        .execute(
            "return [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]\
             .map(h => Number(h.tagName[1]));",
            json!([]),
        )
        .unwrap();
    let levels: Vec<u8> = serde_json::from_value(levels).unwrap();
    assert_eq!(levels.first(), Some(&1), "{what}: {levels:?}");
    assert_eq!(levels.iter().filter(|level| **level == 1).count(), 1);
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{what}: a heading level is skipped: {levels:?}"
        );
    }
}

/// Asserts that the element `css` is inside a polite live region, so that
/// screen readers announce it when it appears.
pub fn assert_announced(browser: &Browser, css: &str) {
    let announced = browser
        .execute(
            "const e = document.querySelector(arguments[0]); \
             return e !== null && e.closest('[aria-live=polite]') !== null;",
            json!([css]),
        )
        .unwrap();
    assert_eq!(announced, json!(true), "{css} is not in a live region");
}

/// Whether a browser skips check `id`: it needs a token without the
/// route's scope, which only `muster-check` holds.
pub fn browser_skips(id: &str) -> bool {
    muster_report::probe::probe(id).is_some_and(|probe| {
        probe
            .requests
            .iter()
            .any(|request| matches!(request.credentials, Credentials::NoScope))
    })
}
