//! The overview page in headless Chromium through the local stack:
//! logged in, logged out, on a narrow screen.

mod page_support;

use muster_report::probe::{login_url, probes};
use muster_stack::secrets;
use muster_stack::stack::{Stack, StackOptions};
use page_support::*;
use serde_json::json;

#[test]
fn logged_in_overview_passes_muster() {
    let stack = stack(None);
    let browser = browser(&stack);
    assert_eq!(log_in_and_run(&browser, &stack), "pass");
    let verdict_text = browser.text_of("#verdict-text").unwrap();
    assert_eq!(verdict_text.as_deref(), Some("Passes muster"));
    let shown = rows(&browser);
    assert_eq!(shown.len(), probes().len(), "{shown:?}");
    for (id, status) in &shown {
        // A browser holds no token without the scope: those are skipped.
        let expected = if browser_skips(id) { "skip" } else { "pass" };
        assert_eq!(status, expected, "{id}: {}", browser.page_text());
    }
    assert!(row_text(&browser, "auth.insufficient_scope", ".observed").contains("muster-check"));
    // The picture agrees with the groups; a browser never checks Argo CD,
    // so its box is not drawn.
    let shown = assert_picture_matches_groups(&browser);
    for part in [
        "ingress_nginx",
        "gafaelfawr",
        "muster",
        "vault",
        "gafaelfawr_api",
    ] {
        assert_eq!(picture_status(&shown, part), "pass", "{part}");
    }
    assert!(
        shown.iter().all(|(part, _)| part != "node-argo_cd"),
        "{shown:?}"
    );
    assert_eq!(browser.text_of("#login-notice").unwrap(), None);
    // The shell's loading line is gone once the app runs.
    assert_eq!(browser.text_of("#shell-loading").unwrap(), None);
    assert_eq!(
        browser.text_of("#service-name").unwrap().as_deref(),
        Some("muster")
    );

    // The README's screenshot: the verdict and the first rows, closed.
    browser
        .screenshot(&screenshot_path("overview.png"))
        .expect("screenshot");

    // A closed row holds only its summary; a click builds the details:
    // request, credentials mode, response, curl.
    let summary = format!("{} .check-details > summary", row("auth.fail_route"));
    assert_eq!(row_text(&browser, "auth.fail_route", ".exchange"), "");
    browser.click(&summary).unwrap();
    browser
        .wait_for_text(&format!("{} .curl", row("auth.fail_route")), PAGE_TIMEOUT)
        .unwrap();
    let details = row_text(&browser, "auth.fail_route", ".check-details");
    assert!(details.contains("GET http://127.0.0.1:"), "{details}");
    assert!(details.contains("credentials: 'same-origin'"), "{details}");
    assert!(details.contains("HTTP 200"), "{details}");
    assert!(details.contains("\"route\": \"auth/fail\""), "{details}");
    let curl = row_text(&browser, "auth.fail_route", ".curl");
    assert!(curl.contains("Authorization: Bearer $TOKEN"), "{curl}");

    let token = session_token(&browser).expect("logged in");
    let html = expanded_html(&browser);
    assert_no_tokens(&html, Some(&token), "the page");
    assert_nothing_issued(&stack, &html, "the page");
    // Every probe has run: nothing it sent reached Muster's log either.
    let logs = secrets::assert_logs_clean(&stack);
    assert!(logs.contains("delegated/header"), "{logs}");
    assert_no_csp_violations(&browser);
}

#[test]
fn overview_fits_a_narrow_screen_with_every_row_expanded() {
    let stack = stack(None);
    let browser = browser(&stack);
    browser.set_window_size(360, 800).unwrap();
    log_in_and_run(&browser, &stack);
    open_all_details(&browser);
    let widths = browser
        .execute(
            "const e = document.documentElement; \
             return [window.innerWidth, e.clientWidth, e.scrollWidth];",
            json!([]),
        )
        .unwrap();
    let [inner, client, scroll] = serde_json::from_value::<[u64; 3]>(widths).unwrap();
    assert!(inner <= 360, "the window is {inner} px wide");
    assert!(
        scroll <= client && scroll <= 360,
        "horizontal scroll: content {scroll} px in {client} px"
    );
    // The picture stacks: every box within the width, one under another.
    let boxes = browser
        .execute(
            "return [...document.querySelectorAll('.nodes > li')].map(li => { \
             const r = li.getBoundingClientRect(); return [r.left, r.right, r.top]; });",
            json!([]),
        )
        .unwrap();
    let boxes: Vec<[f64; 3]> = serde_json::from_value(boxes).unwrap();
    assert!(boxes.len() >= 8, "{boxes:?}");
    for pair in boxes.windows(2) {
        assert!(
            pair[1][2] > pair[0][2],
            "boxes side by side at 360 px: {boxes:?}"
        );
    }
    assert!(boxes
        .iter()
        .all(|[left, right, _]| *left >= 0.0 && *right <= inner as f64));
    assert_picture_matches_groups(&browser);
    browser
        .screenshot(&screenshot_path("overview-360.png"))
        .expect("screenshot");
    assert_no_csp_violations(&browser);
}

