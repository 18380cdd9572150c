use super::quota::quota_window_rolled_over;
use super::*;
use crate::model::{Check, Route, Status};
use crate::probe::testing::*;

/// What a check skipped for want of a session says.
const NOT_LOGGED_IN: &str = SkipReason::NotLoggedIn.sentence();
const CHALLENGE: &str = "Bearer realm=\"data.example.org\"";
const NGINX_401: &str = "<html><body>401 Authorization Required</body></html>";
const NGINX_404: &str = "<html><head><title>404 Not Found</title></head></html>";

/// Probe `id` judged on one response to its first request.
fn one(id: &str, client: Client, status: u16, headers: &[(&str, &str)], body: &str) -> Check {
    let sent = prepared(id, client);
    judge(id, vec![respond(&sent[0], status, headers, body)], client).check
}

fn status(id: &str, client: Client, status: u16, headers: &[(&str, &str)], body: &str) -> Status {
    one(id, client, status, headers, body).status
}

#[test]
fn every_probe_passes_a_healthy_deployment() {
    for client in [Client::Cli, Client::Browser] {
        for probe in crate::probe::probes() {
            if probe.prepare("https://h", client, &cli_tokens()).is_err() {
                continue;
            }
            let result = judge(
                probe.description.id,
                healthy_exchanges(probe.description.id, client),
                client,
            );
            assert_eq!(
                result.check.status,
                Status::Pass,
                "{client:?} {:#?}",
                result.check
            );
            assert_eq!(result.check.fix, None);
        }
    }
}

#[test]
fn undeployed_routes_are_skipped_not_failed() {
    for id in ["auth.challenge", "auth.fail_route", "auth.login_redirect"] {
        let check = one(id, Client::Cli, 404, &[], NGINX_404);
        assert_eq!(check.status, Status::Skip, "{id}");
        assert!(
            check.observed.contains("Not deployed"),
            "{}",
            check.observed
        );
    }
}

#[test]
fn musters_own_404_is_a_failure() {
    let body = r#"{"detail":"Not Found"}"#;
    assert_eq!(
        status("auth.fail_route", Client::Cli, 404, &[], body),
        Status::Fail
    );
}

#[test]
fn transport_errors_fail_with_the_message() {
    let sent = prepared("auth.challenge", Client::Cli);
    let exchange = Exchange::transport_error(&sent[0], "dns error: no such host", 3);
    let check = judge("auth.challenge", vec![exchange], Client::Cli).check;
    assert_eq!(check.status, Status::Fail);
    assert!(check.observed.contains("no such host"));
    assert_eq!(check.fix.unwrap().component, Component::IngressNginx);
}

