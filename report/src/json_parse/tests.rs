//! `parse` against its references: serde_json decides which texts are JSON
//! and what they hold, except a float's value, which must be the double
//! nearest its digits as core's `str::parse::<f64>` finds it, bit for bit
//! (the module's doc says why serde_json's default float reading is not
//! the reference), and floats that cannot be read exactly, which must be
//! refused (see [`read_as_written`]).

use super::*;

/// Equal values, floats bit for bit (so `-0.0` is not `0.0`).
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
            a.is_f64() && b.is_f64() && a.as_f64().map(f64::to_bits) == b.as_f64().map(f64::to_bits)
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

/// Floats are replaced by integers from here on while serde_json reads a
/// text (see [`reference`]); no text of the corpus holds such an integer.
const PLACEHOLDER: u64 = 18_000_000_000_000_000_000;

/// What `parse` must make of `text`: serde_json's value, with every float
/// the correctly rounded value of its digits; refused when serde_json
/// refuses it, a float's digits round beyond `f64::MAX`, or a float is not
/// read exactly.
///
/// serde_json's own floats can be a few ulps off, so each float is first
/// swapped for a placeholder integer (a number for a number: what is JSON
/// stays JSON, and what is not stays not), and put back afterwards as
/// core's `str::parse::<f64>` reads its digits.
fn reference(text: &[u8]) -> Result<Value, String> {
    assert!(
        !text.windows(14).any(|w| w == b"18000000000000"),
        "the corpus holds a placeholder"
    );
    let mut floats = Vec::new();
    let mut rewritten = Vec::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut at = 0;
    while at < text.len() {
        let byte = text[at];
        let run = if in_string {
            0
        } else {
            text[at..]
                .iter()
                .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .count()
        };
        if run == 0 {
            rewritten.push(byte);
            at += 1;
            if in_string {
                in_string = escaped || byte != b'"';
                escaped = !escaped && byte == b'\\';
            } else {
                in_string = byte == b'"';
            }
            continue;
        }
        let token = &text[at..at + run];
        at += run;
        match correctly_rounded(token)? {
            Some(float) => {
                rewritten.extend((PLACEHOLDER + floats.len() as u64).to_string().bytes());
                floats.push(float);
            }
            None => rewritten.extend_from_slice(token),
        }
    }
    let mut value = serde_json::from_slice(&rewritten).map_err(|error| error.to_string())?;
    restore(&mut value, &floats);
    Ok(value)
}

/// For a JSON number that serde_json reads as a float (or refuses as out
/// of range): the double nearest its digits, or an error when that is
/// infinite or the number is not read (see [`read_as_written`]). `None`
/// for integers and for what is not a number.
fn correctly_rounded(token: &[u8]) -> Result<Option<f64>, String> {
    let text = std::str::from_utf8(token).map_err(|error| error.to_string())?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Number(number)) if number.is_f64() => {}
        Err(error) if error.to_string().starts_with("number out of range") => {}
        _ => return Ok(None),
    }
    let float: f64 = text.parse().map_err(|_| format!("{text} is not a float"))?;
    if !float.is_finite() {
        return Err("number out of range".to_owned());
    }
    if !read_as_written(text) {
        return Err("not read exactly".to_owned());
    }
    Ok(Some(float))
}

/// Whether `parse` reads a float `text` (whose nearest double is finite):
/// when its significant digits (trailing zeros aside) make an integer
/// `w` ≤ 2^53 and the power of ten `p` after them is within ±22, or up
/// to 37 while w × 10^(p − 22) < 2^53; or when it is below 10^-324.
fn read_as_written(text: &str) -> bool {
    let text = text.trim_start_matches('-');
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let exponent: i128 =
        exponent
            .trim_start_matches('+')
            .parse()
            .unwrap_or(if exponent.starts_with('-') {
                -(1 << 100)
            } else {
                1 << 100
            });
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{integer}{fraction}");
    let digits = all.trim_matches('0');
    if digits.is_empty() {
        return true;
    }
    let trailing = all.len() - all.trim_end_matches('0').len();
    let power = exponent - fraction.len() as i128 + trailing as i128;
    if digits.len() as i128 + power <= -324 {
        return true;
    }
    let exact = 1_u128 << 53;
    let Some(w) = digits.parse::<u128>().ok().filter(|&w| w <= exact) else {
        return false;
    };
    match power {
        -22..=22 => true,
        23..=37 => w * 10_u128.pow(power as u32 - 22) < exact,
        _ => false,
    }
}

