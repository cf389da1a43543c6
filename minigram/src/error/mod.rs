//! Errors: one `#[non_exhaustive]` enum per operation family, each wrapping the
//! shared [`StoreError`], plus the umbrella [`Error`].
//!
//! Stores return the same family errors as the facade, so a conflict found by
//! the store (a taken username) reaches the caller unchanged.

mod auth_error;
mod delete_photo_error;
mod follow_error;
mod like_error;
mod login_error;
mod post_photo_error;
mod read_error;
mod register_error;
mod store_error;

pub use auth_error::AuthError;
pub use delete_photo_error::DeletePhotoError;
pub use follow_error::FollowError;
pub use like_error::LikeError;
pub use login_error::LoginError;
pub use post_photo_error::PostPhotoError;
pub use read_error::ReadError;
pub use register_error::RegisterError;
pub use store_error::StoreError;

use crate::auth::{HashingError, TokenError};
use crate::domain::ValidationError;
use crate::media::MediaError;

/// Any error minigram returns, for callers who do not care which operation
/// failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input that is not a valid domain value.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// Registration failed.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// Login failed.
    #[error(transparent)]
    Login(#[from] LoginError),
    /// A token was not accepted.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Posting a photo failed.
    #[error(transparent)]
    PostPhoto(#[from] PostPhotoError),
    /// Deleting a photo failed.
    #[error(transparent)]
    DeletePhoto(#[from] DeletePhotoError),
    /// Liking or unliking failed.
    #[error(transparent)]
    Like(#[from] LikeError),
    /// Following or unfollowing failed.
    #[error(transparent)]
    Follow(#[from] FollowError),
    /// A read failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The media store failed.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// Password hashing failed.
    #[error(transparent)]
    Hashing(#[from] HashingError),
    /// A token could not be issued.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