#[test]
fn challenge_must_be_a_bearer_401() {
    let id = "auth.challenge";
    let basic = one(
        id,
        Client::Cli,
        401,
        &[("www-authenticate", "Basic realm=\"x\"")],
        "",
    );
    assert_eq!(basic.status, Status::Fail);
    assert_eq!(status(id, Client::Cli, 401, &[], NGINX_401), Status::Fail);
    let open = one(id, Client::Cli, 200, &[], r#"{"username":"x"}"#);
    assert_eq!(open.status, Status::Fail);
    assert!(open.observed.contains("not protected"), "{}", open.observed);
    assert_eq!(
        status(
            id,
            Client::Browser,
            401,
            &[("www-authenticate", CHALLENGE)],
            NGINX_401
        ),
        Status::Pass
    );
}

#[test]
fn malformed_authorization_needs_400_with_invalid_request() {
    let id = "auth.malformed_authorization";
    let body =
        r#"{"detail":[{"msg":"Unknown Authorization type Token","type":"invalid_request"}]}"#;
    assert_eq!(status(id, Client::Browser, 400, &[], body), Status::Pass);
    assert_eq!(status(id, Client::Cli, 400, &[], "bad"), Status::Fail);
    let bare = one(id, Client::Cli, 403, &[("www-authenticate", CHALLENGE)], "");
    assert_eq!(bare.status, Status::Fail);
    assert_eq!(bare.fix.unwrap().component, Component::IngressNginx);
}

#[test]
fn unknown_token_needs_401_invalid_token() {
    let id = "auth.invalid_token";
    let invalid =
        "Bearer realm=\"h\", error=\"invalid_token\", error_description=\"Token is not valid\"";
    let header = [("www-authenticate", invalid)];
    assert_eq!(
        status(id, Client::Cli, 401, &header, NGINX_401),
        Status::Pass
    );
    let json = r#"{"detail":[{"msg":"Token is not valid","type":"invalid_token"}]}"#;
    assert_eq!(status(id, Client::Cli, 401, &header, json), Status::Pass);
    let wrong = r#"{"detail":{"msg":"x","type":"no_authorization"}}"#;
    assert_eq!(status(id, Client::Cli, 401, &header, wrong), Status::Fail);
    let plain = [("www-authenticate", CHALLENGE)];
    assert_eq!(
        status(id, Client::Cli, 401, &plain, NGINX_401),
        Status::Fail
    );
    assert_eq!(status(id, Client::Cli, 200, &[], "{}"), Status::Fail);
}

#[test]
fn missing_scope_needs_403_naming_the_scope() {
    let id = "auth.insufficient_scope";
    let with = "Bearer realm=\"h\", error=\"insufficient_scope\", error_description=\"Token missing required scope\", scope=\"read:image\"";
    let check = one(id, Client::Cli, 403, &[("www-authenticate", with)], "");
    assert_eq!(check.status, Status::Pass);
    assert!(check.observed.contains("read:image"), "{}", check.observed);
    let without = "Bearer realm=\"h\", error=\"insufficient_scope\"";
    assert_eq!(
        status(id, Client::Cli, 403, &[("www-authenticate", without)], ""),
        Status::Fail
    );
    assert_eq!(status(id, Client::Cli, 403, &[], ""), Status::Fail);
    let accepted = one(id, Client::Cli, 200, &[], r#"{"username":"bot-x"}"#);
    assert_eq!(accepted.status, Status::Fail);
    assert_eq!(
        accepted.fix.unwrap().component,
        Component::GafaelfawrIngress
    );
}

#[test]
fn login_redirect_accepts_an_opaque_redirect_in_the_browser() {
    let id = "auth.login_redirect";
    let sent = prepared(id, Client::Browser);
    let opaque = judge(
        id,
        vec![Exchange::opaque_redirect(&sent[0], 2)],
        Client::Browser,
    );
    assert_eq!(opaque.check.status, Status::Pass);
    // The browser hides the target; the evidence must not say nginx sent none.
    let location = opaque.check.evidence.iter().find(|e| e.name == "Location");
    assert_eq!(
        location.map(|e| e.value.as_str()),
        Some("(hidden by the browser)")
    );
    assert_eq!(
        status(
            id,
            Client::Browser,
            401,
            &[("www-authenticate", CHALLENGE)],
            NGINX_401
        ),
        Status::Fail
    );
}

#[test]
fn login_redirect_in_the_cli_must_go_to_login() {
    let id = "auth.login_redirect";
    let login = [(
        "location",
        "https://h/login?rd=https%3A%2F%2Fh%2Fmuster%2Fauth%2Fredirect",
    )];
    assert_eq!(status(id, Client::Cli, 302, &login, ""), Status::Pass);
    let elsewhere = one(
        id,
        Client::Cli,
        302,
        &[("location", "https://elsewhere/")],
        "",
    );
    assert_eq!(elsewhere.status, Status::Fail);
    assert!(elsewhere.observed.contains("https://elsewhere/"));
    let challenged = one(
        id,
        Client::Cli,
        401,
        &[("www-authenticate", CHALLENGE)],
        NGINX_401,
    );
    assert_eq!(challenged.status, Status::Fail);
    assert!(challenged.observed.contains("loginRedirect"));
}

#[test]
fn route_reports_fold_the_first_failing_server_check() {
    let leaked = report_body(&crate::received::checks::testing::observe(
        Route::AuthFail,
        &[
            ("x-auth-request-user", USERNAME),
            ("authorization", &format!("Bearer {USER_TOKEN}")),
            ("cookie", &format!("gafaelfawr={USER_TOKEN}")),
        ],
    ));
    let check = one("auth.fail_route", Client::Cli, 200, &[], &leaked);
    assert_eq!(check.status, Status::Fail);
    assert!(
        check
            .observed
            .starts_with("Muster's check \"The user's token does not reach the backend\" failed: ")
            && check
                .observed
                .ends_with("(1 more server check failed: auth.no_gafaelfawr_cookie)"),
        "{}",
        check.observed
    );
    let fix = check.fix.unwrap();
    assert_eq!(fix.component, Component::GafaelfawrIngress);
    assert!(fix.hint.contains("auth-response-headers"));
    assert!(check
        .evidence
        .iter()
        .any(|e| e.name == "server check" && e.value == "auth.no_authorization"));
    assert!(!format!("{:?}", check.evidence).contains("CanaryUserSecret"));
}

#[test]
fn route_report_warnings_stay_warnings() {
    let mut observed = healthy_observation(Route::DelegatedHeader);
    if let Some(Ok(info)) = &mut observed.gafaelfawr.user_info {
        info.uid = None;
    }
    let check = one(
        "delegated.header_route",
        Client::Cli,
        200,
        &[],
        &report_body(&observed),
    );
    assert_eq!(check.status, Status::Warn);
    assert_eq!(check.fix.unwrap().component, Component::UserDirectory);
}

#[test]
fn a_report_of_another_route_or_no_report_fails() {
    let id = "auth.cached_route";
    let other = healthy_report(Route::AuthFail);
    assert_eq!(status(id, Client::Cli, 200, &[], &other), Status::Fail);
    let html = one(id, Client::Cli, 200, &[], "<!doctype html><html></html>");
    assert_eq!(html.status, Status::Fail);
    assert_eq!(html.fix.unwrap().component, Component::MusterConfiguration);
    assert_eq!(
        status(id, Client::Cli, 502, &[], "Bad Gateway"),
        Status::Fail
    );
}

#[test]
fn logged_out_browser_skips_user_probes_with_the_login_marker() {
    let unauthorized = one(
        "delegated.authorization_route",
        Client::Browser,
        401,
        &[("www-authenticate", CHALLENGE)],
        NGINX_401,
    );
    assert_eq!(
        (unauthorized.status, unauthorized.observed.as_str()),
        (Status::Skip, NOT_LOGGED_IN)
    );
    let sent = prepared("auth.redirect_route", Client::Browser);
    let redirected = judge(
        "auth.redirect_route",
        vec![Exchange::opaque_redirect(&sent[0], 1)],
        Client::Browser,
    );
    assert_eq!(redirected.check.observed, NOT_LOGGED_IN);
}

#[test]
fn rejected_cli_token_fails_pointing_at_the_token() {
    let check = one(
        "auth.fail_route",
        Client::Cli,
        401,
        &[("www-authenticate", CHALLENGE)],
        NGINX_401,
    );
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.fix.unwrap().component, Component::UserAccount);
    // A token about to expire is valid, but Gafaelfawr will not delegate
    // from it: the message says so rather than "not valid".
    let short = format!(
        "{CHALLENGE}, error=\"invalid_token\", \
         error_description=\"Remaining token lifetime too short\""
    );
    let check = one(
        "delegated.header_route",
        Client::Cli,
        401,
        &[("www-authenticate", &short)],
        NGINX_401,
    );
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.contains("under 5 minutes"),
        "{}",
        check.observed
    );
}

#[test]
fn account_without_the_scope_is_about_the_account() {
    let challenge = "Bearer realm=\"h\", error=\"insufficient_scope\", error_description=\"Token missing required scope\", scope=\"exec:admin\"";
    let header = [("www-authenticate", challenge)];
    let browser = one("auth.fail_route", Client::Browser, 403, &header, "");
    assert_eq!(browser.status, Status::Skip);
    assert!(browser
        .observed
        .contains("Your account lacks scope exec:admin"));
    let fix = browser.fix.unwrap();
    assert_eq!(fix.component, Component::UserAccount);
    assert!(fix.hint.contains("exec:admin"));
    let cli = one("auth.fail_route", Client::Cli, 403, &header, "");
    assert_eq!(
        (cli.status, cli.fix.unwrap().component),
        (Status::Fail, Component::UserAccount)
    );
}

