//! JavaScript errors as text, for the messages the page shows.

use wasm_bindgen::{JsCast as _, JsValue};

/// A JavaScript error as text: its message (browsers reject with an
/// `Error` or `DOMException`, both of which have one), or the string thrown.
/// Anything else is named, not printed: `Debug` for `JsValue` would link
/// wasm-bindgen's value printer into the page for a case that does not occur.
pub fn describe(value: JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            value
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "an unexpected JavaScript value".to_owned())
}
