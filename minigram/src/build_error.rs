use crate::auth::{HashingError, TokenError};
use crate::error::StoreError;
use crate::media::MediaError;

/// Why a [`Minigram`](crate::Minigram) could not be built.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No store was given.
    #[error("building minigram failed: no store was configured (call .store(...))")]
    MissingStore,
    /// No media store was given.
    #[error("building minigram failed: no media store was configured (call .media(...))")]
    MissingMedia,
    /// The token secret is too short.
    #[error("building minigram failed: the token secret must be at least 32 bytes, got {0}")]
    WeakSecret(usize),
    /// The token secret cannot be used as a signing key.
    #[error("building minigram failed: {0}")]
    Token(#[from] TokenError),
    /// The password hasher could not start.
    #[error("building minigram failed: {0}")]
    Hashing(#[from] HashingError),
    /// The feed strategy needs timelines and the store keeps none.
    #[error(
        "building minigram failed: the {strategy} feed needs a store that keeps timelines (every built-in store does); the {store} store keeps none: use the pull feed with it"
    )]
    FeedUnsupported {
        /// The strategy asked for.
        strategy: &'static str,
        /// The store's kind.
        store: &'static str,
    },
    /// A feed setting is out of range.
    #[error("building minigram failed: {0}")]
    FeedSetting(&'static str),
    /// The store failed while loading settings.
    #[error("building minigram failed: {0}")]
    Store(#[from] StoreError),
    /// The media store could not be opened.
    #[error("building minigram failed: {0}")]
    Media(#[from] MediaError),
}
