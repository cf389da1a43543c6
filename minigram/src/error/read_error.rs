use super::StoreError;
use crate::domain::{PhotoId, UserId};

/// Why a read (photo, profile, feed) failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No photo has this id.
    #[error("read failed: photo {0} does not exist")]
    PhotoNotFound(PhotoId),
    /// No user has this id.
    #[error("read failed: user {0} does not exist")]
    UserNotFound(UserId),
    /// The store failed.
    #[error("read failed: {0}")]
    Store(#[from] StoreError),
}
