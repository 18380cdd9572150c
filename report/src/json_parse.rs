//! JSON text to a [`serde_json::Value`], for the bodies clients judge.
//!
//! serde_json's own parser is generic over the value it builds; linked into
//! the browser app only to build `Value`s it cost about 4 KB of compressed
//! wasm. This parser builds `Value`s and nothing else, and is what every
//! client (the page and `muster-check`) uses for response bodies, so both
//! read a body the same way. It accepts exactly RFC 8259 JSON, like
//! serde_json: one value with optional whitespace around it, no trailing
//! commas, no comments, no lone surrogates, no byte that is not UTF-8
//! (refused, never replaced), nesting less than [`MAX_DEPTH`] deep.
//! Integers that fit are `u64` / `i64`, as serde_json makes them.
//!
//! Other numbers are `f64`, and a float is read only when it can be read
//! exactly: as the double nearest to it (ties to even), the value core's
//! `str::parse::<f64>`, serde_json's `float_roundtrip` feature, browsers'
//! `JSON.parse` and Python's `json` all give. serde_json's default reading
//! is not the reference: it can be some ulps off, so it disagrees with
//! every correct reader. Exact here means one IEEE operation on exact
//! operands: significant digits (trailing zeros aside) up to 2^53, so 15
//! or 16 of them, and a power of ten after them within ±22 (up to 37
//! while the digits times 10^(p − 22) stay below 2^53); any number below
//! 10^-324 is zero. Other floats are refused ("number not read exactly"),
//! like those of 10^309 and more ("number out of range"): rounding them
//! correctly takes arbitrary-precision arithmetic, which measured +585
//! bytes of the page's compressed wasm (core's parser: +13.9 KB), more
//! than the page's budget has. No client judges a float.

use serde_json::{Map, Number, Value};

/// Arrays and objects nested this deep are refused (serde_json's limit),
/// so that hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// `bytes` as JSON, or why they are not: bytes that are not UTF-8 are
/// refused, as serde_json's `from_slice` refuses them, never replaced.
/// (A body decoded lossily to text would read as JSON it is not.)
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|error| format!("invalid UTF-8 at byte {}", error.valid_up_to()))?;
    parse(text)
}

/// `text` as JSON, or why it is not: what was wrong and the byte offset.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.at < parser.bytes.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

/// A position in the text being parsed.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after whitespace) if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let next = self.peek() == Some(byte);
        self.at += usize::from(next);
        next
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("unexpected end")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if !self.bytes[self.at..].starts_with(word.as_bytes()) {
            return Err(self.error("expected a value"));
        }
        self.at += word.len();
        Ok(value)
    }

    /// Parses an array or object with `inner`, within the depth limit.
    fn nested(&mut self, inner: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        if self.depth + 1 == MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.depth += 1;
        self.at += 1;
        let value = inner(self);
        self.depth -= 1;
        value
    }

    fn array(&mut self) -> Result<Value, String> {
        let mut items = Vec::new();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("expected `,` or `]`"));
            }
        }
    }

    fn object(&mut self) -> Result<Value, String> {
        let mut object = Map::new();
        if self.eat(b'}') {
            return Ok(Value::Object(object));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key"));
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.error("expected `:`"));
            }
            object.insert(key, self.value()?);
            if self.eat(b'}') {
                return Ok(Value::Object(object));
            }
            if !self.eat(b',') {
                return Err(self.error("expected `,` or `}`"));
            }
        }
    }

    /// A string, from its opening quote.
    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The run starts and stops at ASCII bytes: whole characters.
            out.push_str(self.text.get(start..self.at).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self.escape()?;
                    out.push(escaped);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// The character an escape (after its backslash) stands for.
    fn escape(&mut self) -> Result<char, String> {
        let byte = self
            .peek()
            .ok_or_else(|| self.error("unterminated string"))?;
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if !self.bytes[self.at..].starts_with(b"\\u") {
                        return Err(self.error("lone surrogate"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("lone surrogate"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code).ok_or_else(|| self.error("lone surrogate"))?
            }
            _ => return Err(self.error("invalid escape")),
        })
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, String> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|byte| char::from(byte).to_digit(16))
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }

    /// Consumes a run of digits, returning how many there were.
    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Number, String> {
        let negative = self.peek() == Some(b'-');
        self.at += usize::from(negative);
        let integer_start = self.at;
        let integer_digits = self.digits();
        if integer_digits == 0 || (integer_digits > 1 && self.bytes[integer_start] == b'0') {
            return Err(self.error("invalid number"));
        }
        let mut has_fraction = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
            has_fraction = true;
        }
        let mantissa = &self.bytes[integer_start..self.at];
        let mut exponent: i64 = 0;
        let has_exponent = matches!(self.peek(), Some(b'e' | b'E'));
        if has_exponent {
            self.at += 1;
            let negative_exponent = self.peek() == Some(b'-');
            self.at += usize::from(matches!(self.peek(), Some(b'+' | b'-')));
            let exponent_start = self.at;
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
            for &digit in &self.bytes[exponent_start..self.at] {
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(EXPONENT_CAP);
            }
            if negative_exponent {
                exponent = -exponent;
            }
        }
        if !has_fraction && !has_exponent {
            if let Some(magnitude) = decimal(mantissa) {
                if !negative {
                    return Ok(Number::from(magnitude));
                }
                // As serde_json: -0 and what overflows i64 become floats.
                let value = (magnitude as i64).wrapping_neg();
                if value < 0 {
                    return Ok(Number::from(value));
                }
            }
        }
        let magnitude = nearest_double(mantissa, exponent).map_err(|why| self.error(why))?;
        Number::from_f64(if negative { -magnitude } else { magnitude })
            .ok_or_else(|| self.error("invalid number"))
    }
}

