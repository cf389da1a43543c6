use super::StoreError;
use crate::domain::UserId;

/// Why a follow or unfollow failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// No user has this id (either side).
    #[error("follow failed: user {0} does not exist")]
    UserNotFound(UserId),
    /// Users cannot follow themselves.
    #[error("follow failed: users cannot follow themselves")]
    SelfFollow,
    /// The store failed.
    #[error("follow failed: {0}")]
    Store(#[from] StoreError),
}
