//! The share link: made on the overview, opened in a fresh browser with no
//! cookies, and hostile links that must show an error and run nothing.

mod page_support;

use muster_report::model::{Check, Evidence, Status};
use muster_report::probe::run::Run;
use muster_report::probe::snapshot::{self, Snapshot, MAX_PAYLOAD_CHARS};
use muster_report::probe::{Client, ProbeResult};
use muster_stack::share;
use page_support::*;
use serde_json::json;

#[test]
fn share_link_round_trip_shows_the_same_verdicts_without_secrets() {
    let stack = stack(None);
    let browser = browser(&stack);
    let live_status = log_in_and_run(&browser, &stack);
    let live_rows = rows(&browser);
    let token = session_token(&browser).expect("logged in");
    // The link is encoded in the frame after the verdict.
    let link = browser
        .wait_for_script(
            "const e = document.querySelector('#share-link'); return e && e.value;",
            json!([]),
            PAGE_TIMEOUT,
        )
        .expect("a share link");
    let link = link.as_str().unwrap_or_default().to_owned();
    assert!(
        link.starts_with(&format!("{}report#v2.", stack.page_url())),
        "{link}"
    );
    // The link's text is compressed: what it carries is what to search.
    let carried = share::carried_json(&link).expect("the link decodes");
    assert_no_tokens(&carried, Some(&token), "the share link");
    assert_nothing_issued(&stack, &carried, "the share link");
    assert!(!carried.contains("someuser"), "identity was left out");
    let shared = snapshot::decode(&link).expect("the link decodes");
    assert!(!shared.identity_included);

    // The toggle puts the identity back in.
    browser
        .execute(
            "document.querySelector('#share-hide-identity').click();",
            json!([]),
        )
        .unwrap();
    let with_identity = browser
        .wait_for_script(
            "const v = document.querySelector('#share-link').value; \
             return v !== arguments[0] ? v : null;",
            json!([link]),
            PAGE_TIMEOUT,
        )
        .unwrap();
    let with_identity = with_identity.as_str().unwrap();
    let carried = share::carried_json(with_identity).expect("the link decodes");
    assert_no_tokens(&carried, Some(&token), "the share link with identity");
    assert_nothing_issued(&stack, &carried, "the share link with identity");
    let with_identity = snapshot::decode(with_identity).unwrap();
    assert!(with_identity.identity_included);
    assert!(serde_json::to_string(&with_identity)
        .unwrap()
        .contains("someuser"));

    // Copying selects the whole link first, for when the browser will not
    // write to the clipboard, and says which happened.
    browser.click("#copy-share-link").unwrap();
    let said = browser
        .wait_for_script(
            "const t = document.querySelector('.copied').textContent; return t || null;",
            json!([]),
            PAGE_TIMEOUT,
        )
        .unwrap();
    let said = said.as_str().unwrap_or_default();
    assert!(
        said == "Copied." || said.starts_with("The browser would not copy"),
        "{said}"
    );
    let selected = browser
        .execute(
            "const e = document.querySelector('#share-link'); \
             return [e.selectionStart, e.selectionEnd, e.value.length];",
            json!([]),
        )
        .unwrap();
    let length = selected[2].as_u64().unwrap();
    assert!(length > 0);
    assert_eq!(selected, json!([0, length, length]));

    let fresh = page_support::browser(&stack);
    fresh.goto(&link).expect("the link opens");
    assert_eq!(verdict(&fresh), live_status);
    assert_eq!(rows(&fresh), live_rows);
    let banner = fresh
        .wait_for_text("#snapshot-banner", PAGE_TIMEOUT)
        .unwrap();
    assert!(banner.contains("Snapshot"), "{banner}");
    assert!(banner.contains("not live"), "{banner}");
    assert_eq!(fresh.text_of("#snapshot-host").unwrap(), Some(stack.url()));
    assert_eq!(
        fresh.text_of("#snapshot-age").unwrap().as_deref(),
        Some("just now")
    );
    let run_live = fresh
        .execute(
            "return document.querySelector('#run-live').href;",
            json!([]),
        )
        .unwrap();
    assert_eq!(run_live, json!(stack.page_url()));
    assert!(
        fresh.cookies().unwrap().is_empty(),
        "the fresh profile has no session"
    );
    let html = expanded_html(&fresh);
    assert_no_tokens(&html, Some(&token), "the snapshot page");
    assert_nothing_issued(&stack, &html, "the snapshot page");
    assert!(!fresh.page_text().contains("someuser@example.com"));
    assert_no_csp_violations(&fresh);
}

