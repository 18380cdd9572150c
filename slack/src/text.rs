//! Slack's text rules: its three control characters escaped, so that text
//! from a request or a server cannot become a link or a mention, and texts
//! cut to Slack's limits, so that Slack never refuses a message for its
//! length. Block Kit pieces are built from them.

use serde_json::{json, Value};

/// Slack's limit on a section field's text (Safir cuts at the same place).
pub const FIELD_MAX_CHARS: usize = 2000;
/// Slack's limit on a section's text.
pub const SECTION_MAX_CHARS: usize = 3000;

/// A Block Kit `mrkdwn` text object, taken verbatim (no automatic links).
pub fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text, "verbatim": true})
}

/// A section field: `heading` in bold over `text`, escaped and cut to a
/// field's limit.
pub fn field(heading: &str, text: &str) -> Value {
    let text = format!("*{heading}*\n{}", escape(text));
    mrkdwn(&cut(&text, FIELD_MAX_CHARS))
}

/// A headed code block, cut to a section's limit; fences in `code` cannot
/// end it early.
pub fn code_block(heading: &str, code: &str) -> String {
    let code = escape(code).replace("```", "`\u{200b}``");
    let room = SECTION_MAX_CHARS - heading.len() - 12;
    format!("*{heading}*\n```\n{}\n```", cut(&code, room))
}

/// Every `text` in a message (its `text` and each Block Kit text object's),
/// outermost first: what a reader of the message sees, for checks on what
/// goes out.
pub fn texts(message: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![message];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(text)) = map.get("text") {
                    found.push(text.clone());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items.iter().rev()),
            _ => {}
        }
    }
    found
}

/// Slack's three control characters escaped.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` cut to `max` characters, the cut marked.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_links_are_escaped() {
        assert_eq!(escape("<!here> & <a|b>"), "&lt;!here&gt; &amp; &lt;a|b&gt;");
    }

    #[test]
    fn cuts_are_marked_and_within_the_limit() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        let block = code_block("H", &"```x".repeat(5_000));
        assert!(block.chars().count() <= SECTION_MAX_CHARS);
        assert_eq!(block.matches("```").count(), 2);
    }
}