#[test]
fn overview_has_one_heading_outline_and_opens_rows_from_the_keyboard() {
    let stack = stack(None);
    let browser = browser(&stack);
    log_in_and_run(&browser, &stack);
    assert_heading_outline(&browser, "the overview");
    // Every expander is named after its own check, not only "Evidence…".
    let names = browser
        .execute(
            "return [...document.querySelectorAll('.checks > li')].filter(li => \
             li.querySelector('summary')).map(li => [li.querySelector('h3').textContent, \
             li.querySelector('summary').textContent]);",
            json!([]),
        )
        .unwrap();
    let names = names.as_array().expect("title and summary pairs");
    assert!(names.len() >= 10, "{names:?}");
    for pair in names {
        let (title, summary) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        assert!(summary.ends_with(&format!(": {title}")), "{summary}");
    }
    // Every row's expander is a summary: focusable, announced as expanded
    // or collapsed by the browser itself. Enter on one opens it.
    let row_id = "delegated.header_route";
    let details = format!("{} .check-details", row(row_id));
    assert_eq!(
        browser
            .execute(
                "return document.querySelector(arguments[0]).open;",
                json!([details])
            )
            .unwrap(),
        json!(false)
    );
    browser
        .send_keys(&format!("{details} > summary"), "\u{E007}")
        .unwrap();
    let focused = browser
        .execute(
            "return document.activeElement.closest('li').getAttribute('data-check');",
            json!([]),
        )
        .unwrap();
    assert_eq!(focused, json!(row_id));
    browser
        .wait_for_text(&format!("{} .curl", row(row_id)), PAGE_TIMEOUT)
        .unwrap();
    assert_no_csp_violations(&browser);
}

/// The picture's size and where each of its boxes is drawn within it:
/// `[left, top, width, height]`, the picture's own first. (The verdict
/// above it changes height when the run ends; the picture must not.)
const PICTURE_BOXES: &str = "const n = document.querySelector('nav.picture').getBoundingClientRect(); \
     return [...document.querySelectorAll('nav.picture, .nodes > li')].map(e => { \
     const r = e.getBoundingClientRect(); return [r.left - n.left, r.top - n.top, r.width, r.height]; });";

