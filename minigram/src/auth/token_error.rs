use std::sync::Arc;

/// Why a token could not be issued.
///
/// Deliberately not a [`StoreError`](crate::StoreError): the store is fine
/// and retrying will not help. A signing failure means the signing key or
/// the code is wrong, so callers should treat it as an internal error (a
/// server answers 500, not 503).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The secret cannot be used as an HS256 key (it is empty).
    #[error("the token signing key is unusable: {source}")]
    Key {
        /// The JWT library's error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// The claims could not be signed with the configured key.
    #[error("signing the token failed: {source}")]
    Signing {
        /// The JWT library's error.
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
}

impl TokenError {
    /// Wraps a key-construction error of the signing library.
    pub(crate) fn key(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Key {
            source: Arc::new(source),
        }
    }

    /// Wraps a signing library's error.
    pub(crate) fn signing(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Signing {
            source: Arc::new(source),
        }
    }
}
