//! Posting to a Slack incoming webhook, once for the whole workspace: the
//! server's alerts and `muster-check`'s monitor both use it.
//!
//! - [`SlackWebhook`]: the webhook URL, a secret never shown;
//! - [`text`]: Slack's control characters escaped and texts cut to
//!   Slack's limits, so that text from a request or a server cannot
//!   mention a channel, become a link or be refused for its length;
//! - [`SlackPoster`]: posts with their own timeouts, in the background,
//!   at most one per minimum gap, counting what the gap left out.
//!
//! What a message says stays with its sender: this crate only carries it.

pub mod poster;
pub mod text;
pub mod webhook;

pub use poster::SlackPoster;
pub use webhook::SlackWebhook;