/// The token scan of a share link finds a token planted in it, which the
/// decoder alone would have hidden.
#[test]
fn share_link_scan_finds_a_planted_token() {
    let planted = "gt-PlantedKeyPlantedKey00.PlantedSecretPlanted00";
    let snapshot = Snapshot {
        run: Run::new(
            format!("0.0.0 {planted}"),
            "https://h.example",
            0,
            Client::Browser,
            Vec::new(),
        ),
        identity_included: true,
        answers_abridged: false,
    };
    // Compressed by hand (a first-format link): the encoder would scrub
    // the token.
    let json = serde_json::to_vec(&snapshot).unwrap();
    let payload =
        snapshot::Format::V1.payload_of(&miniz_oxide::deflate::compress_to_vec_zlib(&json, 6));
    let decoded = serde_json::to_string(&snapshot::decode(&payload).unwrap()).unwrap();
    assert!(!decoded.contains("PlantedSecret"), "{decoded}");
    let carried = share::carried_json(&payload).unwrap();
    for token in [None, Some(planted)] {
        let caught = std::panic::catch_unwind(|| assert_no_tokens(&carried, token, "planted"));
        assert!(
            caught.is_err(),
            "the planted token was not found ({token:?})"
        );
    }
}

/// A run whose texts are markup and script, as an attacker would craft it.
fn hostile_run() -> Run {
    let check = Check {
        id: "evil.check".into(),
        title: "<img src=x onerror=\"window.__pwned=1\">".into(),
        proves: "<script>window.__pwned=2</script>".into(),
        status: Status::Fail,
        observed: "<b onmouseover=\"window.__pwned=3\">bold</b>".into(),
        evidence: vec![Evidence::new(
            "<svg onload=\"window.__pwned=5\">",
            "<script>window.__pwned=6</script>",
        )],
        fix: None,
        skip_reason: None,
    };
    let result = ProbeResult {
        check,
        exchanges: Vec::new(),
    };
    Run::new(
        "<i>1</i>",
        "https://evil.example",
        0,
        Client::Browser,
        vec![result],
    )
}