#[test]
fn the_picture_keeps_its_place_as_results_arrive_and_its_boxes_reach_their_rows() {
    let stack = stack(None);
    let browser = browser(&stack);
    // With the anonymous route's answers held, its parts stay running.
    browser.hold_requests("*/muster/anonymous*").unwrap();
    browser.goto(&stack.login_url()).expect("login page loads");
    let before = browser
        .wait_for_script(
            &format!(
                "if (!document.querySelector('.nodes .badge-running')) return null; {PICTURE_BOXES}"
            ),
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("the picture while probes run");
    browser.release_requests().unwrap();
    assert_eq!(verdict(&browser), "pass");
    let after = browser.execute(PICTURE_BOXES, json!([])).unwrap();
    assert_eq!(before, after, "the picture moved when the results arrived");
    assert_picture_matches_groups(&browser);

    // A click on a box scrolls to its group; so does Enter on a focused
    // box, and the group is then where Tab goes on from (the link's target).
    let reached = |group: &str| {
        browser
            .wait_for_script(
                "const g = document.getElementById(arguments[0]); \
                 const r = g.getBoundingClientRect(); \
                 return location.hash === '#' + arguments[0] \
                   && document.querySelector(':target') === g \
                   && r.top >= -1 && r.top < innerHeight ? true : null;",
                json!([group]),
                PAGE_TIMEOUT,
            )
            .unwrap_or_else(|e| panic!("{group} not reached: {e}"));
    };
    browser.click(".node-vault a").unwrap();
    reached("part-vault");
    assert!(browser
        .text_of(&format!("#part-vault {}", row("vault.secret_delivered")))
        .unwrap()
        .is_some());
    browser
        .execute("window.scrollTo(0, 0);", json!([]))
        .unwrap();
    browser.send_keys(".node-gafaelfawr a", "\u{E007}").unwrap();
    reached("part-gafaelfawr");
    assert!(browser
        .text_of(&format!("#part-gafaelfawr {}", row("auth.invalid_token")))
        .unwrap()
        .is_some());
    // A part no check covers (the user directory: only hints name it)
    // says so, and its box leads to the note.
    browser.click(".node-user_directory a").unwrap();
    reached("not-checked");
    assert_no_csp_violations(&browser);
}

#[test]
fn logged_out_overview_offers_login_and_still_runs_the_negative_probes() {
    let stack = stack(None);
    let browser = browser(&stack);
    // The notice does not wait for the slowest probe: with the anonymous
    // route's answers held, it shows while the run is still going.
    browser.hold_requests("*/muster/anonymous*").unwrap();
    browser.goto(&stack.page_url()).expect("page loads");
    browser
        .wait_for_script(
            "return document.querySelector('#login-notice') !== null \
             && document.querySelector('#verdict[data-status=running]') !== null;",
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("the login notice while probes still run");
    browser.release_requests().unwrap();
    let status = verdict(&browser);
    assert_eq!(status, "pass", "{}", browser.page_text());
    // No redirect loop: the page stayed where it was.
    assert_eq!(browser.current_url().unwrap(), stack.page_url());
    let notice = browser.text_of("#login-notice").unwrap().expect("notice");
    assert!(notice.contains("not logged in"), "{notice}");
    // Announced with the verdict, not only shown.
    assert_announced(&browser, "#login-notice");
    let link = browser.attribute_of("#login-link", "href").unwrap();
    assert_eq!(link, Some(login_url(&stack.url(), &stack.page_url())));
    for id in [
        "anonymous.credentials_stripped",
        "anonymous.forged_identity_masked",
        "auth.challenge",
        "auth.malformed_authorization",
        "auth.invalid_token",
        "auth.login_redirect",
    ] {
        assert_eq!(row_status(&browser, id), "pass", "{id}");
    }
    for id in ["auth.fail_route", "delegated.header_route", "auth.quota"] {
        assert_eq!(row_status(&browser, id), "skip", "{id}");
        assert!(row_text(&browser, id, ".observed").contains("not logged in"));
    }
    assert_no_csp_violations(&browser);

    // Following the link logs in and comes back to a full run.
    browser
        .execute("document.querySelector('#login-link').click();", json!([]))
        .unwrap();
    browser
        .wait_for_script(
            "return document.querySelector('#login-notice') === null \
             && document.querySelector('#verdict[data-status=pass]') !== null;",
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("a full run after logging in");
    assert_eq!(row_status(&browser, "delegated.header_route"), "pass");
}

/// Relative luminance (WCAG) of a computed `rgb(r, g, b)` colour.
fn luminance(css: &str) -> f64 {
    let channels: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .take(3)
        .map(|c| c.trim().parse::<f64>().expect("a colour channel") / 255.0)
        .map(|c| {
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        })
        .collect();
    0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
}

/// The WCAG contrast ratio of `css`'s text on the page background.
fn contrast(browser: &muster_stack::webdriver::Browser, css: &str) -> f64 {
    let colours = browser
        .execute(
            "const e = document.querySelector(arguments[0]); \
             return [getComputedStyle(document.body).backgroundColor, getComputedStyle(e).color];",
            json!([css]),
        )
        .expect("WebDriver answers");
    let (background, text) = (
        luminance(colours[0].as_str().unwrap()),
        luminance(colours[1].as_str().unwrap()),
    );
    (background.max(text) + 0.05) / (background.min(text) + 0.05)
}

#[test]
fn dark_colour_scheme_gives_a_dark_readable_page() {
    let stack = stack(None);
    let browser = browser(&stack);
    browser.emulate_color_scheme("dark").unwrap();
    open_and_run(&browser, &stack);
    let background = browser
        .execute(
            "return getComputedStyle(document.body).backgroundColor;",
            json!([]),
        )
        .unwrap();
    assert!(
        luminance(background.as_str().unwrap()) < 0.05,
        "{background}"
    );
    for text in ["h1", ".checks > li h3, .checks > li", "#verdict"] {
        let ratio = contrast(&browser, text);
        assert!(ratio >= 4.5, "{text}: contrast {ratio:.1} below WCAG AA");
    }
    browser
        .screenshot(&screenshot_path("overview-dark.png"))
        .unwrap();
    assert_no_csp_violations(&browser);
}

#[test]
fn a_user_without_the_route_scope_is_told_it_is_their_account() {
    let mut options = StackOptions::default();
    let config = &mut options.gafaelfawr;
    let login_user = config.login_user.clone();
    let user = config
        .users
        .iter_mut()
        .find(|user| user.username == login_user)
        .expect("the login user is listed");
    // The chart's Muster ingresses require read:image.
    user.scopes.retain(|scope| scope != "read:image");
    let stack = Stack::start(options).expect("stack starts");
    let browser = browser(&stack);
    log_in_and_run(&browser, &stack);
    let notice = browser
        .text_of("#account-notice")
        .unwrap()
        .expect("the account notice");
    assert!(notice.contains("not with the platform"), "{notice}");
    assert_eq!(browser.text_of("#login-notice").unwrap(), None);
    // The platform passed what could run, but that is no clean bill of health.
    let verdict = browser
        .text_of("#verdict-text")
        .unwrap()
        .unwrap_or_default();
    assert_eq!(verdict, "No problems in the checks that could run");
    for id in ["auth.fail_route", "delegated.header_route", "auth.quota"] {
        assert_eq!(row_status(&browser, id), "skip", "{id}");
        let observed = row_text(&browser, id, ".observed");
        assert!(
            observed.contains("lacks scope read:image"),
            "{id}: {observed}"
        );
        assert!(observed.contains("not the platform"), "{id}: {observed}");
        let fix = row_text(&browser, id, ".fix");
        assert!(fix.contains("look at your account"), "{id}: {fix}");
        assert!(fix.contains("read:image"), "{id}: {fix}");
    }
    // What the platform does for everyone still passes.
    for id in ["anonymous.credentials_stripped", "auth.challenge"] {
        assert_eq!(row_status(&browser, id), "pass", "{id}");
    }
    assert_no_csp_violations(&browser);
}
