//! Finding the caller's token in a request (the `gafaelfawr` cookie, then
//! `Authorization`), and removing Gafaelfawr credentials from the headers
//! reflected to the backend.

use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::token::Token;

/// Name of Gafaelfawr's session cookie.
pub const COOKIE_NAME: &str = "gafaelfawr";

/// Where a presented token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `gafaelfawr` cookie.
    Cookie,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic` with the token as user or password.
    Basic,
}

/// A token as presented, not yet checked against the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The presented text (possibly not a token at all).
    pub text: String,
    /// Where it was found.
    pub source: Source,
}

/// The caller's credential, in the contract's lookup order: the
/// `gafaelfawr` cookie (if `allow_cookies` and it holds something shaped
/// like a token), then `Authorization`. `Err` carries the message of an
/// `invalid_request` for a malformed `Authorization` header.
pub fn find(headers: &HeaderMap, allow_cookies: bool) -> Result<Option<Credential>, String> {
    if allow_cookies {
        if let Some(text) = session_cookie(headers).filter(|text| Token::is_token(text)) {
            return Ok(Some(Credential {
                text,
                source: Source::Cookie,
            }));
        }
    }
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| "Malformed Authorization header".to_owned())?;
    token_from_authorization(value).map(|(text, source)| Some(Credential { text, source }))
}

/// The value of the `gafaelfawr` cookie, from any `Cookie` header.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
}

/// The token text of an `Authorization` header value and the scheme it came
/// with, after Gafaelfawr's `parse_authorization`; Basic follows the older
/// `x-oauth-basic` convention (`docs/gafaelfawr-contract.md` lists the
/// difference).
fn token_from_authorization(value: &str) -> Result<(String, Source), String> {
    let Some((scheme, blob)) = value.trim().split_once(' ') else {
        return Err("Malformed Authorization header".to_owned());
    };
    let blob = blob.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        if blob.is_empty() {
            return Err("Malformed Authorization header".to_owned());
        }
        Ok((blob.to_owned(), Source::Bearer))
    } else if scheme.eq_ignore_ascii_case("basic") {
        let (user, password) =
            basic_pair(blob).ok_or_else(|| "Invalid Basic auth string".to_owned())?;
        let text = if user == "x-oauth-basic" {
            password
        } else if password == "x-oauth-basic" || Token::is_token(&user) {
            user
        } else {
            password
        };
        Ok((text, Source::Basic))
    } else {
        Err(format!("Unknown Authorization type {scheme}"))
    }
}

/// The user and password of a Basic credential.
fn basic_pair(blob: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(blob).ok()?).ok()?;
    let (user, password) = decoded.trim().split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Whether an `Authorization` value carries a Gafaelfawr token.
fn carries_token(value: &str) -> bool {
    let Some((scheme, blob)) = value.trim().split_once(' ') else {
        return false;
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        Token::is_token(blob.trim())
    } else if scheme.eq_ignore_ascii_case("basic") {
        basic_pair(blob.trim())
            .is_some_and(|(user, password)| Token::is_token(&user) || Token::is_token(&password))
    } else {
        false
    }
}

/// Each incoming `Authorization` header that does not carry a Gafaelfawr
/// token, in order.
pub fn reflected_authorization(headers: &HeaderMap) -> Vec<HeaderValue> {
    headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter(|value| !value.to_str().is_ok_and(carries_token))
        .cloned()
        .collect()
}

/// Each incoming `Cookie` header with the `gafaelfawr` cookie removed
/// (split on `"; "`, exact name only); headers left empty are dropped.
pub fn reflected_cookies(headers: &HeaderMap) -> Vec<HeaderValue> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| {
            let Ok(text) = value.to_str() else {
                return Some(value.clone());
            };
            let kept: Vec<&str> = text
                .split("; ")
                .filter(|pair| pair.split_once('=').map_or(*pair, |(name, _)| name) != COOKIE_NAME)
                .collect();
            if kept.is_empty() {
                None
            } else {
                HeaderValue::from_str(&kept.join("; ")).ok()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    #[test]
    fn cookie_is_split_on_semicolon_space_and_only_exact_name_dropped() {
        let map = headers(&[
            ("cookie", "a=1; gafaelfawr=x; gafaelfawr2=y; xgafaelfawr=z"),
            ("cookie", "gafaelfawr=only"),
        ]);
        assert_eq!(
            reflected_cookies(&map),
            vec![HeaderValue::from_static(
                "a=1; gafaelfawr2=y; xgafaelfawr=z"
            )]
        );
    }

    #[test]
    fn basic_with_x_oauth_basic_picks_the_other_half() {
        let encoded = STANDARD.encode("x-oauth-basic:secret");
        assert_eq!(
            token_from_authorization(&format!("Basic {encoded}")),
            Ok(("secret".to_owned(), Source::Basic))
        );
    }
}
