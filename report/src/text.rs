//! Text helpers every view of a check uses: header names in their usual
//! spelling, and long values cut to a readable length.

/// Longest value shown in evidence before it is cut.
pub const EVIDENCE_MAX_CHARS: usize = 200;

/// The usual spelling of a header name, e.g. `X-Auth-Request-User` for
/// `x-auth-request-user`.
pub fn display_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `text` cut to [`EVIDENCE_MAX_CHARS`] characters, saying how long it was.
pub fn shorten(text: &str) -> String {
    let length = text.chars().count();
    if length <= EVIDENCE_MAX_CHARS {
        return text.to_owned();
    }
    let kept: String = text.chars().take(EVIDENCE_MAX_CHARS).collect();
    format!("{kept}…({length} chars)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_displayed_in_their_usual_case() {
        assert_eq!(display_name("x-auth-request-user"), "X-Auth-Request-User");
        assert_eq!(display_name("authorization"), "Authorization");
    }

    #[test]
    fn long_text_is_cut_saying_its_length() {
        assert_eq!(shorten("short"), "short");
        let shown = shorten(&"a".repeat(5000));
        assert!(
            shown.ends_with("…(5000 chars)") && shown.len() < 300,
            "{shown}"
        );
    }
}
