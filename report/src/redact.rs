//! Redaction of secrets: a token, cookie or `Authorization` value never
//! leaves Muster whole — not in a body, a page, a log line or a share link.
//! What remains is a fingerprint that lets a person tell values apart.
//!
//! This module is the one place that decides what is secret: the server's
//! evidence and log lines, the clients' recorded exchanges and the CLI's
//! messages all redact through it.

use crate::text::shorten;

/// Length of a Gafaelfawr token: `gt-`, 22 characters, `.`, 22 characters.
pub const TOKEN_LENGTH: usize = 48;

/// True when `value` has the shape of a Gafaelfawr token
/// (`gt-<22 url-safe base64>.<22 url-safe base64>`).
pub fn is_token_shaped(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("gt-") else {
        return false;
    };
    let Some((key, secret)) = rest.split_once('.') else {
        return false;
    };
    key.len() == 22 && secret.len() == 22 && key.chars().chain(secret.chars()).all(is_base64url)
}

fn is_base64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A fingerprint of a secret value: `gt-AbCd…(48 chars)` for anything that
/// starts like a Gafaelfawr token, `…(N chars)` otherwise.
pub fn fingerprint(secret: &str) -> String {
    let length = secret.chars().count();
    match secret.strip_prefix("gt-") {
        Some(rest) => {
            let shown: String = rest.chars().take(4).filter(|c| is_base64url(*c)).collect();
            format!("gt-{shown}…({length} chars)")
        }
        None => format!("…({length} chars)"),
    }
}

/// The value of an `Authorization` header with its credential replaced by a
/// fingerprint; the scheme and any stray spaces around the credential stay
/// readable (`Bearer gt-AbCd…(48 chars)`), since a wrong spacing is often
/// why a value is refused.
pub fn authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, credential)) => {
            let leading = &credential[..credential.len() - credential.trim_start().len()];
            let trailing = &credential[credential.trim_end().len()..];
            let secret = fingerprint(credential.trim());
            format!("{scheme} {leading}{secret}{trailing}")
        }
        None => fingerprint(value),
    }
}

/// A `Cookie` header with every cookie value replaced by a fingerprint, so
/// the names that reached a backend can still be seen.
pub fn cookie_header(value: &str) -> String {
    value
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => format!("{name}={}", fingerprint(value)),
            None => fingerprint(pair),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A header value made safe to keep or show: credentials fingerprinted
/// (`Authorization`, `Proxy-Authorization`, cookie values of `Cookie` and
/// `Set-Cookie`, `X-Auth-Request-Token`), tokens in any other value
/// fingerprinted, long values cut. `name` may be in any case.
pub fn header_value(name: &str, value: &str) -> String {
    let safe = match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => authorization(value),
        "cookie" => cookie_header(value),
        "set-cookie" => match value.split_once(';') {
            Some((pair, attributes)) => format!("{};{attributes}", cookie_header(pair)),
            None => cookie_header(value),
        },
        "x-auth-request-token" => fingerprint(value.trim()),
        _ => tokens_in_text(value),
    };
    shorten(&safe)
}

/// `text` with every value of `secrets` replaced by its fingerprint and
/// nothing else changed (safe on share links, whose payload may contain
/// `gt-` by chance). Values shorter than four characters are too common to
/// be told from other text and are left alone.
pub fn secrets_in_text(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|secret| secret.len() >= 4)
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), &fingerprint(secret))
        })
}

/// `text` with every token-shaped string ([`tokens_in_text`]) and every
/// value of `secrets` ([`secrets_in_text`]) fingerprinted.
pub fn tokens_and_secrets(text: &str, secrets: &[String]) -> String {
    secrets_in_text(&tokens_in_text(text), secrets)
}

/// `text` with every substring that starts like a Gafaelfawr token
/// (`gt-` followed by token characters) replaced by its fingerprint. Used on
/// free text such as paths and messages that might echo a token.
pub fn tokens_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("gt-") {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = 3 + candidate[3..]
            .find(|c: char| !(is_base64url(c) || c == '.'))
            .unwrap_or(candidate.len() - 3);
        let token = &candidate[..end];
        if end > 3 + 8 {
            out.push_str(&fingerprint(token));
        } else {
            out.push_str(token);
        }
        rest = &candidate[end..];
    }
    out.push_str(rest);
    out
}

/// How many layers of percent-encoding [`url_path`] undoes: a peer gains
/// nothing by encoding more often than the servers in between decode.
const DECODING_ROUNDS: usize = 4;

/// A request path (or any part of a URL) made safe to log: tokens
/// fingerprinted in the raw form and once percent-decoded, so that
/// `gt-…%2E<secret>`, `%67t-…` or `gt%2D…` hide nothing. When a token
/// shows only once decoded, the decoded form is what remains (with control
/// characters and `%` encoded again, so a line stays one line); otherwise
/// the path stays as it came.
pub fn url_path(raw: &str) -> String {
    let mut decoded = raw.to_owned();
    for _ in 0..DECODING_ROUNDS {
        let next = percent_decoded(&decoded);
        if next == decoded {
            break;
        }
        decoded = next;
    }
    let redacted = tokens_in_text(&decoded);
    if decoded == raw || redacted == decoded {
        return tokens_in_text(raw);
    }
    let mut shown = String::with_capacity(redacted.len());
    for c in redacted.chars() {
        if c.is_control() || c == '%' {
            let mut bytes = [0; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                shown.push_str(&format!("%{byte:02X}"));
            }
        } else {
            shown.push(c);
        }
    }
    shown
}