fn quota(first: Exchange, second: Exchange) -> Check {
    judge("auth.quota", vec![first, second], Client::Cli).check
}

fn limited(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut headers = rate_headers("0");
    headers.extend_from_slice(extra);
    headers
}

const RETRY: (&str, &str) = ("retry-after", "Thu, 01 Jan 2026 00:01:00 GMT");
const RATE_LIMITED: &str = r#"{"detail":[{"msg":"Rate limit exceeded","type":"rate_limited"}]}"#;

#[test]
fn quota_passes_on_200_then_429() {
    let sent = prepared("auth.quota", Client::Cli);
    let check = quota(
        respond(&sent[0], 200, &rate_headers("0"), "{}"),
        respond(&sent[1], 429, &limited(&[RETRY]), RATE_LIMITED),
    );
    assert_eq!(check.status, Status::Pass);
    assert!(check.observed.starts_with("200 with"), "{}", check.observed);
    assert!(check.evidence.iter().any(|e| e.name == "second answer"
        && e.value.starts_with("HTTP 429; X-RateLimit-Limit: ")
        && e.value.contains(", Retry-After: ")));
}

#[test]
fn quota_passes_on_an_immediate_429_and_says_so() {
    let sent = prepared("auth.quota", Client::Cli);
    let check = quota(
        respond(&sent[0], 429, &limited(&[RETRY]), RATE_LIMITED),
        respond(&sent[1], 429, &limited(&[RETRY]), RATE_LIMITED),
    );
    assert_eq!(check.status, Status::Pass);
    assert!(
        check.observed.contains("already used"),
        "{}",
        check.observed
    );
}

#[test]
fn quota_fails_without_a_429() {
    let sent = prepared("auth.quota", Client::Cli);
    let check = quota(
        respond(&sent[0], 200, &rate_headers("0"), "{}"),
        respond(&sent[1], 200, &rate_headers("0"), "{}"),
    );
    assert_eq!(check.status, Status::Fail);
    assert!(check.observed.contains("not enforced"));
    assert_eq!(check.fix.unwrap().component, Component::Gafaelfawr);
}

#[test]
fn quota_fails_on_missing_or_wrong_rate_limit_headers() {
    let sent = prepared("auth.quota", Client::Cli);
    let none = quota(
        respond(&sent[0], 200, &[], "{}"),
        respond(&sent[1], 200, &[], "{}"),
    );
    assert_eq!(none.status, Status::Fail);
    assert!(none.observed.contains("no API quota"), "{}", none.observed);
    let no_retry = quota(
        respond(&sent[0], 200, &rate_headers("0"), "{}"),
        respond(&sent[1], 429, &limited(&[]), RATE_LIMITED),
    );
    assert!(no_retry.observed.contains("Retry-After is missing"));
    let mut garbled = rate_headers("0");
    garbled[0] = ("x-ratelimit-limit", "lots");
    garbled.push(RETRY);
    let immediate = quota(
        respond(&sent[0], 429, &garbled, RATE_LIMITED),
        respond(&sent[1], 429, &garbled, RATE_LIMITED),
    );
    assert_eq!(immediate.status, Status::Fail);
    assert!(
        immediate
            .observed
            .contains("X-RateLimit-Limit is not a number (lots)"),
        "{}",
        immediate.observed
    );
    assert_eq!(immediate.fix.unwrap().component, Component::IngressNginx);
}

#[test]
fn quota_bare_403_points_at_the_autherror_location() {
    let sent = prepared("auth.quota", Client::Cli);
    let check = quota(
        respond(&sent[0], 200, &rate_headers("0"), "{}"),
        respond(&sent[1], 403, &rate_headers("0"), ""),
    );
    assert_eq!(check.status, Status::Fail);
    assert!(check.fix.unwrap().hint.contains("@autherror"));
}

#[test]
fn quota_in_a_logged_out_browser_is_skipped() {
    let sent = prepared("auth.quota", Client::Browser);
    let check = judge(
        "auth.quota",
        vec![
            respond(&sent[0], 401, &[("www-authenticate", CHALLENGE)], NGINX_401),
            respond(&sent[1], 401, &[("www-authenticate", CHALLENGE)], NGINX_401),
        ],
        Client::Browser,
    )
    .check;
    assert_eq!(check.observed, NOT_LOGGED_IN);
}

#[test]
fn anonymous_probe_needs_the_exact_upstream_body() {
    let id = "anonymous.credentials_stripped";
    let sent = prepared(id, Client::Cli);
    let report = healthy_report(Route::Anonymous);
    let check = judge(
        id,
        vec![
            respond(&sent[0], 200, &[], &report),
            respond(&sent[1], 200, &[], r#"{"ok": true, "extra": 1}"#),
        ],
        Client::Cli,
    )
    .check;
    assert_eq!(check.status, Status::Fail);
    assert!(check.observed.contains("upstream-compatible"));
}

#[test]
fn anonymous_probe_reports_a_leaked_cookie() {
    let id = "anonymous.credentials_stripped";
    let sent = prepared(id, Client::Browser);
    let leaked = report_body(&crate::received::checks::testing::observe(
        Route::Anonymous,
        &[("cookie", "gafaelfawr=sessionvalue; theme=dark")],
    ));
    let failure = r#"{"detail":[{"loc":["header","Cookie"],"msg":"Cookie gafaelfawr set but should not be present","type":"unexpected_cookie"}]}"#;
    let check = judge(
        id,
        vec![
            respond(&sent[0], 200, &[], &leaked),
            respond(&sent[1], 500, &[], failure),
        ],
        Client::Browser,
    )
    .check;
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.contains("session cookie"),
        "{}",
        check.observed
    );
    assert!(!format!("{check:?}").contains("sessionvalue"));
}

