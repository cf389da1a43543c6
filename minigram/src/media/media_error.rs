use std::sync::Arc;

/// Why media could not be stored or read.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The upload is larger than the limit.
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The bytes are not a JPEG, PNG, WebP or GIF image.
    #[error("the upload is not a supported image (JPEG, PNG, WebP or GIF)")]
    UnsupportedType,
    /// The filesystem failed.
    #[error("the media store failed while {action}: {source}")]
    Io {
        /// What the store was doing.
        action: &'static str,
        /// The I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
}

impl MediaError {
    pub(crate) fn io(action: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            action,
            source: Arc::new(source),
        }
    }
}
