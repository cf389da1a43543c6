//! Photo bytes behind the [`MediaStore`] trait, with a local-filesystem
//! implementation.
//!
//! Media are content-addressed: a [`MediaKey`] is the SHA-256 of the bytes plus
//! the extension of the detected [`ImageType`]. Clients never name files: the
//! only way to a file is a key that parses, and a key cannot contain a path.

mod image_type;
mod local_fs;
mod media_error;
mod media_key;

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
#[async_trait]
pub trait MediaStore: Send + Sync + std::fmt::Debug {
    /// Checks and stores an image.
    async fn put(&self, bytes: Vec<u8>) -> Result<StoredMedia, MediaError>;

    /// The bytes under `key`, if stored.
    async fn get(&self, key: &MediaKey) -> Result<Option<Vec<u8>>, MediaError>;

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
