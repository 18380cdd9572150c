//! No secret ever leaves Muster, and hostile input never crashes it:
//! canary tokens planted in every credential-bearing header are searched
//! for in every response body and every log line.

use std::time::Duration;

use crate::support::*;

/// The planted delegated/user token; its key and secret must never appear.
const CANARY: &str = "gt-CanaryKeyCanaryKey0000.CanarySecretCanary0000";
/// A second planted token: the same key with another secret, as a client
/// with a wrong or stale token sends it.
const WRONG_CANARY: &str = "gt-CanaryKeyCanaryKey0000.CanarySecretCanary0001";
/// The planted secret from Vault, in the file Muster reports on.
const VAULT_CANARY: &str = "VaultCanaryPassword0000";
const CANARY_PARTS: [&str; 5] = [
    "CanaryKeyCanaryKey0000",
    "CanarySecretCanary0000",
    "CanarySecretCanary0001",
    "SessionCanaryValue",
    VAULT_CANARY,
];

fn assert_clean(text: &str, context: &str) {
    for part in CANARY_PARTS {
        assert!(!text.contains(part), "{context} leaks {part}:\n{text}");
    }
}

#[tokio::test]
async fn canary_tokens_never_reach_a_body_or_a_log_line() {
    let logs = LogBuffer::default();
    // The fake answers with the token echoed in its error body, the worst
    // case for a client that shows evidence.
    let echoing = Reply::status(
        401,
        &format!(r#"{{"detail":[{{"msg":"bad token {CANARY}","type":"invalid_token"}}]}}"#),
    );
    let fake = FakeGafaelfawr::start(echoing, Reply::ok(INTERNAL_TOKEN)).await;
    let vault = tempfile::tempdir().unwrap();
    let vault_file = vault.path().join("vault-check");
    std::fs::write(&vault_file, VAULT_CANARY).unwrap();
    let f = fixture(&[
        ("MUSTER_VAULT_SECRET_FILE", vault_file.to_str().unwrap()),
        ("MUSTER_GAFAELFAWR_URL", &fake.base),
        ("MUSTER_LOG_LEVEL", "trace"),
        ("MUSTER_GAFAELFAWR_TIMEOUT", "0.5"),
    ]);
    let _guard = tracing::subscriber::set_default(muster_server::logging::subscriber(
        &f.config,
        logs.clone(),
    ));
    let bearer = format!("Bearer {CANARY}");
    let cookie = "gafaelfawr=SessionCanaryValue42; theme=dark".to_owned();
    let planted = [
        ("authorization", bearer.as_str()),
        ("cookie", cookie.as_str()),
        ("x-auth-request-user", "alice"),
        ("x-auth-request-token", CANARY),
    ];
    let wrong_bearer = format!("Bearer {WRONG_CANARY}");
    let wrong_bearer = [("authorization", wrong_bearer.as_str())];
    let paths = [
        "/muster/",
        "/muster/anonymous",
        "/muster/auth/fail",
        "/muster/auth/vinyl",
        "/muster/delegated/header",
        "/muster/delegated/authorization",
        &format!("/muster/{CANARY}"),
    ];
    for path in paths {
        for (accept, query) in [
            ("*/*", ""),
            ("*/*", "?report=true"),
            (BROWSER, ""),
            ("application/vnd.muster.report+json", ""),
        ] {
            let uri = format!("{path}{query}");
            let mut headers = planted.to_vec();
            headers.push(("accept", accept));
            let answer = get(&f.router, &uri, &headers).await;
            assert_clean(&answer.body, &uri);
            assert_clean(&format!("{:?}", answer.headers), &uri);
            let mut wrong = wrong_bearer.to_vec();
            wrong.extend(&planted[1..]);
            let answer = get(&f.router, &uri, &wrong).await;
            assert_clean(&answer.body, &uri);
            assert_clean(&format!("{:?}", answer.headers), &uri);
        }
    }
    let logged = logs.text();
    assert!(
        logged.contains("\"path\""),
        "no request lines logged:\n{logged}"
    );
    assert!(logged.contains("Gafaelfawr call failed"), "{logged}");
    assert_clean(&logged, "the log");
}

#[tokio::test]
async fn every_request_is_logged_as_one_json_line() {
    let logs = LogBuffer::default();
    let f = fixture(&[]);
    let _guard = tracing::subscriber::set_default(muster_server::logging::subscriber(
        &f.config,
        logs.clone(),
    ));
    get(
        &f.router,
        "/muster/anonymous",
        &[("authorization", "Bearer secret-value")],
    )
    .await;
    let logged = logs.text();
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 1, "{logged}");
    let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["path"], "/muster/anonymous");
    assert_eq!(line["status"], 500);
    assert!(!logged.contains("secret-value"));
}

#[tokio::test]
async fn percent_encoded_tokens_in_a_path_are_not_logged() {
    let logs = LogBuffer::default();
    let f = fixture(&[]);
    let _guard = tracing::subscriber::set_default(muster_server::logging::subscriber(
        &f.config,
        logs.clone(),
    ));
    let (key, secret) = CANARY.split_once('.').unwrap();
    let key = &key[3..];
    let paths = [
        format!("/muster/auth/gt-{key}%2E{secret}"),
        format!("/muster/auth/%67t-{key}.{secret}"),
        format!("/muster/auth/gt%2D{key}.{secret}"),
    ];
    for path in &paths {
        get(&f.router, path, &[]).await;
    }
    let logged = logs.text();
    assert_eq!(logged.lines().count(), paths.len(), "{logged}");
    assert_clean(&logged, "the log");
}

