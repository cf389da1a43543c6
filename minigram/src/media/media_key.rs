use std::fmt;

use serde::{Deserialize, Serialize};

use super::ImageType;
use crate::domain::ValidationError;

/// The name of stored media: 64 lowercase hex digits of the SHA-256 of the
/// bytes, a dot, and the format's extension (`<sha256>.png`).
///
/// Invariant: a `MediaKey` contains only `[0-9a-f]`, one `.` and a known
/// extension, so it is always a plain file name and never a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaKey(String);

impl MediaKey {
    pub(crate) fn new(digest: [u8; 32], content_type: ImageType) -> Self {
        Self(format!(
            "{}.{}",
            hex::encode(digest),
            content_type.extension()
        ))
    }

    /// Parses a file name as a media key; anything else (paths, other
    /// extensions, upper case) is refused.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new("file", "is not a media file name");
        let (hash, ext) = input.split_once('.').ok_or_else(invalid)?;
        let hex_ok = hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok || ImageType::from_extension(ext).is_none() {
            return Err(invalid());
        }
        Ok(Self(input.to_owned()))
    }

    /// The file name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The content hash part, suitable as an HTTP `ETag` value.
    pub fn digest_hex(&self) -> &str {
        self.0.split_once('.').map_or(&self.0, |(hash, _)| hash)
    }

    /// The format recorded in the extension.
    pub fn content_type(&self) -> ImageType {
        self.0
            .split_once('.')
            .and_then(|(_, ext)| ImageType::from_extension(ext))
            .unwrap_or(ImageType::Jpeg)
    }
}

impl fmt::Display for MediaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MediaKey {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MediaKey> for String {
    fn from(value: MediaKey) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hash_dot_extension_parses() {
        let good = format!("{}.png", "a".repeat(64));
        assert!(MediaKey::parse(&good).is_ok());
        for bad in [
            "../etc/passwd".to_owned(),
            format!("{}.exe", "a".repeat(64)),
            format!("{}.PNG", "a".repeat(64)),
            format!("{}.png", "A".repeat(64)),
            format!("{}/x.png", "a".repeat(62)),
            format!("{}.png.png", "a".repeat(64)),
            "x.png".to_owned(),
        ] {
            assert!(MediaKey::parse(&bad).is_err(), "{bad} accepted");
        }
    }
}
