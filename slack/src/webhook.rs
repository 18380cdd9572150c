//! The webhook URL: the secret that lets anyone post to the channel.

use std::fmt;

/// A Slack incoming-webhook URL. It is never shown: its `Debug` form and
/// every error name at most its scheme and host.
#[derive(Clone, PartialEq, Eq)]
pub struct SlackWebhook(String);

impl SlackWebhook {
    /// Reads a webhook URL: https (http only on loopback, for tests). The
    /// error never shows the path, which holds the secret.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let parsed =
            reqwest::Url::parse(raw).map_err(|problem| format!("not a URL ({problem})"))?;
        let host = parsed.host_str().unwrap_or("");
        let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
        match parsed.scheme() {
            "https" if !host.is_empty() => Ok(SlackWebhook(raw.to_owned())),
            "http" if loopback => Ok(SlackWebhook(raw.to_owned())),
            scheme => Err(format!(
                "a {scheme}:// URL with host {host:?} is not an https URL"
            )),
        }
    }

    /// The whole URL, for the one request that posts to it.
    pub fn url(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SlackWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlackWebhook(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "WebhookCanary0002";

    #[test]
    fn the_secret_path_is_never_shown() {
        let url = format!("https://hooks.slack.com/services/T0/B0/{SECRET}");
        let webhook = SlackWebhook::parse(&url).unwrap();
        assert_eq!(webhook.url(), url);
        assert!(!format!("{webhook:?}").contains(SECRET));
        for bad in [
            format!("http://hooks.slack.com/services/T0/B0/{SECRET}"),
            format!("hooks.slack.com/services/{SECRET}"),
        ] {
            let error = SlackWebhook::parse(&bad).unwrap_err();
            assert!(!error.contains(SECRET), "{error}");
        }
        assert!(SlackWebhook::parse("http://127.0.0.1:9/services/x").is_ok());
    }
}
