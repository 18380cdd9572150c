//! The share link's zlib (de)compression, done by the browser's own
//! `CompressionStream` / `DecompressionStream` (format `"deflate"`, which is
//! zlib: the same format `muster_report::probe::snapshot` writes and reads
//! natively), so that no deflate code is linked into the wasm. The codec's
//! format, limits and validation stay in `muster_report::probe::snapshot`.

use muster_report::probe::run::Run;
use muster_report::probe::snapshot::{
    compressed_of, from_inflated, payload_of, short_enough, Encoder, Snapshot, SnapshotError,
    MAX_DECOMPRESSED_BYTES,
};
use wasm_bindgen::prelude::*;
use web_sys::{ReadableStream, ReadableWritablePair, Response, WritableStream};

use crate::js_error::describe;
use crate::stream::read_past;

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
        payload = payload_of(&read_past(&stream, usize::MAX).await?);
        if short_enough(&payload) {
            break;
        }
    }
    Ok(payload)
}

/// Reads a share link's payload (see `snapshot::decode`): the browser
/// inflates it, and stops reading past `MAX_DECOMPRESSED_BYTES`.
pub async fn decode(input: &str) -> Result<Snapshot, SnapshotError> {
    let (format, compressed) = compressed_of(input)?;
    let inflater = DecompressionStream::new(ZLIB).map_err(|_| SnapshotError::Damaged)?;
    let stream = through(&compressed, &inflater.readable(), &inflater.writable())
        .map_err(|_| SnapshotError::Damaged)?;
    let json = read_past(&stream, MAX_DECOMPRESSED_BYTES)
        .await
        .map_err(|_| SnapshotError::Damaged)?;
    if json.len() > MAX_DECOMPRESSED_BYTES {
        return Err(SnapshotError::TooLargeDecompressed);
    }
    from_inflated(format, &json)
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
