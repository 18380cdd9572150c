//! HTTP from the browser. Probe requests are sent exactly as prepared by
//! `muster_report::probe` (never following redirects, with the credentials
//! mode it asks for) and recorded with `Exchange`'s constructors, which
//! redact every secret; nothing here judges an answer.

use crate::js_error::describe;
use crate::stream::read_past;
use muster_report::json_read::FromJson;
use muster_report::probe::exchange::BODY_MAX_BYTES;
use muster_report::probe::{Credentials, Exchange, Prepared};
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Headers, Request, RequestCache, RequestCredentials, RequestInit, RequestRedirect, Response,
    ResponseType,
};

/// GETs `url` (relative to the base) as JSON and reads it. Sent the way a
/// probe's request is (no cookies, no redirect followed, not cached).
pub async fn get_json<T: FromJson>(url: &str) -> Result<T, String> {
    let prepared = Prepared {
        method: "GET",
        url: url.to_owned(),
        credentials: Credentials::None,
        send_cookies: false,
        headers: vec![("Accept".to_owned(), "application/json".to_owned())],
    };
    let body = match send_raw(&prepared).await? {
        Answer::Response { status, body, .. } if (200..300).contains(&status) => body,
        Answer::Response { status, .. } => return Err(format!("HTTP {status} from {url}")),
        Answer::OpaqueRedirect => return Err(format!("a redirect from {url}")),
    };
    json_of(&body).map_err(|error| format!("unexpected body from {url}: {error}"))
}

/// `body` read as JSON. A body larger than a probe's body is kept
/// ([`BODY_MAX_BYTES`]) is refused before it is parsed: cut, it would be no
/// JSON, and a page that is fed more should not spend itself parsing it.
pub fn json_of<T: FromJson>(body: &[u8]) -> Result<T, String> {
    if body.len() > BODY_MAX_BYTES {
        return Err(format!("more than {BODY_MAX_BYTES} bytes"));
    }
    std::str::from_utf8(body)
        .map_err(|_| "not UTF-8".to_owned())
        .and_then(muster_report::json_parse::parse)
        .and_then(|json| T::from_json(&json))
}

/// Sends `prepared` and records what came back.
pub async fn send(prepared: &Prepared) -> Exchange {
    let started = now_ms();
    let elapsed = || (now_ms() - started).max(0.0).round() as u64;
    match send_raw(prepared).await {
        Ok(Answer::OpaqueRedirect) => Exchange::opaque_redirect(prepared, elapsed()),
        Ok(Answer::Response {
            status,
            headers,
            body,
        }) => Exchange::response(prepared, status, headers, &body, elapsed()),
        Err(message) => Exchange::transport_error(prepared, &message, elapsed()),
    }
}

/// What `fetch` let the page read.
enum Answer {
    /// `redirect: 'manual'` met a redirect: nothing is readable.
    OpaqueRedirect,
    /// A response.
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

async fn send_raw(prepared: &Prepared) -> Result<Answer, String> {
    let init = RequestInit::new();
    init.set_method(prepared.method);
    init.set_credentials(if prepared.send_cookies {
        RequestCredentials::SameOrigin
    } else {
        RequestCredentials::Omit
    });
    // Never follow: a login redirect is an answer, and following it could loop.
    init.set_redirect(RequestRedirect::Manual);
    init.set_cache(RequestCache::NoStore);
    let headers = Headers::new().map_err(describe)?;
    for (name, value) in &prepared.headers {
        headers.set(name, value).map_err(describe)?;
    }
    init.set_headers(&headers);
    let request = Request::new_with_str_and_init(&prepared.url, &init).map_err(describe)?;
    let response = fetch(&request).await?;
    if response.type_() == ResponseType::Opaqueredirect {
        return Ok(Answer::OpaqueRedirect);
    }
    let mut headers = Vec::new();
    if let Ok(Some(entries)) = js_sys::try_iter(&response.headers()) {
        for entry in entries {
            let pair = js_sys::Array::from(&entry.map_err(describe)?);
            headers.push((
                pair.get(0).as_string().unwrap_or_default(),
                pair.get(1).as_string().unwrap_or_default(),
            ));
        }
    }
    let body = body_of(&response).await?;
    Ok(Answer::Response {
        status: response.status(),
        headers,
        body,
    })
}

async fn fetch(request: &Request) -> Result<Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    JsFuture::from(window.fetch_with_request(request))
        .await
        .map_err(describe)?
        .dyn_into()
        .map_err(describe)
}

/// The body of `response`, read only until it is past [`BODY_MAX_BYTES`]
/// (by at most one chunk): what a probe keeps, and enough to tell that
/// there was more (see `Exchange::response`, `json_of`).
async fn body_of(response: &Response) -> Result<Vec<u8>, String> {
    match response.body() {
        Some(stream) => read_past(&stream, BODY_MAX_BYTES).await,
        None => Ok(Vec::new()),
    }
}

/// Milliseconds on the page's clock (`performance.now()`).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|window| window.performance())
        .map_or(0.0, |performance| performance.now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Index;

    const INDEX: &str = r#"{"metadata":{"name":"muster","version":"1.2.3",
        "description":"Checks a Phalanx deployment"},"anonymous_url":"https://h/muster/anonymous"}"#;

    /// `INDEX` padded with trailing whitespace (still valid JSON) to `len`
    /// bytes.
    fn index_of_length(len: usize) -> Vec<u8> {
        let mut body = INDEX.as_bytes().to_vec();
        body.resize(len, b' ');
        body
    }

    #[test]
    fn reads_muster_index_for_its_metadata() {
        let index: Index = json_of(INDEX.as_bytes()).expect("an index");
        assert_eq!(index.metadata.name, "muster");
        assert_eq!(index.metadata.version, "1.2.3");
    }

    #[test]
    fn reads_a_body_of_exactly_the_cap() {
        let index: Index = json_of(&index_of_length(BODY_MAX_BYTES)).expect("within the cap");
        assert_eq!(index.metadata.version, "1.2.3");
    }

    #[test]
    fn refuses_a_body_over_the_cap_a_probe_body_is_cut_at() {
        let error = json_of::<Index>(&index_of_length(BODY_MAX_BYTES + 1)).err();
        assert_eq!(error, Some(format!("more than {BODY_MAX_BYTES} bytes")));
        let huge = json_of::<Index>(&index_of_length(16 * BODY_MAX_BYTES)).err();
        assert_eq!(huge, Some("more than 65536 bytes".to_owned()));
    }

    #[test]
    fn says_why_a_body_is_no_index() {
        let error = |body: &[u8]| json_of::<Index>(body).err().unwrap_or_default();
        assert_eq!(error(b"{\"metadata\":\xff}"), "not UTF-8");
        assert!(!error(b"<html>502</html>").is_empty());
        assert!(!error(b"").is_empty());
        assert!(error(b"{}").contains("metadata"), "{}", error(b"{}"));
        assert!(
            error(br#"{"metadata":{"name":"muster"}}"#).contains("version"),
            "{}",
            error(br#"{"metadata":{"name":"muster"}}"#)
        );
    }
}