/// Digits as a `u64`, or `None` when they overflow it.
fn decimal(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0_u64, |value, &digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// Explicit exponents stop growing here: any larger one has the same
/// outcome, since a text's digits (far fewer than 10^16 in any text that
/// fits in memory) move the decimal point less than the 10^17 − 400 it
/// would take to bring such a number back into range.
const EXPONENT_CAP: i64 = 100_000_000_000_000_000;

/// The double nearest to `mantissa` (digits with an optional point) times
/// ten to the `exponent`, when the module's doc says it is read exactly
/// (in one IEEE operation on exact operands, so correctly rounded), or
/// why it is not read.
fn nearest_double(mantissa: &[u8], exponent: i64) -> Result<f64, &'static str> {
    const EXACT: u64 = 1 << 53;
    // The number is `significand` × 10^`power`, with `count` significant
    // digits; zeros after the last non-zero digit only scale it. Past
    // 2^53 the significand stops growing: it is not read exactly then.
    let (mut significand, mut count, mut zeros) = (0_u64, 0_i64, 0_i64);
    let (mut power, mut after_point) = (exponent, false);
    for &byte in mantissa {
        if byte == b'.' {
            after_point = true;
            continue;
        }
        power -= i64::from(after_point);
        if byte == b'0' {
            zeros += 1;
            continue;
        }
        if significand == 0 {
            zeros = 0;
        }
        count += zeros + 1;
        for _ in 0..=zeros {
            if significand <= EXACT {
                significand *= 10;
            }
        }
        significand += u64::from(byte - b'0');
        zeros = 0;
    }
    power += zeros;
    if significand == 0 || count + power <= -324 {
        return Ok(0.0);
    }
    if count - 1 + power >= 309 {
        return Err("number out of range");
    }
    // Past 10^22 the first factor must stay an exact integer.
    let mut value = significand as f64;
    if significand <= EXACT && (-22..=37).contains(&power) {
        if power < 0 {
            return Ok(value / 10_f64.powi(-power as i32));
        }
        value *= 10_f64.powi(power.max(22) as i32 - 22);
        if power <= 22 || value < EXACT as f64 {
            return Ok(value * 10_f64.powi(power.min(22) as i32));
        }
    }
    Err("number not read exactly (over 15 digits or past 1e±22)")
}

#[cfg(test)]
mod tests;
