use std::sync::Arc;
use std::time::Duration;

/// A failure of the storage layer itself, shared by every operation family.
///
/// Cloneable because one failed group commit answers every caller in the
/// batch with the same error.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The write queue stayed full past the deadline; nothing was written.
    /// Retrying later is safe.
    #[error(
        "the store is overloaded: the write queue stayed full for {waited:?}; nothing was written, retry later"
    )]
    Overloaded {
        /// How long the caller waited for room in the queue.
        waited: Duration,
    },
    /// The store cannot be reached or has been closed. Nothing was
    /// written, except when the connection was lost while a write was in
    /// flight (the reason then names the lost connection, or says the
    /// primary changed): that write may have been applied.
    /// Idempotent operations (likes, follows) are safe to retry.
    #[error("the store is unavailable: {reason}")]
    Unavailable {
        /// Why, in a sentence.
        reason: String,
    },
    /// This store does not do what was asked (a feature it lacks, such as
    /// timelines); nothing was written.
    #[error("this store does not support {what}")]
    Unsupported {
        /// What is not supported.
        what: &'static str,
    },
    /// A stored value could not be decoded.
    #[error("stored data is corrupt: {what}")]
    Corrupt {
        /// Which value.
        what: String,
    },
    /// The storage engine reported an error.
    #[error("the storage engine failed while {action}: {source}")]
    Backend {
        /// What the store was doing.
        action: &'static str,
        /// The engine's error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Wraps an engine error with what the store was doing.
    pub fn backend(
        action: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Backend {
            action,
            source: Arc::new(source),
        }
    }

    /// Whether the caller may retry later (overload or unavailability).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Overloaded { .. } | Self::Unavailable { .. })
    }
}
