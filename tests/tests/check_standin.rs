//! The Gafaelfawr behaviour `muster-check` relies on from the stand-in:
//! `quota.default` gives users outside the directory (the minted
//! `bot-check-muster`) the Muster quota, and a minted service token's
//! user-info reports the identity given at minting.

use std::time::Duration;

use muster_stack::standin::{QuotaConfig, Standin, StandinConfig, StandinFault};
use serde_json::{json, Value};

/// The demo configuration with Phalanx's `quota.default` for Muster.
async fn standin() -> Standin {
    let mut config = StandinConfig::demo();
    config.default_quota = Some(QuotaConfig {
        api: [("muster-quota".to_owned(), 1)].into(),
        ..QuotaConfig::default()
    });
    Standin::start(config).await.unwrap()
}

/// A client that gives up on a stalled stand-in after 30 seconds.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn mint(standin: &Standin, body: Value) -> String {
    let reply = client()
        .post(format!("{}/auth/api/v1/tokens", standin.url()))
        .bearer_auth(standin.bootstrap_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    reply.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn user_info(standin: &Standin, token: &str) -> Value {
    client()
        .get(format!("{}/auth/api/v1/user-info", standin.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn quota_auth(standin: &Standin, token: &str) -> reqwest::Response {
    client()
        .get(format!(
            "{}/ingress/auth?scope=read:image&service=muster-quota",
            standin.url()
        ))
        .header("X-Original-URL", "https://h.example.com/muster/auth/quota")
        .header("X-Original-Method", "GET")
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn minted_bot_gets_the_default_quota_and_its_minted_identity() {
    let standin = standin().await;
    let token = mint(
        &standin,
        json!({"username": "bot-check-muster", "token_type": "service",
               "scopes": ["read:image"], "name": "Muster check", "uid": 90701,
               "gid": 90701, "groups": [{"name": "g-muster-check", "id": 90701}]}),
    )
    .await;
    assert_eq!(
        user_info(&standin, &token).await,
        json!({"username": "bot-check-muster", "name": "Muster check", "uid": 90701,
               "gid": 90701, "groups": [{"name": "g-muster-check", "id": 90701}],
               "quota": {"api": {"muster-quota": 1}}})
    );
    let reply = quota_auth(&standin, &token).await;
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["x-ratelimit-resource"], "muster-quota");
    standin.stop().await;
}

#[tokio::test]
async fn listed_users_keep_their_own_quota_and_no_quota_removes_the_default() {
    let standin = standin().await;
    let other = standin.issue_token("otheruser", "user", &["read:image"]);
    assert_eq!(user_info(&standin, &other).await.get("quota"), None);
    standin.set_fault(Some(StandinFault::NoQuota));
    let bot = mint(
        &standin,
        json!({"username": "bot-check-muster", "token_type": "service", "scopes": ["read:image"]}),
    )
    .await;
    assert_eq!(user_info(&standin, &bot).await.get("quota"), None);
    let reply = quota_auth(&standin, &bot).await;
    assert_eq!(reply.status(), 200);
    assert!(reply.headers().get("x-ratelimit-limit").is_none());
    standin.stop().await;
}