/// `text` with every `%` and two hex digits replaced by the byte they
/// stand for; bytes that do not form UTF-8 become U+FFFD.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .filter(|pair| pair.iter().all(u8::is_ascii_hexdigit))
            .and_then(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "gt-AbCdEfGhIjKlMnOpQrStUv.0123456789abcdefghijkl";

    #[test]
    fn recognises_gafaelfawr_tokens() {
        assert!(is_token_shaped(TOKEN));
        assert!(!is_token_shaped("gt-short.short"));
        assert!(!is_token_shaped("bogus"));
        assert!(!is_token_shaped(
            "gt-AbCdEfGhIjKlMnOpQrStUv+0123456789abcdefghijkl"
        ));
    }

    #[test]
    fn fingerprint_keeps_no_more_than_the_key_start() {
        assert_eq!(fingerprint(TOKEN), "gt-AbCd…(48 chars)");
        assert_eq!(fingerprint("sessionvalue"), "…(12 chars)");
    }

    #[test]
    fn authorization_keeps_the_scheme() {
        assert_eq!(
            authorization(&format!("Bearer {TOKEN}")),
            "Bearer gt-AbCd…(48 chars)"
        );
        assert_eq!(authorization("Token bogus"), "Token …(5 chars)");
        assert_eq!(authorization("opaque"), "…(6 chars)");
    }

    #[test]
    fn authorization_keeps_stray_spaces_visible() {
        assert_eq!(
            authorization(&format!("Bearer  {TOKEN} ")),
            "Bearer  gt-AbCd…(48 chars) "
        );
    }

    #[test]
    fn cookie_header_keeps_names_only() {
        let redacted = cookie_header(&format!("gafaelfawr={TOKEN}; theme=dark"));
        assert_eq!(redacted, "gafaelfawr=gt-AbCd…(48 chars); theme=…(4 chars)");
    }

    #[test]
    fn header_values_are_redacted_by_their_name() {
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(
            header_value("Authorization", &bearer),
            "Bearer gt-AbCd…(48 chars)"
        );
        assert_eq!(
            header_value("set-cookie", &format!("gafaelfawr={TOKEN}; Path=/")),
            "gafaelfawr=gt-AbCd…(48 chars); Path=/"
        );
        assert_eq!(
            header_value("x-auth-request-token", TOKEN),
            "gt-AbCd…(48 chars)"
        );
        assert_eq!(
            header_value("location", &format!("/x?t={TOKEN}")),
            "/x?t=gt-AbCd…(48 chars)"
        );
        assert!(header_value("x-other", &"a".repeat(500)).ends_with("…(500 chars)"));
    }

    #[test]
    fn given_secrets_are_hidden_even_when_not_token_shaped() {
        let shown = tokens_and_secrets("bad token hunter2-secret", &["hunter2-secret".into()]);
        assert_eq!(shown, "bad token …(14 chars)");
        assert_eq!(secrets_in_text("a b", &["a".into()]), "a b");
    }

    #[test]
    fn tokens_in_free_text_are_fingerprinted() {
        let text = format!("GET /muster/{TOKEN}/x and gt-no");
        let redacted = tokens_in_text(&text);
        assert_eq!(redacted, "GET /muster/gt-AbCd…(48 chars)/x and gt-no");
        assert!(!redacted.contains(&TOKEN[10..]));
    }

    #[test]
    fn percent_encoding_hides_no_token_from_a_logged_path() {
        let (key, secret) = TOKEN.split_once('.').unwrap();
        let key = &key[3..];
        for path in [
            format!("/muster/auth/gt-{key}%2E{secret}"),
            format!("/muster/auth/gt-{key}%2e{secret}"),
            format!("/muster/auth/%67t-{key}.{secret}"),
            format!("/muster/auth/gt%2D{key}.{secret}"),
            format!("/muster/auth/%67%74%2D{key}%2E{secret}/x"),
            format!("/muster/auth/gt-{key}%252E{secret}"),
        ] {
            let logged = url_path(&path);
            assert!(!logged.contains(secret), "{path} logged as {logged}");
            assert!(!logged.contains(&key[4..]), "{path} logged as {logged}");
        }
    }

    #[test]
    fn a_decoded_path_stays_one_line() {
        let path = format!("/muster/%0A{}%2E{}", &TOKEN[..25], &TOKEN[26..]);
        assert_eq!(url_path(&path), "/muster/%0Agt-AbCd…(48 chars)");
    }

    #[test]
    fn paths_without_encoded_tokens_are_logged_as_they_came() {
        assert_eq!(url_path("/muster/auth/fail"), "/muster/auth/fail");
        assert_eq!(url_path("/muster/a%20b%zz"), "/muster/a%20b%zz");
        assert_eq!(
            url_path(&format!("/muster/{TOKEN}")),
            "/muster/gt-AbCd…(48 chars)"
        );
    }
}