#[test]
fn forged_identity_reaching_muster_fails() {
    let id = "anonymous.forged_identity_masked";
    let forged = report_body(&crate::received::checks::testing::observe(
        Route::Anonymous,
        &[("x-auth-request-user", crate::probe::catalogue::FORGED_USER)],
    ));
    let check = one(id, Client::Browser, 200, &[], &forged);
    assert_eq!(check.status, Status::Fail);
    assert!(check.observed.contains("X-Auth-Request-User"));
}

#[test]
fn challenge_params_are_parsed_with_quotes_and_commas() {
    let header = r#"Bearer realm="a, b", error="insufficient_scope", error_description="say \"hi\"", scope="read:image exec:admin""#;
    assert_eq!(challenge_param(header, "realm").as_deref(), Some("a, b"));
    assert_eq!(
        challenge_param(header, "error_description").as_deref(),
        Some("say \"hi\"")
    );
    assert_eq!(
        challenge_param(header, "scope").as_deref(),
        Some("read:image exec:admin")
    );
    assert_eq!(challenge_param(header, "missing"), None);
    assert_eq!(challenge_param("Bearer", "realm"), None);
    assert_eq!(
        challenge_param("Bearer error=invalid_token, x=1", "error").as_deref(),
        Some("invalid_token")
    );
}

fn upstream(bodies: [(u16, &str); 4], context: &ProbeContext) -> Check {
    let sent = prepared("upstream.client_answers", Client::Cli);
    let exchanges = sent
        .iter()
        .zip(bodies)
        .map(|(sent, (status, body))| respond(sent, status, &[], body))
        .collect();
    crate::probe::probe("upstream.client_answers")
        .unwrap()
        .result(exchanges, context)
        .check
}

const BOT_AUTH: &str = r#"{"username":"bot-check-muster"}"#;
const BOT_USER: &str = r#"{"username":"bot-check-muster","name":"Muster check","uid":9,"gid":9,"groups":[{"name":"g_bots","id":10}]}"#;

fn bot() -> crate::received::upstream::DelegatedUserInfo {
    serde_json::from_str(BOT_USER).unwrap()
}

#[test]
fn upstream_answers_pass_when_they_name_exactly_the_minted_user() {
    let context = ProbeContext::new(Client::Cli).expecting(bot());
    let check = upstream(
        [
            (200, BOT_AUTH),
            (200, BOT_AUTH),
            (200, BOT_USER),
            (200, BOT_USER),
        ],
        &context,
    );
    assert_eq!(check.status, Status::Pass, "{check:#?}");
    assert!(check.observed.contains("as minted"), "{}", check.observed);
}

#[test]
fn upstream_answers_fail_on_another_identity_or_extra_fields() {
    let context = ProbeContext::new(Client::Cli).expecting(bot());
    let other_uid = BOT_USER.replace(r#""uid":9"#, r#""uid":8"#);
    let check = upstream(
        [
            (200, BOT_AUTH),
            (200, BOT_AUTH),
            (200, &other_uid),
            (200, &other_uid),
        ],
        &context,
    );
    assert_eq!(check.status, Status::Fail);
    assert!(check.observed.contains("as minted"), "{}", check.observed);
    let with_quota = BOT_USER.replace('}', r#","quota":{}}"#);
    let check = upstream(
        [
            (200, BOT_AUTH),
            (200, BOT_AUTH),
            (200, &with_quota),
            (200, &with_quota),
        ],
        &ProbeContext::new(Client::Cli),
    );
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.contains("delegated/header"),
        "{}",
        check.observed
    );
    let null_email = r#"{"username":"bot-check-muster","email":null}"#;
    let check = upstream(
        [
            (200, null_email),
            (200, null_email),
            (200, BOT_USER),
            (200, BOT_USER),
        ],
        &ProbeContext::new(Client::Cli),
    );
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.starts_with("auth/fail answered"),
        "{}",
        check.observed
    );
}

#[test]
fn upstream_answers_fail_when_the_routes_disagree() {
    let context = ProbeContext::new(Client::Cli);
    let other = r#"{"username":"someone-else"}"#;
    let check = upstream(
        [
            (200, BOT_AUTH),
            (200, other),
            (200, BOT_USER),
            (200, BOT_USER),
        ],
        &context,
    );
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.starts_with("auth/redirect"),
        "{}",
        check.observed
    );
}

#[test]
fn upstream_failure_names_the_route_and_the_body() {
    let failure = r#"{"detail":[{"msg":"Gafaelfawr username mismatch","type":"gafaelfawr_data"}]}"#;
    let check = upstream(
        [
            (200, BOT_AUTH),
            (200, BOT_AUTH),
            (500, failure),
            (500, failure),
        ],
        &ProbeContext::new(Client::Cli),
    );
    assert_eq!(check.status, Status::Fail);
    assert!(check
        .observed
        .starts_with("delegated/header answered HTTP 500"));
    assert!(check.observed.contains("username mismatch"));
    // The check behind the body decides the component.
    let fix = check.fix.unwrap();
    assert_eq!(fix.component, Component::Gafaelfawr);
    assert!(
        fix.hint.contains("delegated.username_matches"),
        "{}",
        fix.hint
    );
}

#[test]
fn a_header_that_never_arrived_points_at_the_ingress_not_at_muster() {
    let missing = r#"{"detail":[{"loc":["header","X-Auth-Request-Token"],"msg":"Header X-Auth-Request-Token not present but should be set","type":"missing_header"}]}"#;
    let check = upstream(
        [
            (200, BOT_AUTH),
            (200, BOT_AUTH),
            (500, missing),
            (500, missing),
        ],
        &ProbeContext::new(Client::Cli),
    );
    assert_eq!(check.status, Status::Fail);
    let fix = check.fix.unwrap();
    assert_eq!(fix.component, Component::GafaelfawrIngress);
    assert!(fix.hint.contains("delegated.token_header"), "{}", fix.hint);
}

