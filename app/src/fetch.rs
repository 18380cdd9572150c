//! HTTP from the browser. URLs are resolved against the document's base
//! (the server's prefix), so the app never hard-codes where it is mounted.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// GETs `url` (relative to the base) as JSON and decodes it.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, String> {
    let init = RequestInit::new();
    init.set_method("GET");
    let request = Request::new_with_str_and_init(url, &init).map_err(describe)?;
    request
        .headers()
        .set("Accept", "application/json")
        .map_err(describe)?;
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(describe)?
        .dyn_into()
        .map_err(describe)?;
    let status = response.status();
    let text = JsFuture::from(response.text().map_err(describe)?)
        .await
        .map_err(describe)?
        .as_string()
        .unwrap_or_default();
    if !response.ok() {
        return Err(format!("HTTP {status} from {url}"));
    }
    serde_json::from_str(&text).map_err(|error| format!("unexpected body from {url}: {error}"))
}

/// A JavaScript error as text.
fn describe(value: wasm_bindgen::JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{value:?}"))
}
