//! Reading an OCI image archive (`oci-archive:`, as buildah writes it):
//! its index, manifest and configuration, every blob checked against its
//! digest, and its layers unpacked into a directory.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use sha2::{Digest as _, Sha256};

/// Largest archive read (into memory): far above the image's 20 MB budget,
/// so that a runaway build fails here rather than filling memory.
const MAX_ARCHIVE_BYTES: u64 = 200 * 1024 * 1024;

/// An image read from an OCI archive.
pub struct Image {
    /// The image's configuration (user, environment, command, ports).
    pub config: ImageConfiguration,
    /// Its layers, uncompressed tar streams, base first.
    pub layers: Vec<Vec<u8>>,
}

impl Image {
    /// Reads the single image in the OCI archive at `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut blobs = HashMap::new();
        let mut index = None;
        let mut archive = tar::Archive::new(file.take(MAX_ARCHIVE_BYTES));
        for entry in archive.entries().map_err(|e| format!("not a tar: {e}"))? {
            let mut entry = entry.map_err(|e| format!("broken tar entry: {e}"))?;
            let name = entry
                .path()
                .map_err(|e| format!("tar entry name: {e}"))?
                .to_string_lossy()
                .trim_start_matches("./")
                .to_owned();
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{name}: {e}"))?;
            if name == "index.json" {
                index = Some(
                    ImageIndex::from_reader(&bytes[..]).map_err(|e| format!("index.json: {e}"))?,
                );
            } else if let Some(digest) = name.strip_prefix("blobs/sha256/") {
                blobs.insert(digest.to_owned(), bytes);
            }
        }
        let index = index.ok_or("the archive has no index.json")?;
        let [manifest] = index.manifests().as_slice() else {
            return Err(format!(
                "expected one image in the archive, found {}",
                index.manifests().len()
            ));
        };
        let manifest = ImageManifest::from_reader(blob(&blobs, manifest)?)
            .map_err(|e| format!("manifest: {e}"))?;
        let config = ImageConfiguration::from_reader(blob(&blobs, manifest.config())?)
            .map_err(|e| format!("configuration: {e}"))?;
        let layers = manifest
            .layers()
            .iter()
            .map(|layer| uncompressed_layer(layer, blob(&blobs, layer)?))
            .collect::<Result<_, _>>()?;
        Ok(Self { config, layers })
    }

    /// The sum of the layers' uncompressed sizes: what the image takes
    /// once pulled.
    pub fn unpacked_size(&self) -> u64 {
        self.layers.iter().map(|layer| layer.len() as u64).sum()
    }

    /// Unpacks the layers, base first, into `root` (which must be empty),
    /// keeping each file's mode.
    pub fn unpack(&self, root: &Path) -> Result<(), String> {
        for layer in &self.layers {
            let mut archive = tar::Archive::new(&layer[..]);
            archive.set_preserve_permissions(true);
            for entry in archive.entries().map_err(|e| format!("layer: {e}"))? {
                let mut entry = entry.map_err(|e| format!("layer entry: {e}"))?;
                let path = entry.path().map_err(|e| format!("layer path: {e}"))?;
                // A whiteout deletes a file of a lower layer; an image built
                // from scratch in one step has none, and this reader does
                // not apply them.
                if path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with(".wh."))
                {
                    return Err(format!("whiteout {} is not supported", path.display()));
                }
                entry
                    .unpack_in(root)
                    .map_err(|e| format!("unpacking into {}: {e}", root.display()))?;
            }
        }
        Ok(())
    }
}

/// The blob a descriptor points to, after checking its size and digest.
fn blob<'a>(
    blobs: &'a HashMap<String, Vec<u8>>,
    descriptor: &Descriptor,
) -> Result<&'a [u8], String> {
    let digest = descriptor.digest();
    let hex = digest.digest();
    let bytes = blobs
        .get(hex)
        .ok_or_else(|| format!("blob {digest} is not in the archive"))?;
    if bytes.len() as u64 != descriptor.size() {
        return Err(format!(
            "blob {digest}: {} bytes, the descriptor says {}",
            bytes.len(),
            descriptor.size()
        ));
    }
    let actual = hex_string(&Sha256::digest(bytes));
    if actual != hex {
        return Err(format!("blob {digest} has digest sha256:{actual}"));
    }
    Ok(bytes)
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A layer as a plain tar stream.
fn uncompressed_layer(descriptor: &Descriptor, bytes: &[u8]) -> Result<Vec<u8>, String> {
    match descriptor.media_type() {
        MediaType::ImageLayer => Ok(bytes.to_vec()),
        MediaType::ImageLayerGzip => {
            let mut tar = Vec::new();
            GzDecoder::new(bytes)
                .take(MAX_ARCHIVE_BYTES)
                .read_to_end(&mut tar)
                .map_err(|e| format!("layer {}: {e}", descriptor.digest()))?;
            Ok(tar)
        }
        other => Err(format!(
            "layer {}: media type {other} is not supported",
            descriptor.digest()
        )),
    }
}