#[test]
fn users_that_differ_between_routes_point_at_gafaelfawr() {
    let other = BOT_USER.replace("bot-check-muster", "bot-other");
    let check = upstream(
        [
            (200, BOT_AUTH),
            (200, BOT_AUTH),
            (200, &other),
            (200, &other),
        ],
        &ProbeContext::new(Client::Cli),
    );
    assert_eq!(check.status, Status::Fail, "{}", check.observed);
    assert_eq!(check.fix.unwrap().component, Component::Gafaelfawr);
}

/// Rate-limit headers of the minute after [`rate_headers`]'s, with its
/// one request used.
const NEXT_WINDOW: [(&str, &str); 5] = [
    ("x-ratelimit-limit", "1"),
    ("x-ratelimit-remaining", "0"),
    ("x-ratelimit-reset", "1767225720"),
    ("x-ratelimit-resource", "muster-quota"),
    ("x-ratelimit-used", "1"),
];

#[test]
fn quota_requests_straddling_a_minute_warn_rather_than_fail() {
    let sent = prepared("auth.quota", Client::Cli);
    let check = quota(
        respond(&sent[0], 200, &rate_headers("0"), "{}"),
        respond(&sent[1], 200, &NEXT_WINDOW, "{}"),
    );
    assert_eq!(check.status, Status::Warn, "{check:#?}");
    assert!(check.observed.contains("new one-minute window"));
}

#[test]
fn only_a_quota_pair_straddling_a_minute_asks_for_a_third_request() {
    let sent = prepared("auth.quota", Client::Cli);
    let first = respond(&sent[0], 200, &rate_headers("0"), "{}");
    let rolled_over = [first.clone(), respond(&sent[1], 200, &NEXT_WINDOW, "{}")];
    assert!(quota_window_rolled_over(&rolled_over));
    let limited = [
        first.clone(),
        respond(&sent[1], 429, &limited(&[RETRY]), RATE_LIMITED),
    ];
    assert!(!quota_window_rolled_over(&limited));
    let same_window = [
        first.clone(),
        respond(&sent[1], 200, &rate_headers("0"), "{}"),
    ];
    assert!(!quota_window_rolled_over(&same_window));
    assert!(!quota_window_rolled_over(&[first]));
}

#[test]
fn a_third_quota_request_after_a_new_minute_is_judged_with_the_second() {
    let sent = prepared("auth.quota", Client::Cli);
    let exchanges = vec![
        respond(&sent[0], 200, &rate_headers("0"), "{}"),
        respond(&sent[1], 200, &NEXT_WINDOW, "{}"),
        respond(&sent[1], 429, &limited(&[RETRY]), RATE_LIMITED),
    ];
    let result = judge("auth.quota", exchanges, Client::Cli);
    let check = result.check;
    assert_eq!(check.status, Status::Pass, "{check:#?}");
    assert!(check.observed.starts_with("200 with"), "{}", check.observed);
    let said = check
        .evidence
        .iter()
        .find(|e| e.name == "third request")
        .expect("the third request is explained");
    assert!(said.value.contains("start of a minute"), "{}", said.value);
    assert_eq!(result.exchanges.len(), 3, "every request is shown");

    // A third answer that is not 429 fails as a second one would.
    let exchanges = vec![
        respond(&sent[0], 200, &rate_headers("0"), "{}"),
        respond(&sent[1], 200, &NEXT_WINDOW, "{}"),
        respond(&sent[1], 200, &NEXT_WINDOW, "{}"),
    ];
    let check = judge("auth.quota", exchanges, Client::Cli).check;
    assert_eq!(check.status, Status::Fail, "{check:#?}");
}

#[test]
fn nginx_500_on_a_route_points_at_gafaelfawr_and_502_at_ingress_nginx() {
    let nginx_500 = "<html><body>500 Internal Server Error</body></html>";
    let failed_auth = one("auth.fail_route", Client::Cli, 500, &[], nginx_500);
    assert_eq!(failed_auth.status, Status::Fail);
    let fix = failed_auth.fix.unwrap();
    assert_eq!(fix.component, Component::Gafaelfawr);
    assert!(fix.hint.contains("user_info_failed"), "{}", fix.hint);

    let bad_gateway = one("auth.fail_route", Client::Cli, 502, &[], "<html>502</html>");
    assert_eq!(bad_gateway.status, Status::Fail);
    assert_eq!(bad_gateway.fix.unwrap().component, Component::IngressNginx);
}

const NGINX_500: &str = "<html><head><title>500 Internal Server Error</title></head></html>";

#[test]
fn ingress_errors_point_at_their_cause_not_at_the_probes_own_hint() {
    // A failed auth subrequest (nginx's own 500) and an unreachable backend
    // (502) are not a quota or Muster configuration problem.
    for (status, component) in [(500, Component::Gafaelfawr), (502, Component::IngressNginx)] {
        let sent = prepared("auth.quota", Client::Cli);
        let quota = quota(
            respond(&sent[0], status, &[], NGINX_500),
            respond(&sent[1], status, &[], NGINX_500),
        );
        assert!(
            quota.observed.contains("first request"),
            "{}",
            quota.observed
        );
        assert_eq!(quota.status, Status::Fail);
        assert_eq!(quota.fix.unwrap().component, component, "quota {status}");

        let id = "upstream.client_answers";
        let sent = prepared(id, Client::Cli);
        let exchanges = sent
            .iter()
            .map(|request| respond(request, status, &[], NGINX_500))
            .collect();
        let upstream = judge(id, exchanges, Client::Cli).check;
        assert_eq!(upstream.status, Status::Fail);
        assert_eq!(
            upstream.fix.unwrap().component,
            component,
            "upstream {status}"
        );
    }
    // Muster's own 500 (JSON) about its configuration points at it.
    let id = "upstream.client_answers";
    let sent = prepared(id, Client::Cli);
    let muster_500 = r#"{"detail":[{"msg":"x","type":"configuration_error"}]}"#;
    let exchanges = sent
        .iter()
        .map(|request| respond(request, 500, &[], muster_500))
        .collect();
    let upstream = judge(id, exchanges, Client::Cli).check;
    assert_eq!(
        upstream.fix.unwrap().component,
        Component::MusterConfiguration
    );
}