/// Puts the floats back where [`reference`] left placeholders.
fn restore(value: &mut Value, floats: &[f64]) {
    match value {
        Value::Number(number) => {
            let index = number.as_u64().and_then(|n| n.checked_sub(PLACEHOLDER));
            if let Some(&float) = index.and_then(|index| floats.get(index as usize)) {
                *value = Value::from(float);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| restore(item, floats)),
        Value::Object(members) => members.values_mut().for_each(|item| restore(item, floats)),
        _ => {}
    }
}

/// `text` for a failure message: whole when short, else its ends.
fn shown(text: &[u8]) -> String {
    if text.len() <= 160 {
        return format!("{:?}", String::from_utf8_lossy(text));
    }
    format!(
        "{:?} … ({} bytes) … {:?}",
        String::from_utf8_lossy(&text[..80]),
        text.len(),
        String::from_utf8_lossy(&text[text.len() - 80..])
    )
}

/// Asserts that `parse` gives what [`reference`] says for `text`.
fn agree(text: impl AsRef<[u8]>) {
    let text = text.as_ref();
    let ours = parse_bytes(text);
    match (&ours, reference(text)) {
        (Ok(ours), Ok(theirs)) => assert!(
            same(ours, &theirs),
            "{}: ours {ours}, reference {theirs}",
            shown(text)
        ),
        (Err(_), Err(_)) => {}
        (_, theirs) => panic!("{}: ours {ours:?}, reference {theirs:?}", shown(text)),
    }
}

const TEXTS: &[&str] = &[
    // Values as Muster's clients meet them.
    r#"{"ok":true}"#,
    r#"{"detail":[{"loc":["query","x"],"msg":"m","type":"t"}]}"#,
    r#"{"username":"u","groups":[{"name":"g","id":1}],"uid":1000}"#,
    r#" [1, -2, 3.5, -0.25e-3, 1E+2, 0, -0, 1e400, 1e-400, 0e99999] "#,
    r#"[1, -2, 3.5, -0.25e-3, 1E+2, 0, -0, 1e-400, 0e99999, 0.30000000000000004]"#,
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
    // Float edges.
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "1.5e308",
    "-3.4028235e38",
    "2.2250738585072014e-308",
    "2.2250738585072011e-308",
    "5e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "-1.5e10",
    "9007199254740993",
    "9007199254740993.0",
    "1e23",
    "8.98846567431158e307",
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
    "{1.5:2}",
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
    "1e400",
    "-1e400",
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
fn agrees_with_the_references_on_chosen_texts() {
    for text in TEXTS {
        agree(text);
    }
}

/// A xorshift generator: the same corpus on every run.
fn generator(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

#[test]
fn agrees_with_the_references_on_generated_texts() {
    // Texts glued from JSON fragments, many of them valid, many subtly not:
    // numbers at f64's edges, and bytes that are not UTF-8.
    const PIECES: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b" ",
        b"\"k\"",
        b"\"v\"",
        b"\"\\u00",
        b"41\"",
        b"\\n",
        b"\"",
        b"1",
        b"-",
        b"0",
        b".5",
        b"e7",
        b"E-2",
        b"true",
        b"null",
        b"fals",
        b"e",
        b"\"\\ud83d",
        b"\\ude00\"",
        "é".as_bytes(),
        b"\t",
        b"123456789012345678901",
        b"1.7976931348623157e308",
        b"1.7976931348623159e308",
        b"2.4703282292062328e-324",
        b"4.9e-324",
        b"e-330",
        b"e400",
        b"12345678901234567890123456789012345678901234567890",
        b"\xff",
        b"\xc3",
        b"\xc3\x28",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xc0\xaf",
        b"\xf0\x9f\x98",
        b"\xf0\x9f\x98\x80",
    ];
    let mut next = generator(0x9E37_79B9_7F4A_7C15);
    for _ in 0..50_000 {
        let length = 1 + next() % 12;
        let text: Vec<u8> = (0..length)
            .flat_map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .copied()
            .collect();
        agree(&text);
    }
}

/// The exact decimal digits of `x`, with 1,100 after the point (enough
/// for every double: the smallest needs 1,074).
fn exact_digits(x: f64) -> Vec<u8> {
    format!("{x:.1100}")
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|digit| digit - b'0')
        .collect()
}

/// The exact decimal text of the midpoint between `low` and `high`,
/// given as [`exact_digits`] (1,100 of them after the point).
fn midpoint(low: &[u8], high: &[u8]) -> String {
    let width = low.len().max(high.len()) + 1;
    let padded = |digits: &[u8]| {
        let mut out = vec![0; width - digits.len()];
        out.extend_from_slice(digits);
        out
    };
    let (low, high) = (padded(low), padded(high));
    let mut sum = vec![0_u8; width];
    let mut carry = 0;
    for at in (0..width).rev() {
        let digit = low[at] + high[at] + carry;
        sum[at] = digit % 10;
        carry = digit / 10;
    }
    // Halving leaves a remainder only for an odd last digit: the last of
    // the 1,100 places is always zero for a sum of two doubles.
    let mut remainder = 0;
    for digit in &mut sum {
        let value = remainder * 10 + *digit;
        *digit = value / 2;
        remainder = value % 2;
    }
    assert_eq!(remainder, 0);
    let point = width - 1100;
    let integer = sum[..point]
        .iter()
        .skip_while(|&&digit| digit == 0)
        .map(|digit| char::from(b'0' + digit))
        .collect::<String>();
    let fraction: String = sum[point..]
        .iter()
        .map(|digit| char::from(b'0' + digit))
        .collect();
    let fraction = fraction.trim_end_matches('0');
    let integer = if integer.is_empty() { "0" } else { &integer };
    if fraction.is_empty() {
        format!("{integer}.0")
    } else {
        format!("{integer}.{fraction}")
    }
}

/// Texts of `x` and of the numbers around the midpoint above it: exactly
/// on it (ties go to the even neighbour), a digit above it, just below
/// it, and (`with_huge`) above it by a digit after 100,001 zeros.
fn texts_around(x: f64, with_huge: bool, out: &mut Vec<String>) {
    out.push(format!("{x:e}"));
    out.push(format!("{x:.16e}"));
    out.push(format!("{x:.30e}"));
    out.push(format!("{x:.1100}").trim_end_matches('0').to_owned() + "0");
    let low = exact_digits(x);
    let high = if x == f64::MAX {
        // 2^1024, the first power of two past the last double.
        let half = exact_digits(2_f64.powi(1023));
        let mut doubled = vec![0_u8; half.len()];
        let mut carry = 0;
        for at in (0..half.len()).rev() {
            let digit = half[at] * 2 + carry;
            doubled[at] = digit % 10;
            carry = digit / 10;
        }
        let mut high = vec![carry];
        high.extend(doubled);
        high
    } else {
        exact_digits(f64::from_bits(x.to_bits() + 1))
    };
    let middle = midpoint(&low, &high);
    out.push(format!("{middle}1"));
    if with_huge {
        out.push(format!("{middle}{}1", "0".repeat(100_001)));
    }
    // Cutting the last digit leaves a number below the midpoint.
    out.push(middle[..middle.len() - 1].to_owned());
    // With an exponent, and a mantissa of more than 1,000 digits.
    let (integer, fraction) = middle.split_once('.').unwrap_or((&middle, ""));
    out.push(format!("0.{integer}{fraction}e{}", integer.len()));
    out.push(middle);
}

/// Number texts at f64's edges, whole and in arrays and objects.
fn edge_numbers() -> Vec<String> {
    let mut texts = vec![
        format!("1{}e-100001", "0".repeat(100_001)),
        format!("0.{}1e100002", "0".repeat(100_001)),
        format!("1{}", "0".repeat(100_001)),
        format!("0.{}1", "0".repeat(100_001)),
        format!("-0.{}1", "0".repeat(100_001)),
        format!("1e{}5", "0".repeat(100_001)),
        format!("1{}e-100000", "0".repeat(100_001)),
        format!("17976931348623157{}e-100000", "0".repeat(100_292)),
        format!("1{}e-99999999999999999999", "0".repeat(400)),
        "1e100001".to_owned(),
        "1e-100001".to_owned(),
        "-0e100001".to_owned(),
        "0e-99999999999999999999999".to_owned(),
        "1e99999999999999999999".to_owned(),
        "1e-99999999999999999999".to_owned(),
        "-1e-99999999999999999999".to_owned(),
        "1e-9223372036854775809".to_owned(),
        "1e9223372036854775808".to_owned(),
        "0.0e9223372036854775808".to_owned(),
    ];
    let largest = f64::MAX.to_bits();
    let chosen = [
        largest,
        largest - 1,
        largest - 2,
        largest - 3,
        largest - 4,
        largest - 5,
        0,
        1,
        2,
        3,
        (1 << 52) - 1,
        1 << 52,
        (1 << 52) + 1,
        1e23_f64.to_bits(),
        1.0_f64.to_bits(),
        1.0_f64.to_bits() - 1,
        9007199254740992_f64.to_bits(),
        0.1_f64.to_bits(),
        2_f64.powi(1023).to_bits(),
    ];
    for bits in chosen {
        texts_around(f64::from_bits(bits), true, &mut texts);
    }
    let mut next = generator(0x2545_F491_4F6C_DD1D);
    for _ in 0..300 {
        // Any finite double.
        let bits = next() % f64::MAX.to_bits();
        texts_around(f64::from_bits(bits), false, &mut texts);
    }
    for _ in 0..20_000 {
        // Decimal texts of every length, at every scale, and half of
        // them around the edges of what is read exactly (2^53, 1e±22).
        let digits = match next() % 20 {
            0 => 700 + next() % 120,
            1 => 19 + next() % 3,
            2..=9 => 1 + next() % 17,
            _ => 1 + next() % 40,
        };
        let mut text: String = (0..digits)
            .map(|at| match next() % 8 {
                0 if at > 0 => '0',
                1 => '9',
                _ => char::from(b'1' + (next() % 9) as u8),
            })
            .collect();
        // The number is the digits times 10^power, however written.
        let power = if next().is_multiple_of(2) {
            (next() % 720) as i64 - 360
        } else {
            (next() % 66) as i64 - 26
        };
        let mut exponent = power;
        if next().is_multiple_of(2) && digits > 1 {
            let point = 1 + (next() % (digits - 1)) as usize;
            text.insert(point, '.');
            exponent += (digits as usize - point) as i64;
        }
        text = format!("{text}e{exponent}");
        if next().is_multiple_of(4) {
            text.insert(0, '-');
        }
        texts.push(text);
    }
    let whole = texts.len();
    for at in (0..whole).step_by(7) {
        texts.push(format!(" [{}, 0.5] ", texts[at]));
        texts.push(format!("{{\"k\":{}}}", texts[at]));
    }
    texts
}

#[test]
fn floats_are_the_nearest_double_at_every_edge() {
    for text in edge_numbers() {
        agree(&text);
    }
}

#[test]
fn huge_digit_counts_keep_their_value() {
    let ten = format!("1{}e-100001", "0".repeat(100_001));
    assert_eq!(parse(&ten), Ok(Value::from(1.0)));
    let tenth = format!("0.{}1e100002", "0".repeat(100_001));
    assert_eq!(parse(&tenth), Ok(Value::from(1.0)));
}

#[test]
fn what_is_not_read_exactly_is_refused_clearly() {
    let refused = "number not read exactly (over 15 digits or past 1e±22)";
    // The largest doubles, the smallest, and 17-digit forms.
    for below in 0..6 {
        let largest = f64::from_bits(f64::MAX.to_bits() - below);
        let text = format!("{largest:e}");
        assert_eq!(
            parse(&text),
            Err(format!("{refused} at byte {}", text.len()))
        );
    }
    for text in [
        "5e-324",
        "0.30000000000000004",
        "1e-23",
        "9007199254740993.0",
    ] {
        assert_eq!(
            parse(text),
            Err(format!("{refused} at byte {}", text.len()))
        );
    }
    // Within the exact range, however written.
    for (text, value) in [
        ("9007199254740992.0", 9007199254740992.0),
        ("0.1", 0.1),
        ("1.5e-21", 1.5e-21),
        ("123456789012345e22", 123456789012345e22),
        ("1e37", 1e37),
        ("4.9406564584124654e-325", 0.0),
    ] {
        assert_eq!(parse(text), Ok(Value::from(value)), "{text}");
    }
}

#[test]
fn invalid_utf8_is_refused_not_replaced() {
    assert_eq!(
        parse_bytes(b"{\"a\":\"\xff\"}").unwrap_err(),
        "invalid UTF-8 at byte 6"
    );
    assert_eq!(
        parse_bytes(b"[\"\xed\xa0\x80\"]").unwrap_err(),
        "invalid UTF-8 at byte 2"
    );
    assert_eq!(
        parse_bytes("\"\u{fffd}\"".as_bytes()),
        Ok(Value::from("\u{fffd}"))
    );
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
    assert_eq!(
        parse("[1e400]").unwrap_err(),
        "number out of range at byte 6"
    );
}
