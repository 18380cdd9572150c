//! `parse` against serde_json, the parser it stands in for: the same texts
//! are accepted, into the same values.

use super::*;

/// Equal values, floats within an ulp or two (see the module's doc).
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() && b.is_f64() => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            a == b || ((a - b) / b).abs() <= 4.0 * f64::EPSILON
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (a, b) => a == b,
    }
}

/// Asserts that `parse` and serde_json agree on `text`.
fn agree(text: &str) {
    let ours = parse(text);
    let theirs = serde_json::from_str::<Value>(text);
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) => assert!(same(ours, theirs), "{text:?}: {ours} vs {theirs}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{text:?}: ours {ours:?}, serde_json {theirs:?}"),
    }
}

const TEXTS: &[&str] = &[
    // Values as Muster's clients meet them.
    r#"{"ok":true}"#,
    r#"{"detail":[{"loc":["query","x"],"msg":"m","type":"t"}]}"#,
    r#"{"username":"u","groups":[{"name":"g","id":1}],"uid":1000}"#,
    r#" [1, -2, 3.5, -0.25e-3, 1E+2, 0, -0, 1e400, 1e-400, 0e99999] "#,
    "{\"a\":\n\t{\"b\" : [ ]},\r\"c\":{}}",
    r#"{"a":1,"a":2}"#,
    r#""\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#,
    "\"é€😀 raw\"",
    // Integer edges.
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "0.1234567890123456789012345",
    // (Not f64::MAX itself: within an ulp of it, the rounding may
    // differ from serde_json's and refuse it as out of range.)
    "1.5e308",
    "-3.4028235e38",
    "2.2250738585072014e-308",
    "5e-324",
    "-1.5e10",
    "9007199254740993",
    "true",
    "false",
    "null",
    // Refused by both.
    "",
    " ",
    "tru",
    "nul",
    "truex",
    "[1,]",
    "{\"a\":1,}",
    "[1 2]",
    "{\"a\" 1}",
    "{1:2}",
    "{'a':1}",
    "01",
    "-",
    "-a",
    "1.",
    ".5",
    "1e",
    "1e+",
    "+1",
    "0x10",
    "NaN",
    "Infinity",
    "\"unterminated",
    "\"bad \\x escape\"",
    "\"\\u12\"",
    "\"\\ud800\"",
    "\"\\ud800\\u0041\"",
    "\"\\udc00\"",
    "\"tab\there\"",
    "[1] x",
    "[1] [2]",
    "/* c */ 1",
    "[",
    "{",
    "{\"a\"",
    "{\"a\":",
];

#[test]
fn agrees_with_serde_json_on_chosen_texts() {
    for text in TEXTS {
        agree(text);
    }
}

#[test]
fn agrees_with_serde_json_on_generated_texts() {
    // Texts glued from JSON fragments, many of them valid, many subtly not.
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\"k\"",
        "\"v\"",
        "\"\\u00",
        "41\"",
        "\\n",
        "\"",
        "1",
        "-",
        "0",
        ".5",
        "e7",
        "E-2",
        "true",
        "null",
        "fals",
        "e",
        "\"\\ud83d",
        "\\ude00\"",
        "é",
        "\t",
        "123456789012345678901",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..50_000 {
        let length = 1 + next() % 12;
        let text: String = (0..length)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        agree(&text);
    }
}

#[test]
fn nesting_is_limited_like_serde_json() {
    for depth in [MAX_DEPTH - 1, MAX_DEPTH] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        agree(&text);
    }
    assert!(parse(&format!("{}1{}", "[".repeat(127), "]".repeat(127))).is_ok());
    let hostile = "[".repeat(1_000_000);
    assert!(parse(&hostile)
        .unwrap_err()
        .starts_with("nested too deeply"));
}

#[test]
fn errors_say_what_and_where() {
    assert_eq!(parse("[1,]").unwrap_err(), "expected a value at byte 3");
    assert_eq!(parse(r#"{"a" 1}"#).unwrap_err(), "expected `:` at byte 5");
    assert_eq!(parse("1 2").unwrap_err(), "trailing characters at byte 2");
    assert_eq!(parse("").unwrap_err(), "unexpected end at byte 0");
}
