//! Starlette's slash redirect, as in the Python service, except that it
//! never hands a token back: a client that put a token in the URL (where
//! Gafaelfawr never reads one) gets a `Location` without it, since a
//! redirect target is shown, logged and kept in browser history.

use std::borrow::Cow;

use axum::extract::OriginalUri;
use axum::response::{IntoResponse, Redirect, Response};
use muster_report::redact;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Rounds of percent-decoding a URL part is searched through for a token:
/// a token encoded twice is still found, while each round costs a pass over
/// the part (a cap, so that `%252525…` cannot make the search quadratic).
const DECODING_ROUNDS: usize = 4;

/// What a fingerprint put in a path segment must encode: everything but
/// the characters RFC 3986 leaves unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A 307, for any method, to the same path with its trailing slash
/// toggled — `{prefix}` to `{prefix}/` (where the app lives), and a check
/// route asked with a trailing slash to the route without it. The query is
/// kept but for its token-bearing parameters, and a token in a path segment
/// is replaced by its fingerprint.
pub async fn slash_redirect(OriginalUri(uri): OriginalUri) -> Response {
    let path = uri.path();
    let (stem, add_slash) = match path.strip_suffix('/') {
        Some(without) => (without, false),
        None => (path, true),
    };
    let mut target = stem
        .split('/')
        .map(segment_without_token)
        .collect::<Vec<_>>()
        .join("/");
    if add_slash {
        target.push('/');
    }
    if let Some(query) = uri.query().and_then(query_without_tokens) {
        target.push('?');
        target.push_str(&query);
    }
    Redirect::temporary(&target).into_response()
}

/// `segment` as it was, or, when it holds a token, its decoded text with
/// the token fingerprinted, encoded again.
fn segment_without_token(segment: &str) -> Cow<'_, str> {
    match form_with_token(segment) {
        Some(decoded) => utf8_percent_encode(&redact::tokens_in_text(&decoded), SEGMENT)
            .to_string()
            .into(),
        None => segment.into(),
    }
}

/// `query` without the parameters whose name or value holds a token (the
/// others byte for byte as they came), or `None` when none is left.
fn query_without_tokens(query: &str) -> Option<String> {
    let kept: Vec<&str> = query
        .split('&')
        .filter(|parameter| form_with_token(parameter).is_none())
        .collect();
    let kept = kept.join("&");
    (!kept.is_empty()).then_some(kept)
}

/// The first form of `raw` — as it came, then percent-decoded once, twice…
/// — in which the redaction module sees token-shaped text, if any.
fn form_with_token(raw: &str) -> Option<Cow<'_, str>> {
    let mut form = Cow::Borrowed(raw);
    for _ in 0..=DECODING_ROUNDS {
        if redact::tokens_in_text(&form) != form {
            return Some(form);
        }
        let decoded = percent_decode_str(&form).decode_utf8_lossy().into_owned();
        if decoded == form {
            return None;
        }
        form = Cow::Owned(decoded);
    }
    None
}