#[test]
fn negative_probes_point_at_the_cause_of_an_unexpected_answer() {
    let ids = [
        "auth.challenge",
        "auth.malformed_authorization",
        "auth.invalid_token",
        "auth.insufficient_scope",
        "auth.login_redirect",
    ];
    for id in ids {
        // Gafaelfawr down: nginx's own 500, the same cause for every probe.
        let down = one(id, Client::Cli, 500, &[], NGINX_500);
        assert_eq!(down.status, Status::Fail, "{id}");
        assert_eq!(down.fix.unwrap().component, Component::Gafaelfawr, "{id}");
        // No GafaelfawrIngress of its own: Muster itself refuses the request
        // that the anonymous ingress let through.
        let missing = r#"{"detail":[{"type":"missing","loc":["header","x-auth-request-user"],"msg":"Field required","input":null}]}"#;
        let unprotected = one(id, Client::Cli, 422, &[], missing);
        assert_eq!(unprotected.status, Status::Fail, "{id}");
        assert!(
            unprotected
                .observed
                .contains("no GafaelfawrIngress of its own"),
            "{id}: {}",
            unprotected.observed
        );
        let fix = unprotected.fix.unwrap();
        assert_eq!(fix.component, Component::GafaelfawrIngress, "{id}");
        assert!(fix.hint.contains("config.scope"), "{id}: {}", fix.hint);
    }
}

#[test]
fn a_refusal_at_the_ingress_is_not_blamed_on_reaching_muster() {
    let id = "anonymous.credentials_stripped";
    let exchanges = prepared(id, Client::Cli)
        .iter()
        .map(|request| respond(request, 401, &[], NGINX_401))
        .collect();
    let refused = judge(id, exchanges, Client::Cli).check;
    assert!(
        refused.observed.contains("HTTP 401"),
        "{}",
        refused.observed
    );
    assert_eq!(refused.status, Status::Fail);
    let fix = refused.fix.unwrap();
    assert_eq!(fix.component, Component::GafaelfawrIngress);
    assert!(fix.hint.contains("anonymous: true"), "{}", fix.hint);
}

#[test]
fn a_quota_above_one_is_named_not_called_unenforced() {
    let sent = prepared("auth.quota", Client::Cli);
    let headers = |remaining: &'static str, used: &'static str| {
        vec![
            ("x-ratelimit-limit", "5"),
            ("x-ratelimit-remaining", remaining),
            ("x-ratelimit-used", used),
            ("x-ratelimit-reset", "1767225660"),
            ("x-ratelimit-resource", "muster-quota"),
        ]
    };
    let check = quota(
        respond(&sent[0], 200, &headers("4", "1"), "{}"),
        respond(&sent[1], 200, &headers("3", "2"), "{}"),
    );
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.contains("5 requests a minute, not 1"),
        "{}",
        check.observed
    );
    let fix = check.fix.unwrap();
    assert_eq!(fix.component, Component::Gafaelfawr);
    assert!(fix.hint.contains("config.quotaService"), "{}", fix.hint);
}

#[test]
fn invalid_token_answers_point_at_who_changed_them() {
    let id = "auth.invalid_token";
    let bare_403 = one(id, Client::Cli, 403, &[], "<html>403</html>");
    assert_eq!(bare_403.fix.unwrap().component, Component::Gafaelfawr);
    let plain = one(
        id,
        Client::Cli,
        401,
        &[("www-authenticate", CHALLENGE)],
        NGINX_401,
    );
    assert_eq!(plain.status, Status::Fail);
    assert!(
        plain.observed.contains("saw no credentials"),
        "{}",
        plain.observed
    );
    assert_eq!(plain.fix.unwrap().component, Component::IngressNginx);
}

#[test]
fn a_third_quota_request_is_said_even_when_it_got_no_answer() {
    let sent = prepared("auth.quota", Client::Cli);
    let window = rate_headers("0");
    let exchanges = vec![
        respond(&sent[0], 200, &window, "{}"),
        respond(&sent[1], 200, &window, "{}"),
        Exchange::transport_error(&sent[1], "connection reset", 3),
    ];
    let check = judge("auth.quota", exchanges, Client::Cli).check;
    assert_eq!(check.status, Status::Fail);
    assert!(
        check
            .evidence
            .iter()
            .any(|fact| fact.name == "third request"),
        "{check:#?}"
    );
}

/// `vault.secret_delivered` judged on the anonymous report carrying
/// `vault_secret` (left out when `None`).
fn vault(vault_secret: Option<serde_json::Value>) -> Check {
    let body = match vault_secret {
        Some(field) => report_with_vault_secret(field),
        None => healthy_report(Route::Anonymous),
    };
    let json = [("content-type", "application/json")];
    one("vault.secret_delivered", Client::Browser, 200, &json, &body)
}

#[test]
fn a_present_vault_secret_passes_with_its_length_and_age_only() {
    let check = vault(Some(
        serde_json::json!({"state": "present", "length": 32, "age_seconds": 61}),
    ));
    assert_eq!(check.status, Status::Pass, "{check:#?}");
    assert!(check.observed.contains("32 bytes"), "{}", check.observed);
    assert!(check.observed.contains("61 s"), "{}", check.observed);
}

#[test]
fn a_missing_or_empty_vault_secret_fails_naming_the_chain_from_vault() {
    for state in ["missing", "empty", "unreadable"] {
        let check = vault(Some(serde_json::json!({ "state": state })));
        assert_eq!(check.status, Status::Fail, "{state}");
        assert!(check.observed.contains(state), "{}", check.observed);
        let fix = check.fix.expect("a fix");
        assert_eq!(fix.component, Component::VaultSecrets);
        for named in [
            "VaultSecret muster",
            "vault-secrets-operator",
            "phalanx secrets sync",
        ] {
            assert!(fix.hint.contains(named), "{named}: {}", fix.hint);
        }
    }
}

