//! What reaches a terminal: text from a server made inert ([`escape`], the
//! one function every such byte goes through, error messages included),
//! and the checklist's styles ([`Style`], painted with `anstyle`). The
//! binary writes through `anstream`, which drops any styling that reaches
//! a stream that is not a colour terminal (or has `NO_COLOR`).

use std::borrow::Cow;

use anstyle::{AnsiColor, Effects};

/// `text` from a server (bodies, headers, error details, versions) made
/// safe for a terminal and for a CI log: every control character (C0, DEL
/// and C1: escape sequences, carriage returns, bells, line feeds) and every
/// character that reorders or breaks the displayed text (bidirectional
/// overrides, line and paragraph separators) is shown as its Rust escape,
/// e.g. `\u{1b}` or `\r`.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A JSON document with every character [`escape`] would escape written
/// as a JSON `\uXXXX` escape instead: the same values for a JSON reader,
/// nothing for a terminal to act on. (serde_json escapes only C0 controls;
/// DEL, the C1 controls — one-character escape sequences on some
/// terminals — and the reordering characters would pass raw.) Such
/// characters only occur inside strings, where the escape means the same;
/// the line breaks and indentation between tokens are left alone.
pub fn escape_json(document: &str) -> Cow<'_, str> {
    // A JSON writer escapes line feeds and tabs in strings itself: a raw
    // one is whitespace between tokens, which must stay as it is.
    let needs = |c: char| needs_escape(c) && !c.is_ascii_whitespace();
    if !document.chars().any(needs) {
        return Cow::Borrowed(document);
    }
    let mut out = String::with_capacity(document.len() + 16);
    for c in document.chars() {
        if needs(c) {
            // Every such character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether `c` could drive a terminal or disguise the text around it.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// The checklist's styling: ANSI colour and emphasis, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit ANSI escapes.
    pub colour: bool,
}

impl Style {
    /// `text` in `style` (unstyled without colour).
    pub fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.colour {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// `text` in bold.
    pub fn bold(self, text: &str) -> String {
        self.paint(Effects::BOLD.into(), text)
    }

    /// `text` dimmed.
    pub fn dim(self, text: &str) -> String {
        self.paint(Effects::DIMMED.into(), text)
    }

    /// `text` in `colour`, bold if `bold`.
    pub fn coloured(self, colour: AnsiColor, bold: bool, text: &str) -> String {
        let style = colour.on_default();
        let style = if bold { style.bold() } else { style };
        self.paint(style, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_shows_control_and_reordering_characters() {
        assert_eq!(escape("plain — text"), "plain — text");
        assert_eq!(
            escape("oops \u{1b}]0;T\u{7}\r\n\u{9b}2J\u{202e}x"),
            r"oops \u{1b}]0;T\u{7}\r\n\u{9b}2J\u{202e}x"
        );
    }

    #[test]
    fn json_keeps_its_values_and_loses_its_raw_controls() {
        let value = serde_json::json!({"body": "a\u{9b}31m\u{7f}\u{202e}\u{1b}b\n"});
        let document = serde_json::to_string_pretty(&value).unwrap();
        assert!(
            document.contains('\u{9b}'),
            "serde_json escapes C1 now: {document}"
        );
        let safe = escape_json(&document);
        let raw: Vec<char> = safe.chars().filter(|c| needs_escape(*c)).collect();
        assert_eq!(
            raw,
            vec!['\n', '\n'],
            "only the lines between tokens: {safe}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&safe).unwrap(),
            value
        );
    }

    #[test]
    fn styles_are_plain_without_colour() {
        let plain = Style { colour: false };
        assert_eq!(plain.bold("x"), "x");
        assert_eq!(plain.coloured(AnsiColor::Red, true, "x"), "x");
        let colour = Style { colour: true };
        assert_eq!(colour.bold("x"), "\u{1b}[1mx\u{1b}[0m");
    }
}
