use std::fmt;

use serde::{Deserialize, Serialize};

/// The image formats minigram accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ImageType {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// GIF.
    Gif,
}

impl ImageType {
    /// Every accepted format.
    pub const ALL: [ImageType; 4] = [Self::Jpeg, Self::Png, Self::Webp, Self::Gif];

    /// The MIME type, for `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    /// The file extension used in media keys.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Gif => "gif",
        }
    }

    /// The format with this media-key extension.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.extension() == ext)
    }

    /// Whether `bytes` open the way this format's specification says every
    /// file of it does: PNG's 8-byte signature followed by the IHDR chunk,
    /// `GIF87a` or `GIF89a`, JPEG's SOI and the start of a marker, WebP's
    /// RIFF container with a `VP8 `, `VP8L` or `VP8X` first chunk.
    ///
    /// imagesize's detection looks at fewer bytes (`\x89PNG`, `GIF8`, the
    /// last letter of the WebP chunk) and reads the dimensions from fixed
    /// offsets, so without this check a byte string that no decoder opens
    /// would be stored and served as an image.
    pub(crate) fn has_signature(self, bytes: &[u8]) -> bool {
        match self {
            Self::Jpeg => bytes.starts_with(b"\xFF\xD8\xFF"),
            Self::Png => {
                bytes.starts_with(b"\x89PNG\r\n\x1a\n")
                    && matches!(bytes.get(12..16), Some(b"IHDR"))
            }
            Self::Gif => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
            Self::Webp => {
                bytes.starts_with(b"RIFF")
                    && matches!(bytes.get(8..12), Some(b"WEBP"))
                    && matches!(bytes.get(12..16), Some(b"VP8 " | b"VP8L" | b"VP8X"))
            }
        }
    }

    pub(crate) fn from_detected(detected: imagesize::ImageType) -> Option<Self> {
        match detected {
            imagesize::ImageType::Jpeg => Some(Self::Jpeg),
            imagesize::ImageType::Png => Some(Self::Png),
            imagesize::ImageType::Webp => Some(Self::Webp),
            imagesize::ImageType::Gif => Some(Self::Gif),
            _ => None,
        }
    }
}

impl fmt::Display for ImageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}
