//! Each named fault of the stack, injected for real (nginx rendered wrongly
//! or the Gafaelfawr stand-in misbehaving), must show up in Muster's full
//! report as the specific failing check with a fix hint naming the right
//! component. Faults only a client can see (error mapping, login redirect,
//! quotas, a failing user directory) are covered by the probe tests.

use muster_stack::http::get;
use muster_stack::secrets::{self, Secrets};
use muster_stack::stack::{Stack, StackOptions};
use serde_json::Value;

/// What the request carries besides the route.
#[derive(Clone, Copy)]
enum Sends {
    /// The user's token as Bearer and as the session cookie.
    Credentials,
    /// No credentials, but a forged identity header.
    Forged(&'static str, &'static str),
}

/// Starts the stack with `fault`, requests `path`'s upstream JSON and its
/// report, checks that neither (nor Muster's log) holds any token the
/// stand-in issued — the caller's, the delegated one — and returns the
/// check `check_id` from the report.
fn check_under_fault(fault: &str, path: &str, sends: Sends, check_id: &str) -> Value {
    let options = StackOptions {
        fault: Some(fault.parse().unwrap()),
        // Keep the slow fault's wait short: Muster gives up after 0.5 s.
        server_env: vec![("MUSTER_GAFAELFAWR_TIMEOUT".into(), "0.5".into())],
        ..StackOptions::default()
    };
    let stack = Stack::start(options).unwrap();
    let token = stack
        .gafaelfawr()
        .issue_token("someuser", "session", &["read:image"]);
    let auth = format!("Bearer {token}");
    let cookie = format!("gafaelfawr={token}");
    let headers: Vec<(&str, &str)> = match sends {
        Sends::Credentials => vec![("authorization", &auth), ("cookie", &cookie)],
        Sends::Forged(name, value) => vec![(name, value)],
    };
    let url = format!("{}{}/{path}", stack.url(), stack.path_prefix());
    let upstream = get(&url, &headers).unwrap();
    let reply = get(&format!("{url}?report=true"), &headers).unwrap();
    assert_eq!(reply.status, 200, "{fault}: {}", reply.body);
    let secrets = Secrets::issued_in(&stack);
    for (what, reply) in [("upstream JSON", &upstream), ("report", &reply)] {
        let what = format!("{fault}: {path}'s {what}");
        secrets.assert_absent(&reply.body, &what);
        secrets.assert_absent(&format!("{:?}", reply.headers), &what);
    }
    secrets::assert_logs_clean(&stack);
    let report = reply.json().unwrap();
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == check_id))
        .cloned()
        .unwrap_or_else(|| panic!("{fault}: no check {check_id} in {report:#}"))
}

macro_rules! fault_shows_as {
    ($test:ident: $fault:literal on $path:literal sending $sends:expr =>
     $check:literal $status:literal pointing at $component:literal) => {
        #[test]
        fn $test() {
            let check = check_under_fault($fault, $path, $sends, $check);
            assert_eq!(check["status"], $status, "{check:#}");
            assert_eq!(check["fix"]["component"], $component, "{check:#}");
            assert!(
                !check["fix"]["hint"].as_str().unwrap_or("").is_empty(),
                "{check:#}"
            );
        }
    };
}

const USER: Sends = Sends::Forged("x-auth-request-user", "admin");
const EMAIL: Sends = Sends::Forged("x-auth-request-email", "admin@example.com");
const TOKEN: Sends = Sends::Forged(
    "x-auth-request-token",
    "gt-AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB",
);

fault_shows_as!(unprocessed_anonymous_ingress_leaks_the_token:
    "anonymous-not-auth-processed" on "anonymous" sending Sends::Credentials =>
    "anonymous.no_authorization" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(missing_cookie_response_header_leaks_the_session_cookie:
    "no-cookie-header" on "anonymous" sending Sends::Credentials =>
    "anonymous.no_gafaelfawr_cookie" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(missing_authorization_response_header_leaks_the_token:
    "no-authorization-header" on "anonymous" sending Sends::Credentials =>
    "anonymous.no_authorization" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(missing_email_response_header_lets_a_forged_email_through:
    "no-email-header" on "anonymous" sending EMAIL =>
    "anonymous.no_identity_headers" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(missing_token_response_header_lets_a_forged_token_through:
    "no-token-header" on "anonymous" sending TOKEN =>
    "anonymous.no_identity_headers" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(missing_user_response_header_lets_a_forged_user_through:
    "no-user-header" on "anonymous" sending USER =>
    "anonymous.no_identity_headers" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(ingress_without_delegation_sends_no_delegated_token:
    "no-delegation" on "delegated/header" sending Sends::Credentials =>
    "delegated.token_header" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(ingress_without_use_authorization_sends_no_bearer:
    "no-use-authorization" on "delegated/authorization" sending Sends::Credentials =>
    "delegated.authorization_bearer" "fail" pointing at "gafaelfawr_ingress");
fault_shows_as!(slow_gafaelfawr_times_out_as_a_failed_check:
    "slow" on "delegated/header" sending Sends::Credentials =>
    "delegated.user_info" "fail" pointing at "gafaelfawr");
// Gafaelfawr's 500 `user_info_failed` means its user directory failed.
fault_shows_as!(user_info_500_points_at_the_user_directory:
    "user-info-500" on "delegated/header" sending Sends::Credentials =>
    "delegated.user_info" "fail" pointing at "user_directory");
fault_shows_as!(garbage_user_info_is_a_failed_check:
    "garbage-json" on "delegated/header" sending Sends::Credentials =>
    "delegated.user_info" "fail" pointing at "muster_configuration");
fault_shows_as!(unreachable_gafaelfawr_is_a_failed_check:
    "gafaelfawr-unreachable" on "delegated/authorization" sending Sends::Credentials =>
    "delegated.user_info" "fail" pointing at "gafaelfawr");
fault_shows_as!(wrong_username_from_user_info_fails:
    "wrong-username" on "delegated/header" sending Sends::Credentials =>
    "delegated.username_matches" "fail" pointing at "gafaelfawr");
fault_shows_as!(wrong_email_from_user_info_fails:
    "wrong-email" on "delegated/header" sending Sends::Credentials =>
    "delegated.email_matches" "fail" pointing at "gafaelfawr");
fault_shows_as!(user_without_uid_and_gid_warns:
    "no-uid-gid" on "delegated/header" sending Sends::Credentials =>
    "delegated.uid_gid" "warn" pointing at "user_directory");
fault_shows_as!(delegated_token_with_extra_scopes_warns:
    "delegated-scopes" on "delegated/header" sending Sends::Credentials =>
    "delegated.token_info" "warn" pointing at "gafaelfawr_ingress");
fault_shows_as!(delegated_token_for_another_service_warns:
    "delegated-other-service" on "delegated/authorization" sending Sends::Credentials =>
    "delegated.token_info" "warn" pointing at "gafaelfawr_ingress");

#[test]
fn a_scope_gafaelfawr_does_not_know_stops_the_stack() {
    // As Gafaelfawr's operator refuses such an ingress, a chart whose
    // scope is not a knownScope must not give a passing local stack.
    let mut options = StackOptions::default();
    options.gafaelfawr.known_scopes.remove("read:image");
    for user in &mut options.gafaelfawr.users {
        user.scopes.retain(|scope| scope != "read:image");
    }
    let error = match Stack::start(options) {
        Ok(_) => panic!("the stack started with an unknown scope"),
        Err(error) => error,
    };
    assert!(
        error.contains("not one of Gafaelfawr's knownScopes"),
        "{error}"
    );
    assert!(error.contains("\"read:image\""), "{error}");
}