#[test]
fn a_vault_secret_muster_does_not_report_warns_about_musters_configuration() {
    for field in [
        Some(serde_json::json!({"state": "not_configured"})),
        None,
        Some(serde_json::json!({"state": "lost"})),
    ] {
        let check = vault(field.clone());
        assert_eq!(check.status, Status::Warn, "{field:?}");
        assert_eq!(check.fix.unwrap().component, Component::MusterConfiguration);
    }
}

#[test]
fn the_vault_row_needs_no_session_and_shows_nginx_failures_as_such() {
    assert!(crate::probe::probe("vault.secret_delivered")
        .expect("the vault probe")
        .prepare(
            "https://h",
            Client::Browser,
            &crate::probe::Tokens::default()
        )
        .is_ok());
    let check = one(
        "vault.secret_delivered",
        Client::Cli,
        502,
        &[],
        "<html>502</html>",
    );
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.fix.unwrap().component, Component::IngressNginx);
}

/// `tls.certificate` judged by `client` on the anonymous report carrying
/// `state` (left out when `None`), served over HTTPS with HSTS.
fn tls(state: Option<crate::tls_certificate::CertificateState>, context: &ProbeContext) -> Check {
    let body = match state {
        Some(state) => crate::probe::testing::report_with_certificate(&state),
        None => healthy_report(Route::Anonymous),
    };
    let sent = prepared("tls.certificate", context.client);
    let headers = [
        ("content-type", "application/json"),
        ("strict-transport-security", "max-age=15724800"),
    ];
    crate::probe::probe("tls.certificate")
        .unwrap()
        .result(vec![respond(&sent[0], 200, &headers, &body)], context)
        .check
}

#[test]
fn the_page_judges_the_certificate_the_server_reports() {
    let browser = ProbeContext::new(Client::Browser);
    let check = tls(Some(crate::probe::testing::certificate(60)), &browser);
    assert_eq!(check.status, Status::Pass, "{check:#?}");
    assert!(check
        .evidence
        .iter()
        .any(|fact| fact.name == "served over" && fact.value == "HTTPS, HSTS: max-age=15724800"));
    let check = tls(Some(crate::probe::testing::certificate(3)), &browser);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.fix.unwrap().component, Component::CertManager);
    let check = tls(None, &browser);
    assert_eq!(check.status, Status::Warn);
    assert_eq!(check.fix.unwrap().component, Component::MusterConfiguration);
}

#[test]
fn the_cli_judges_the_certificate_it_read_even_without_an_answer() {
    let cli = ProbeContext::new(Client::Cli).with_certificate(crate::tls_certificate::judge(
        &crate::probe::testing::certificate(20),
    ));
    // The server says otherwise: the CLI's own reading wins.
    let check = tls(Some(crate::probe::testing::certificate(60)), &cli);
    assert_eq!(check.status, Status::Warn, "{check:#?}");
    let sent = prepared("tls.certificate", Client::Cli);
    let check = crate::probe::probe("tls.certificate")
        .unwrap()
        .result(
            vec![Exchange::transport_error(
                &sent[0],
                "invalid peer certificate: Expired",
                3,
            )],
            &cli,
        )
        .check;
    assert_eq!(check.status, Status::Warn, "{check:#?}");
    assert!(check
        .evidence
        .iter()
        .any(|fact| fact.name == "served over" && fact.value == "(no answer)"));
}

/// Probe `id`'s healthy exchanges with the answer to request `index`
/// replaced by `status` (no headers, empty body).
fn cache_probe_with(id: &str, client: Client, index: usize, status: u16) -> Check {
    let sent = prepared(id, client);
    let mut exchanges = healthy_exchanges(id, client);
    exchanges[index] = respond(&sent[index], status, &[], "");
    judge(id, exchanges, client).check
}

#[test]
fn a_cached_success_reused_for_another_caller_fails_naming_the_cache_key() {
    for (id, client, index) in [
        ("auth.cache_isolation", Client::Cli, 1),
        ("auth.cache_isolation", Client::Browser, 1),
        ("auth.cache_isolation", Client::Cli, 2),
        ("auth.cache_scope", Client::Cli, 1),
    ] {
        let check = cache_probe_with(id, client, index, 200);
        assert_eq!(check.status, Status::Fail, "{id} {client:?} {check:#?}");
        assert!(
            check.observed.contains("got HTTP 200"),
            "{}",
            check.observed
        );
        let fix = check.fix.expect("a fix");
        assert_eq!(fix.component, Component::GafaelfawrIngress);
        assert!(fix.hint.contains("auth-cache-key"), "{}", fix.hint);
        assert!(fix.hint.contains("Gafaelfawr's operator"), "{}", fix.hint);
    }
}

#[test]
fn an_options_answered_with_the_get_401_fails_and_its_own_refusal_passes() {
    for client in [Client::Cli, Client::Browser] {
        let reused = cache_probe_with("auth.cache_isolation", client, 3, 401);
        assert_eq!(reused.status, Status::Fail, "{reused:#?}");
        assert!(reused.observed.contains("OPTIONS"), "{}", reused.observed);
        // With allowOptions, Gafaelfawr lets OPTIONS through to Muster,
        // with or without credentials.
        let sent = prepared("auth.cache_isolation", client);
        let mut exchanges = healthy_exchanges("auth.cache_isolation", client);
        exchanges[3] = respond(&sent[3], 405, &[], "");
        exchanges[4] = respond(&sent[4], 405, &[], "");
        let through = judge("auth.cache_isolation", exchanges, client).check;
        assert_eq!(through.status, Status::Pass, "{through:#?}");
    }
}

#[test]
fn an_options_with_credentials_answered_from_the_get_entry_fails() {
    for client in [Client::Cli, Client::Browser] {
        // Without the method in the cache key, the GET's cached success
        // lets the OPTIONS through to Muster (405), while the same OPTIONS
        // without credentials was refused (403).
        let reused = cache_probe_with("auth.cache_isolation", client, 4, 405);
        assert_eq!(reused.status, Status::Fail, "{reused:#?}");
        assert!(
            reused
                .observed
                .contains("instead of 403, as without credentials"),
            "{}",
            reused.observed
        );
        let fix = reused.fix.expect("a fix");
        assert!(fix.hint.contains("auth-cache-key"), "{}", fix.hint);
    }
}

