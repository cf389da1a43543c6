use thiserror::Error;

/// Why a [`CachedStore`](super::CachedStore) could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The Redis URL does not parse.
    #[error("invalid Redis URL {url:?}: {reason}")]
    InvalidRedisUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}
