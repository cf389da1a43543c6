//! How values are encoded in redb: one format-version byte, then postcard.
//!
//! postcard's wire format is specified and stable; the version byte lets a
//! later release read old records or refuse them with a clear error instead
//! of misreading them.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{Caption, Email, Username};
use crate::error::StoreError;
use crate::media::{ImageType, MediaKey};

/// The record encoding this release writes and reads.
pub(super) const RECORD_FORMAT: u8 = 1;

/// A user row (the id is the key).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct UserRecord {
    pub username: Username,
    pub email: Email,
    pub password_hash: String,
    pub created_at_ms: i64,
}

/// A photo row (the id is the key; the like count lives in its own table so
/// that a like rewrites 8 bytes, not the photo).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct PhotoRecord {
    pub author: u64,
    pub author_username: Username,
    pub caption: Caption,
    pub media_key: MediaKey,
    pub content_type: ImageType,
    pub width: u32,
    pub height: u32,
    pub created_at_ms: i64,
}

/// A queued fan-out job (the id is the key).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct FanoutJobRecord {
    pub photo: u64,
    pub author: u64,
    pub enqueued_at_ms: i64,
    /// Followers with ids up to this one are done (0: none yet).
    pub done_through: u64,
    pub claims: u32,
    /// The current claim's token (0: never claimed).
    pub claim: u64,
    /// The claim holds the job until then (ms since the epoch).
    pub lease_until_ms: i64,
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut bytes = vec![RECORD_FORMAT];
    postcard::to_io(value, &mut bytes).map_err(|e| StoreError::backend("encoding a record", e))?;
    Ok(bytes)
}

pub(super) fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&RECORD_FORMAT, rest)) => {
            postcard::from_bytes(rest).map_err(|e| StoreError::Corrupt {
                what: format!("{what}: {e}"),
            })
        }
        Some((version, _)) => Err(StoreError::Corrupt {
            what: format!(
                "{what}: record format {version} is not known to this release (expected {RECORD_FORMAT})"
            ),
        }),
        None => Err(StoreError::Corrupt {
            what: format!("{what}: empty record"),
        }),
    }
}