#[tokio::test]
async fn invalid_utf8_user_is_a_422_not_a_crash() {
    let f = fixture(&[]);
    let headers = [("x-auth-request-user", vec![0xff, 0xfe, 0x41])];
    let answer = get_raw(&f.router, "/muster/auth/fail", &headers).await;
    assert_eq!(answer.status.as_u16(), 422);
    assert_eq!(
        answer.body,
        r#"{"detail":[{"type":"string_unicode","loc":["header","x-auth-request-user"],"msg":"Input should be a valid string, unable to parse raw data as a unicode string","input":null}]}"#
    );
    let report = get_raw(&f.router, "/muster/auth/fail?report=true", &headers).await;
    assert_eq!(
        report.check("auth.user_header")["evidence"][0]["value"],
        "(3 bytes, not UTF-8)"
    );
}

#[tokio::test]
async fn invalid_utf8_authorization_fails_as_unexpected() {
    let f = fixture(&[]);
    let headers = [("authorization", vec![b'B', 0xff])];
    let answer = get_raw(&f.router, "/muster/anonymous", &headers).await;
    assert_eq!(answer.status.as_u16(), 500);
    assert_eq!(answer.json()["detail"][0]["type"], "unexpected_header");
}

#[tokio::test]
async fn huge_header_values_are_cut_in_evidence() {
    let f = fixture(&[]);
    let huge = "u".repeat(60_000);
    let answer = get(
        &f.router,
        "/muster/auth/fail?report=true",
        &[("x-auth-request-user", &huge)],
    )
    .await;
    assert_eq!(answer.status.as_u16(), 200);
    assert!(
        answer.body.len() < 10_000,
        "report is {} bytes",
        answer.body.len()
    );
    assert!(answer.body.contains("…(60000 chars)"));
    let upstream = get(
        &f.router,
        "/muster/auth/fail",
        &[("x-auth-request-user", &huge)],
    )
    .await;
    assert_eq!(
        upstream.status.as_u16(),
        200,
        "upstream echoes the user as it is"
    );
}

#[tokio::test]
async fn repeated_authorization_headers_fail_the_bearer_check() {
    let fake = FakeGafaelfawr::healthy().await;
    let f = with_gafaelfawr(&fake.base);
    let bearer = format!("Bearer {TOKEN}");
    let owned = delegated_headers();
    let mut headers = borrow(&owned);
    headers.push(("authorization", &bearer));
    headers.push(("authorization", &bearer));
    let answer = get(&f.router, "/muster/delegated/authorization", &headers).await;
    assert_eq!(answer.status.as_u16(), 500);
    let detail = &answer.json()["detail"][0];
    assert_eq!(detail["type"], "incorrect_header");
    assert_eq!(
        detail["msg"],
        "Header Authorization has an incorrect value: Bearer gt-AbCd…(48 chars), Bearer gt-AbCd…(48 chars)"
    );
    let anonymous = get(
        &f.router,
        "/muster/anonymous?report=true",
        &[("authorization", "a"), ("authorization", "b")],
    )
    .await;
    let observed = anonymous.check("anonymous.no_authorization")["observed"].to_string();
    assert!(observed.contains("2 Authorization headers"), "{observed}");
}

#[tokio::test]
async fn huge_garbage_from_gafaelfawr_is_invalid_json() {
    let garbage = "x".repeat(1024 * 1024);
    let fake = FakeGafaelfawr::start(Reply::ok(&garbage), Reply::ok(&garbage)).await;
    let f = with_gafaelfawr(&fake.base);
    let answer = get(
        &f.router,
        "/muster/delegated/header?report=true",
        &borrow(&delegated_headers()),
    )
    .await;
    let check = answer.check("delegated.user_info");
    assert_eq!(check["status"], "fail");
    assert!(
        check["observed"].as_str().unwrap().contains("larger than"),
        "{check}"
    );
    assert!(answer.body.len() < 20_000);
}

#[tokio::test]
async fn concurrent_slow_calls_all_end_within_the_timeout() {
    let slow = Reply {
        delay: Duration::from_secs(30),
        ..Reply::ok(ALICE)
    };
    let fake = FakeGafaelfawr::start(slow.clone(), slow).await;
    let f = fixture(&[
        ("MUSTER_GAFAELFAWR_URL", &fake.base),
        ("MUSTER_GAFAELFAWR_TIMEOUT", "0.3"),
    ]);
    let owned = delegated_headers();
    let headers = borrow(&owned);
    let requests = (0..8).map(|_| get(&f.router, "/muster/delegated/header", &headers));
    let started = std::time::Instant::now();
    let answers = futures_join_all(requests).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    for answer in answers {
        assert_eq!(answer.status.as_u16(), 500);
        assert_eq!(answer.json()["detail"][0]["type"], "gafaelfawr_error");
    }
}

/// Awaits every future concurrently on the current task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    let mut outputs = Vec::with_capacity(set.len());
    let mut pending: Vec<_> = set.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for (slot, result) in pending.iter_mut().zip(results.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(output) => {
                        *result = Some(output);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.extend(results.into_iter().flatten());
    outputs
}
