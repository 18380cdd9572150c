//! Response bodies made readable: JSON indented, anything else as it came.
//! Pure text, so that it is unit-tested natively.

/// `body` pretty-printed when it is JSON, as it came otherwise. Members
/// keep their order; only whitespace outside strings changes. (Indenting
/// the text rather than printing a parsed `Value` keeps serde_json's
/// pretty printer out of the wasm.)
pub fn pretty(body: &str) -> String {
    if muster_report::json_parse::parse(body).is_err() {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len() * 2);
    let mut depth = 0_usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = body.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 2));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|&next| next == '}' || next == ']') {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn indents_nested_objects_and_arrays_by_two_spaces() {
        assert_eq!(
            pretty(r#"{"a":{"b":[1,2]},"c":true}"#),
            "{\n  \"a\": {\n    \"b\": [\n      1,\n      2\n    ]\n  },\n  \"c\": true\n}"
        );
    }

    #[test]
    fn keeps_empty_containers_on_one_line_whatever_whitespace_they_held() {
        assert_eq!(pretty("{}"), "{}");
        assert_eq!(pretty("[ ]"), "[]");
        assert_eq!(pretty("{ \n\t }"), "{}");
        assert_eq!(
            pretty(r#"{"a":[],"b":{},"c":[[]]}"#),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    []\n  ]\n}"
        );
    }

    #[test]
    fn replaces_the_whitespace_it_came_with() {
        let spaced = "  {\n\n   \"a\" :\t1 ,  \"b\":  [ null ]  }  ";
        assert_eq!(
            pretty(spaced),
            "{\n  \"a\": 1,\n  \"b\": [\n    null\n  ]\n}"
        );
        // Already pretty: unchanged.
        let done = pretty(spaced);
        assert_eq!(pretty(&done), done);
    }

    #[test]
    fn leaves_strings_untouched_even_when_they_hold_json_punctuation() {
        let body = r#"{"msg":"a, b: {c} [d]  e","k":"x"}"#;
        assert_eq!(
            pretty(body),
            "{\n  \"msg\": \"a, b: {c} [d]  e\",\n  \"k\": \"x\"\n}"
        );
    }

    #[test]
    fn follows_escapes_to_find_where_a_string_ends() {
        // An escaped quote does not end the string; an escaped backslash
        // before a quote does not escape that quote.
        let body = r#"{"q":"say \"hi\", {ok}","b":"c:\\","n":1}"#;
        assert_eq!(
            pretty(body),
            "{\n  \"q\": \"say \\\"hi\\\", {ok}\",\n  \"b\": \"c:\\\\\",\n  \"n\": 1\n}"
        );
        // A unicode escape stays as written.
        assert_eq!(pretty(r#"["\u00e9\n"]"#), "[\n  \"\\u00e9\\n\"\n]");
    }

    #[test]
    fn keeps_unicode_text_and_keys_intact() {
        assert_eq!(
            pretty(r#"{"clé":"日本語 — ✓","emoji":"🦀"}"#),
            "{\n  \"clé\": \"日本語 — ✓\",\n  \"emoji\": \"🦀\"\n}"
        );
    }

    #[test]
    fn shows_scalars_at_the_top_level_without_their_surrounding_whitespace() {
        assert_eq!(pretty(" 42 "), "42");
        assert_eq!(pretty(r#""text""#), r#""text""#);
        assert_eq!(pretty("-1.5e3"), "-1.5e3");
        assert_eq!(pretty("null"), "null");
    }

    #[test]
    fn shows_anything_that_is_not_json_exactly_as_it_came() {
        for body in [
            "",
            "   ",
            "<html><body>502 Bad Gateway</body></html>",
            "{\"a\": 1",
            "{\"a\": 1}}",
            "[1, 2,]",
            "{'a': 1}",
            "plain text, with: colons {and braces}",
            "日本語",
        ] {
            assert_eq!(pretty(body), body, "{body:?}");
        }
    }
}
