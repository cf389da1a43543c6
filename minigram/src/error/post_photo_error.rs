use super::StoreError;
use crate::domain::UserId;
use crate::media::MediaError;

/// Why posting a photo failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PostPhotoError {
    /// The bytes were refused or could not be stored.
    #[error("posting the photo failed: {0}")]
    Media(#[from] MediaError),
    /// The author does not exist.
    #[error("posting the photo failed: user {0} does not exist")]
    AuthorNotFound(UserId),
    /// The store failed.
    #[error("posting the photo failed: {0}")]
    Store(#[from] StoreError),
}
