//! Reading a browser `ReadableStream` into memory, bounded: a peer that
//! sends more than the page keeps is not read to its end.

use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader};

use crate::js_error::describe;

/// Everything `stream` yields, or, once that is more than `limit` bytes,
/// what was read by then (so a result longer than `limit` means there was
/// more; at most one chunk more is held). The rest is not read: the stream
/// is cancelled.
pub async fn read_past(stream: &ReadableStream, limit: usize) -> Result<Vec<u8>, String> {
    let reader = ReadableStreamDefaultReader::new(stream).map_err(describe)?;
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(describe)?;
        let done = js_sys::Reflect::get(&chunk, &"done".into()).map_err(describe)?;
        if done.is_truthy() {
            return Ok(out);
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(describe)?;
        let bytes: js_sys::Uint8Array = value.dyn_into().map_err(describe)?;
        let at = out.len();
        out.resize(at + bytes.length() as usize, 0);
        bytes.copy_to(&mut out[at..]);
        if out.len() > limit {
            // Nothing awaits the cancellation; a failure to cancel is moot.
            let _ = reader.cancel();
            return Ok(out);
        }
    }
}
