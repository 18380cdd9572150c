//! The share link's zlib (de)compression, done by the browser's own
//! `CompressionStream` / `DecompressionStream` (format `"deflate"`, which is
//! zlib: the same format `muster_report::probe::snapshot` writes and reads
//! natively), so that no deflate code is linked into the wasm. The codec's
//! format, limits and validation stay in `muster_report::probe::snapshot`.

use muster_report::probe::run::Run;
use muster_report::probe::snapshot::{
    self, compressed_of, from_json, payload_of, Encoder, Snapshot, SnapshotError,
    MAX_DECOMPRESSED_BYTES,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ReadableStream, ReadableStreamDefaultReader, ReadableWritablePair, Response, WritableStream,
};

#[wasm_bindgen]
extern "C" {
    type CompressionStream;
    #[wasm_bindgen(catch, constructor)]
    fn new(format: &str) -> Result<CompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &CompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &CompressionStream) -> WritableStream;

    type DecompressionStream;
    #[wasm_bindgen(catch, constructor)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &DecompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &DecompressionStream) -> WritableStream;
}

/// zlib, in the Compression Streams standard's words.
const ZLIB: &str = "deflate";

/// The share link's payload for `run` (see `snapshot::encode`, whose steps
/// this follows).
pub async fn encode(run: &Run, include_identity: bool) -> Result<String, String> {
    let mut encoder = Encoder::new(run, include_identity);
    let mut payload = String::new();
    while let Some(json) = encoder.next_json() {
        let deflater = CompressionStream::new(ZLIB).map_err(describe)?;
        let stream = through(&json, &deflater.readable(), &deflater.writable())?;
        payload = payload_of(&read_all(&stream, usize::MAX).await?.ok_or("too large")?);
        if snapshot::fits(&payload) {
            break;
        }
    }
    Ok(payload)
}

/// Reads a share link's payload (see `snapshot::decode`): the browser
/// inflates it, and stops reading past `MAX_DECOMPRESSED_BYTES`.
pub async fn decode(input: &str) -> Result<Snapshot, SnapshotError> {
    let compressed = compressed_of(input)?;
    let inflater = DecompressionStream::new(ZLIB).map_err(|_| SnapshotError::Damaged)?;
    let stream = through(&compressed, &inflater.readable(), &inflater.writable())
        .map_err(|_| SnapshotError::Damaged)?;
    let json = read_all(&stream, MAX_DECOMPRESSED_BYTES)
        .await
        .map_err(|_| SnapshotError::Damaged)?
        .ok_or(SnapshotError::TooLargeDecompressed)?;
    from_json(&json)
}

/// `bytes` piped through the transform stream made of `readable` and
/// `writable`.
fn through(
    bytes: &[u8],
    readable: &ReadableStream,
    writable: &WritableStream,
) -> Result<ReadableStream, String> {
    let source = Response::new_with_opt_u8_array(Some(&mut bytes.to_vec()))
        .map_err(describe)?
        .body()
        .ok_or("no body")?;
    let pair = ReadableWritablePair::new(readable, writable);
    Ok(source.pipe_through(&pair))
}

/// Everything `stream` yields, or `None` as soon as it is more than
/// `limit` bytes (the rest is not read: the stream is cancelled).
async fn read_all(stream: &ReadableStream, limit: usize) -> Result<Option<Vec<u8>>, String> {
    let reader = ReadableStreamDefaultReader::new(stream).map_err(describe)?;
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(describe)?;
        let done = js_sys::Reflect::get(&chunk, &"done".into()).map_err(describe)?;
        if done.is_truthy() {
            return Ok(Some(out));
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(describe)?;
        let bytes: js_sys::Uint8Array = value.dyn_into().map_err(describe)?;
        if out.len() + bytes.length() as usize > limit {
            // Nothing awaits the cancellation; a failure to cancel is moot.
            let _ = reader.cancel();
            return Ok(None);
        }
        let at = out.len();
        out.resize(at + bytes.length() as usize, 0);
        bytes.copy_to(&mut out[at..]);
    }
}

fn describe(value: JsValue) -> String {
    crate::fetch::describe(value)
}
