//! The checklist page in headless Chromium, through nginx.

use std::time::Duration;

use muster_stack::http;
use muster_stack::stack::{Stack, StackOptions};
use muster_stack::webdriver::Browser;

const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn page_shows_the_version_the_server_reports() {
    let stack = Stack::start(StackOptions::default()).expect("stack starts");
    // `http::get` bounds the request (30 s).
    let health =
        http::get(&format!("http://{}/", stack.server_addr()), &[]).expect("health answers");
    assert_eq!(health.status, 200, "{}", health.body);
    let health = health.json().expect("health is JSON");
    let served_version = health["version"].as_str().expect("version").to_owned();

    let browser = Browser::start(stack.work_dir()).expect("browser starts");
    browser
        .goto(&format!("{}/muster/", stack.url()))
        .expect("page loads");
    let shown = browser
        .wait_for_text("#service-version", PAGE_TIMEOUT)
        .expect("version appears");
    assert_eq!(shown, served_version);
    assert_eq!(
        browser.text_of("#service-name").unwrap().as_deref(),
        Some("muster")
    );
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    browser.screenshot(&shots.join("version.png")).unwrap();
}