#[test]
fn the_cache_probes_judge_nothing_without_a_first_success() {
    let browser = cache_probe_with("auth.cache_isolation", Client::Browser, 0, 401);
    assert_eq!(browser.status, Status::Skip, "{browser:#?}");
    let cli = cache_probe_with("auth.cache_scope", Client::Cli, 0, 401);
    assert_eq!(
        cli.fix.map(|fix| fix.component),
        Some(Component::UserAccount)
    );
}

#[test]
fn only_the_cli_checks_the_token_without_the_scope_against_the_cache() {
    let scope = crate::probe::probe("auth.cache_scope").unwrap();
    let browser = scope.prepare("https://h/muster", Client::Browser, &Default::default());
    assert!(browser.unwrap_err().contains("muster-check"));
    let isolation = prepared("auth.cache_isolation", Client::Browser);
    assert_eq!(isolation[0].fetch_credentials(), "same-origin");
    assert_eq!(isolation[1].fetch_credentials(), "omit");
    assert_eq!(isolation[3].method, "OPTIONS");
}

/// `home.page` judged on one answer for `client`.
fn home(client: Client, status: u16, headers: &[(&str, &str)], body: &str) -> Check {
    one("home.page", client, status, headers, body)
}

const HTML: (&str, &str) = ("content-type", "text/html; charset=utf-8");

#[test]
fn the_home_page_is_asked_for_at_the_root_of_musters_host() {
    let sent = prepared("home.page", Client::Browser);
    assert_eq!(sent[0].url, "https://data.example.org/");
    assert_eq!(sent[0].fetch_credentials(), "omit");
    let elsewhere = crate::probe::probe("home.page")
        .unwrap()
        .prepare_with_home(
            "https://h:8443/muster/",
            "/home/",
            Client::Cli,
            &cli_tokens(),
        )
        .unwrap();
    assert_eq!(elsewhere[0].url, "https://h:8443/home/");
    assert!(elsewhere[0]
        .headers
        .iter()
        .all(|(name, _)| name != "authorization"));
}

#[test]
fn squareones_page_passes_and_another_html_page_warns() {
    let check = home(Client::Cli, 200, &[HTML], SQUAREONE_PAGE);
    assert_eq!((check.status, check.fix), (Status::Pass, None));
    let other = home(
        Client::Browser,
        200,
        &[HTML],
        "<html><body>Welcome to nginx!</body></html>",
    );
    assert_eq!(other.status, Status::Warn);
    assert!(
        other.observed.contains("not Squareone's"),
        "{}",
        other.observed
    );
}

#[test]
fn a_missing_or_failing_home_page_fails_naming_squareone() {
    for (status, body, said) in [
        (404, NGINX_404, "Nothing serves /"),
        (500, "<html>500 Internal Server Error</html>", "failing"),
        (503, "<html>503</html>", "failing"),
    ] {
        for client in [Client::Cli, Client::Browser] {
            let check = home(client, status, &[HTML], body);
            assert_eq!(check.status, Status::Fail, "{status}");
            assert!(check.observed.contains(said), "{}", check.observed);
            let fix = check.fix.unwrap();
            assert_eq!(fix.component, Component::HomePage);
            assert!(fix.hint.contains("Squareone"), "{}", fix.hint);
            assert!(fix.hint.contains("Argo CD"), "{}", fix.hint);
        }
    }
}

#[test]
fn a_home_page_that_is_no_html_fails() {
    let json = ("content-type", "application/json");
    let check = home(Client::Cli, 200, &[json], r#"{"name":"muster"}"#);
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.contains("Not an HTML page"),
        "{}",
        check.observed
    );
    let shown = check
        .evidence
        .iter()
        .find(|item| item.name == "Content-Type");
    assert_eq!(shown.unwrap().value, "application/json");
    assert_eq!(home(Client::Cli, 200, &[], "hello").status, Status::Fail);
}

#[test]
fn a_login_redirect_at_the_root_is_said_plainly_and_warns() {
    let location = (
        "location",
        "https://data.example.org/login?rd=https%3A%2F%2Fdata.example.org%2F",
    );
    let check = home(Client::Cli, 302, &[location], "");
    assert_eq!(check.status, Status::Warn);
    assert!(
        check.observed.contains("redirects to log in"),
        "{}",
        check.observed
    );
    assert_eq!(check.fix.unwrap().component, Component::HomePage);
    let moved = ("location", "https://data.example.org/home/");
    let elsewhere = home(Client::Cli, 301, &[moved], "");
    assert_eq!(elsewhere.status, Status::Warn);
    assert!(
        elsewhere.observed.contains("redirects elsewhere"),
        "{}",
        elsewhere.observed
    );
    let sent = prepared("home.page", Client::Browser);
    let opaque = Exchange::opaque_redirect(&sent[0], 3);
    let check = judge("home.page", vec![opaque], Client::Browser).check;
    assert_eq!(check.status, Status::Warn);
    assert!(
        check.observed.contains("redirects to log in"),
        "{}",
        check.observed
    );
}

#[test]
fn no_answer_from_the_home_page_fails() {
    let sent = prepared("home.page", Client::Cli);
    let exchange = Exchange::transport_error(&sent[0], "connection refused", 3);
    let check = judge("home.page", vec![exchange], Client::Cli).check;
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.observed.contains("connection refused"),
        "{}",
        check.observed
    );
}

#[test]
fn the_server_writes_the_certificate_row_under_the_probe_description() {
    let row = crate::probe::certificate_row(&crate::probe::testing::certificate(50)).unwrap();
    assert_eq!(row.id, crate::tls_certificate::PROBE_ID);
    assert_eq!(row.status, Status::Pass);
    let soon = crate::probe::certificate_row(&crate::probe::testing::certificate(3)).unwrap();
    assert_eq!(soon.status, Status::Fail);
}
