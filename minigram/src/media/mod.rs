//! Photo bytes behind the [`MediaStore`] trait, with a local-filesystem
//! implementation.
//!
//! Media are content-addressed: a [`MediaKey`] is the SHA-256 of the bytes plus
//! the extension of the detected [`ImageType`]. Clients never name files: the
//! only way to a file is a key that parses, and a key cannot contain a path.

mod deletion_gate;
mod image_type;
mod local_fs;
mod media_error;
mod media_key;

pub(crate) use deletion_gate::MediaDeletionGate;
pub use image_type::ImageType;
pub use local_fs::LocalMediaStore;
pub use media_error::MediaError;
pub use media_key::MediaKey;

use async_trait::async_trait;

/// Default largest accepted upload: 10 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// What the media store recorded for an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    /// Where the bytes are.
    pub key: MediaKey,
    /// The format detected from the bytes.
    pub content_type: ImageType,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// Storage for photo bytes.
///
/// Contract for implementers:
/// - `put` accepts only JPEG, PNG, WebP and GIF, detected from the bytes (never
///   from a name or a client-declared type), refuses more than
///   [`MediaStore::max_bytes`], and is idempotent: the same bytes give the
///   same key. When `put` returns, the bytes are stored completely; a crash
///   never leaves a partial file under a key.
/// - `get` returns the bytes stored under a key, or `None`.
/// - `delete` removes the bytes under a key; deleting an absent key is not
///   an error. Deciding that no photo needs the bytes any more is the
///   caller's job (`Minigram::delete_photo`).
#[async_trait]
pub trait MediaStore: Send + Sync + std::fmt::Debug {
    /// Checks and stores an image.
    async fn put(&self, bytes: Vec<u8>) -> Result<StoredMedia, MediaError>;

    /// The bytes under `key`, if stored.
    async fn get(&self, key: &MediaKey) -> Result<Option<Vec<u8>>, MediaError>;

    /// Whether bytes are stored under `key`.
    async fn contains(&self, key: &MediaKey) -> Result<bool, MediaError>;

    /// Removes the bytes under `key`, if any.
    async fn delete(&self, key: &MediaKey) -> Result<(), MediaError>;

    /// The largest upload `put` accepts, in bytes.
    fn max_bytes(&self) -> usize;
}

/// Checks that `bytes` are a supported image and reads its dimensions.
/// Shared by every media store so they accept exactly the same uploads.
pub fn inspect_image(bytes: &[u8], max_bytes: usize) -> Result<StoredMedia, MediaError> {
    use sha2::Digest as _;

    if bytes.len() > max_bytes {
        return Err(MediaError::TooLarge { limit: max_bytes });
    }
    let content_type = imagesize::image_type(bytes)
        .ok()
        .and_then(ImageType::from_detected)
        .filter(|detected| detected.has_signature(bytes))
        .ok_or(MediaError::UnsupportedType)?;
    let size = imagesize::blob_size(bytes).map_err(|_| MediaError::UnsupportedType)?;
    let (width, height) = match (u32::try_from(size.width), u32::try_from(size.height)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(MediaError::UnsupportedType),
    };
    let digest = sha2::Sha256::digest(bytes);
    Ok(StoredMedia {
        key: MediaKey::new(digest.into(), content_type),
        content_type,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1x1 PNG as a PNG encoder writes it.
    const PNG_1X1: &[u8] = b"\x89PNG\x0d\x0a\x1a\x0a\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0bIDATx\xdac\xf8\x0f\x04\x00\x09\xfb\x03\xfdh\xfa\x1c\xcc\x00\x00\x00\x00IEND\xaeB`\x82";

    #[test]
    fn real_images_are_accepted() {
        let media = inspect_image(PNG_1X1, 1024).expect("a PNG");
        assert_eq!(
            (media.content_type, media.width, media.height),
            (ImageType::Png, 1, 1)
        );
    }

    /// Found by the `image_sniffing` fuzz target: imagesize takes any
    /// `\x89PNG` prefix for a PNG, so this PNG with its signature's CR LF
    /// turned into LF LF (what a text-mode transfer does to it, and what
    /// the signature exists to catch) was accepted as a 1x1 PNG.
    #[test]
    fn a_damaged_png_signature_is_refused() {
        let mut bytes = PNG_1X1.to_vec();
        bytes[4] = b'\n';
        assert!(matches!(
            inspect_image(&bytes, 1024),
            Err(MediaError::UnsupportedType)
        ));
    }

    #[test]
    fn only_complete_format_signatures_are_accepted() {
        let dims = [1, 0, 1, 0];
        let refused: [Vec<u8>; 4] = [
            // No IHDR chunk where every PNG has it.
            [&PNG_1X1[..12], b"IHDX", &PNG_1X1[16..]].concat(),
            // Neither GIF87a nor GIF89a.
            [&b"GIF8xa"[..], &dims, &[0; 8]].concat(),
            // A WebP container whose first chunk is none of VP8, VP8L, VP8X.
            [&b"RIFF\x1a\0\0\0WEBPXXXL\x0d\0\0\0\x2f"[..], &[0; 16]].concat(),
            // Only the PNG signature's first four bytes.
            [&b"\x89PNGjunk"[..], &PNG_1X1[8..]].concat(),
        ];
        for bytes in refused {
            assert!(
                matches!(
                    inspect_image(&bytes, 1024),
                    Err(MediaError::UnsupportedType)
                ),
                "{bytes:?} accepted"
            );
        }
        let gif = [&b"GIF89a"[..], &dims, &[0; 8]].concat();
        assert_eq!(
            inspect_image(&gif, 1024).map(|m| m.content_type).ok(),
            Some(ImageType::Gif)
        );
    }
}
