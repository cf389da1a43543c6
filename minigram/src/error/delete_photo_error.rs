use super::StoreError;
use crate::domain::{PhotoId, UserId};

/// Why deleting a photo failed. Every variant but `Store` deleted nothing.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DeletePhotoError {
    /// No photo has this id (never had, or already deleted).
    #[error("delete failed: photo {0} does not exist")]
    PhotoNotFound(PhotoId),
    /// Only a photo's author may delete it.
    #[error("delete failed: photo {photo} was posted by another user than {requester}")]
    NotAuthor {
        /// The photo asked for.
        photo: PhotoId,
        /// Who asked.
        requester: UserId,
    },
    /// The store failed.
    #[error("delete failed: {0}")]
    Store(#[from] StoreError),
}
