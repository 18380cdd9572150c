//! The Gafaelfawr stand-in: an in-process axum server that follows
//! `docs/gafaelfawr-contract.md` to the status code and header — tokens, the
//! bootstrap token, scopes, quotas, delegation, user-info and token-info,
//! the failure table of the auth subrequest, a `/login` that sets the
//! `gafaelfawr` cookie for a configured user, and Repertoire's discovery of
//! Gafaelfawr's API — and that can be told to
//! misbehave by naming a [`StandinFault`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use muster_stack::standin::{Standin, StandinConfig};
//! let standin = Standin::start(StandinConfig::demo()).await?;
//! let token = standin.issue_token("someuser", "user", &["read:image"]);
//! // … point nginx's auth_request at format!("{}/ingress/auth", standin.url())
//! standin.stop().await;
//! # Ok(()) }
//! ```

mod admin;
mod api;
mod clock;
mod config;
mod credentials;
mod discovery;
mod error;
mod fault;
mod hold;
mod ingress;
mod login;
mod params;
mod quota;
mod revoke;
mod state;
mod token;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::{delete, get, post};
use axum::Router;

use crate::served::Served;

pub use config::{GroupConfig, NotebookQuota, QuotaConfig, StandinConfig, UserConfig};
pub use fault::{StandinFault, UnknownFault};
pub use state::Revocation;
pub use token::Token;

use state::{AppState, NewToken};
use token::{Identity, TokenType};

/// A credential the stand-in handed out (see [`Standin::issued_tokens`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// What it is: `session` (also the `gafaelfawr` cookie value), `user`,
    /// `notebook`, `internal` (delegated), `service`, `oidc` or `bootstrap`.
    pub kind: &'static str,
    /// The token.
    pub token: Token,
}

/// The stand-in's routes.
fn router(state: AppState) -> Router {
    Router::new()
        .route("/ingress/auth", get(ingress::auth))
        .route("/ingress/anonymous", get(ingress::anonymous))
        .route("/auth/api/v1/user-info", get(api::user_info))
        .route("/auth/api/v1/token-info", get(api::token_info))
        .route("/auth/api/v1/tokens", post(admin::create_token))
        .route(
            "/auth/api/v1/users/{username}/tokens/{key}",
            delete(revoke::delete_token),
        )
        .route("/repertoire/discovery", get(discovery::discovery))
        .route("/login", get(login::login))
        .route("/logout", get(login::logout))
        .with_state(state)
}

/// A running stand-in, serving on a loopback port until stopped or
/// dropped.
#[derive(Debug)]
pub struct Standin {
    addr: SocketAddr,
    state: AppState,
    served: Served,
}

impl Standin {
    /// Validates `config`, binds `127.0.0.1:0` and serves on a tokio task.
    pub async fn start(config: StandinConfig) -> std::io::Result<Standin> {
        config
            .validate()
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = AppState::new(config);
        let app = router(state.clone());
        let served = Served::spawn(listener, app, "gafaelfawr stand-in");
        Ok(Standin {
            addr,
            state,
            served,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A valid token of `token_type` (`session`, `user`, `notebook`,
    /// `internal`, `service`, `oidc`; anything else counts as `user`) for
    /// `username`, expiring after the configured token lifetime.
    pub fn issue_token(&self, username: &str, token_type: &str, scopes: &[&str]) -> String {
        let lifetime = self.state.config().token_lifetime;
        self.issue_token_expiring(username, token_type, scopes, Some(lifetime))
    }

    /// Like [`Standin::issue_token`] with an explicit lifetime (`None`:
    /// never expires).
    pub fn issue_token_expiring(
        &self,
        username: &str,
        token_type: &str,
        scopes: &[&str],
        lifetime: Option<Duration>,
    ) -> String {
        let now = clock::now();
        let data = self.state.issue(NewToken {
            username: username.to_owned(),
            token_type: token_type.parse().unwrap_or(TokenType::User),
            token_name: None,
            scopes: scopes
                .iter()
                .map(|scope| (*scope).to_owned())
                .collect::<BTreeSet<_>>(),
            created: now,
            expires: lifetime.map(|lifetime| now + lifetime.as_secs()),
            identity: Identity::default(),
        });
        data.token.to_string()
    }

    /// Every credential it has handed out so far, so that leak checks can
    /// look for tokens the tests never see: each token issued, minted with
    /// the bootstrap token or delegated to a backend (expired ones
    /// included), every session token — which is also the `gafaelfawr`
    /// cookie value `/login` set — and the bootstrap token itself.
    pub fn issued_tokens(&self) -> Vec<IssuedToken> {
        let mut issued = self.state.with_tokens(|store| {
            store
                .all()
                .map(|data| IssuedToken {
                    kind: data.token_type.as_str(),
                    token: data.token.clone(),
                })
                .collect::<Vec<_>>()
        });
        if let Some(token) = Token::parse(self.bootstrap_token()) {
            issued.push(IssuedToken {
                kind: "bootstrap",
                token,
            });
        }
        issued
    }

    /// Every token revoked so far through the token API, in order, with
    /// the delegated tokens each revocation took along.
    pub fn revocations(&self) -> Vec<Revocation> {
        self.state.revocations()
    }

    /// Holds every auth subrequest of a protected route (`/ingress/auth`)
    /// unanswered (`true`) until released (`false`) or the stand-in stops:
    /// a Gafaelfawr that hangs, for clients' deadlines and interruptions.
    pub fn hold_auth_subrequests(&self, held: bool) {
        self.state.hold().set(held);
    }

    /// How many auth subrequests have been held so far: more than zero
    /// means a client is waiting on one.
    pub fn held_auth_subrequests(&self) -> usize {
        self.state.hold().waited()
    }

    /// The configuration it started with (the fault and public origin may
    /// have changed since: see [`Standin::fault`]).
    pub fn config(&self) -> &StandinConfig {
        self.state.config()
    }

    /// The bootstrap token, for `POST /auth/api/v1/tokens`.
    pub fn bootstrap_token(&self) -> &str {
        &self.state.config().bootstrap_token
    }

    /// The fault in force.
    pub fn fault(&self) -> Option<StandinFault> {
        self.state.fault()
    }

    /// Changes the fault in force, without restarting.
    pub fn set_fault(&self, fault: Option<StandinFault>) {
        self.state.set_fault(fault);
    }

    /// Changes the public origin `/login` and `/logout` may redirect to
    /// (for a stack that learns nginx's port after starting the stand-in).
    pub fn set_public_origin(&self, origin: Option<String>) {
        self.state.set_public_origin(origin);
    }

    /// Stops serving: new connections are refused at once, requests in
    /// flight get a short grace period.
    pub async fn stop(self) {
        self.served.stop().await;
    }
}
