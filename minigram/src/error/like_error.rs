use super::StoreError;
use crate::domain::{PhotoId, UserId};

/// Why a like or unlike failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LikeError {
    /// No photo has this id.
    #[error("like failed: photo {0} does not exist")]
    PhotoNotFound(PhotoId),
    /// The liking user does not exist.
    #[error("like failed: user {0} does not exist")]
    UserNotFound(UserId),
    /// The store failed.
    #[error("like failed: {0}")]
    Store(#[from] StoreError),
}