#[test]
fn hostile_share_links_show_an_error_and_run_nothing() {
    let stack = stack(None);
    let browser = browser(&stack);
    let report = format!("{}report", stack.page_url());
    let good = snapshot::encode(&hostile_run(), true);
    let cases = [
        ("truncated", format!("{report}#{}", &good[..good.len() / 2])),
        (
            "too long",
            format!("{report}#v1.{}", "A".repeat(MAX_PAYLOAD_CHARS + 1)),
        ),
        ("unknown version", format!("{report}#v9.{}", &good[3..])),
        (
            "not a snapshot",
            format!("{report}#<script>window.__pwned=4</script>"),
        ),
        ("empty", report.clone()),
    ];
    for (case, link) in cases {
        // A fragment-only change would not reload the page.
        browser.goto("about:blank").unwrap();
        browser.goto(&link).unwrap();
        let error = browser
            .wait_for_text("#snapshot-error", PAGE_TIMEOUT)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(error.contains("cannot be shown"), "{case}: {error}");
        assert!(
            browser.text_of("#run-live").unwrap().is_some(),
            "{case}: no way to run live"
        );
        assert_eq!(browser.text_of("#verdict").unwrap(), None, "{case}");
        let pwned = browser
            .execute("return window.__pwned;", json!([]))
            .unwrap();
        assert_eq!(pwned, serde_json::Value::Null, "{case}");
    }

    // Well-formed zlib that unpacks past the decoder's limit: the page
    // stops reading the browser's inflater there and says why.
    let spaces = vec![b' '; snapshot::MAX_DECOMPRESSED_BYTES + 1];
    let bomb = snapshot::payload_of(&miniz_oxide::deflate::compress_to_vec_zlib(&spaces, 6));
    browser.goto("about:blank").unwrap();
    browser.goto(&format!("{report}#{bomb}")).unwrap();
    let error = browser
        .wait_for_text("#snapshot-error", PAGE_TIMEOUT)
        .unwrap();
    let too_large = snapshot::SnapshotError::TooLargeDecompressed.to_string();
    assert!(error.contains(&too_large), "{error}");

    // Well-formed, so shown — but every string as text.
    browser.goto("about:blank").unwrap();
    browser.goto(&format!("{report}#{good}")).unwrap();
    assert_eq!(verdict(&browser), "fail");
    let title = browser
        .text_of(&format!("{} .check-title", row("evil.check")))
        .unwrap();
    assert_eq!(
        title.as_deref(),
        Some("<img src=x onerror=\"window.__pwned=1\">")
    );
    open_all_details(&browser);
    let text = browser.page_text();
    assert!(text.contains("<script>window.__pwned=2</script>"), "{text}");
    assert!(text.contains("<b onmouseover="), "{text}");
    assert!(text.contains("<svg onload="), "{text}");
    assert!(text.contains("<script>window.__pwned=6</script>"), "{text}");
    let injected = browser
        .execute(
            "return document.querySelectorAll('main img, main script, main b, main svg').length;",
            json!([]),
        )
        .unwrap();
    assert_eq!(injected, json!(0));
    let pwned = browser
        .execute("return window.__pwned;", json!([]))
        .unwrap();
    assert_eq!(pwned, serde_json::Value::Null);
    assert_no_csp_violations(&browser);
}

/// The share link `muster-check` prints opens in the page, in a browser
/// with no session, and shows the CLI's verdicts row for row.
#[test]
fn cli_share_link_opens_in_the_page_with_the_cli_verdicts() {
    let stack = stack(Some("no-autherror"));
    let url = stack.url();
    let bootstrap = stack.gafaelfawr().bootstrap_token().to_owned();
    let args = ["--url", url.as_str(), "--format", "json"].map(str::to_owned);
    let env = [("GAFAELFAWR_BOOTSTRAP_TOKEN".to_owned(), bootstrap.clone())].into();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let exit = muster_check::run(
        &args,
        &env,
        muster_check::Io {
            stdin: &mut &b""[..],
            stdout: &mut stdout,
            stderr: &mut stderr,
            stdout_is_terminal: false,
        },
    );
    assert_eq!(exit, muster_check::Exit::Failed);
    let run: Run = serde_json::from_slice(&stdout).expect("the JSON output is a Run");
    let stderr = String::from_utf8(stderr).unwrap();
    let link = stderr
        .lines()
        .find_map(|line| line.strip_prefix("Share link: "))
        .unwrap_or_else(|| panic!("no share link in: {stderr}"))
        .trim()
        .to_owned();
    let carried = share::carried_json(&link).expect("the link decodes");
    assert_no_tokens(&carried, Some(&bootstrap), "the CLI's share link");
    assert_nothing_issued(&stack, &carried, "the CLI's share link");
    let printed = format!("{}{stderr}", String::from_utf8_lossy(&stdout));
    assert_nothing_issued(&stack, &printed, "the CLI's output");

    let browser = page_support::browser(&stack);
    browser.goto(&link).expect("the link opens");
    assert_eq!(verdict(&browser), "fail");
    let expected: Vec<(String, String)> = run
        .checks()
        .map(|check| (check.id.clone(), check.status.as_str().to_owned()))
        .collect();
    assert_eq!(rows(&browser), expected);
    assert_eq!(row_status(&browser, "auth.malformed_authorization"), "fail");
    assert!(
        browser.cookies().unwrap().is_empty(),
        "no session was needed"
    );
    assert_no_csp_violations(&browser);
}
