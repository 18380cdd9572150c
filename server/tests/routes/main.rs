//! The JSON check routes over HTTP, through the whole router: the
//! upstream-compatible bodies to the byte, the full report, the HTML shell,
//! the delegated routes against a Gafaelfawr fake that misbehaves in every
//! way the client must survive, the 500 and Slack alert of a handler that
//! panics, and the promise that no secret is ever echoed in a body, a log
//! line or an alert; and the Vault secret's state in the extended answers.

mod alerts;
mod delegated;
mod report;
mod secrets;
mod support;
mod upstream;
mod vault_secret;
