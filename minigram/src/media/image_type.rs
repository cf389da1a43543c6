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
