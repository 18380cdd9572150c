//! Share links as the tests inspect them: the JSON a link carries, exactly
//! as it was encoded.

use muster_report::probe::snapshot::{self, MAX_DECOMPRESSED_BYTES};

/// The snapshot JSON `link` (a whole share link or its payload) carries,
/// inflated but not otherwise touched: unlike [`snapshot::decode`], which
/// scrubs tokens again, this shows what the link really holds, so a token
/// that leaked into it can be found. Fails unless the link also decodes.
pub fn carried_json(link: &str) -> Result<String, String> {
    snapshot::decode(link).map_err(|error| format!("the link does not decode: {error}"))?;
    let (_, compressed) = snapshot::compressed_of(link).map_err(|error| error.to_string())?;
    let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(
        &compressed,
        MAX_DECOMPRESSED_BYTES,
    )
    .map_err(|error| format!("the link does not inflate: {:?}", error.status))?;
    String::from_utf8(json).map_err(|error| format!("the link's JSON is not UTF-8: {error}"))
}
