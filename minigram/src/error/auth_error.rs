use super::StoreError;

/// Why a token was not accepted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Not a token this instance (or its peers) signed: malformed, forged,
    /// wrong algorithm (including `alg: none`) or missing claims.
    #[error("authentication failed: the token is invalid ({reason})")]
    InvalidToken {
        /// What is wrong with it.
        reason: String,
    },
    /// The token's `exp` has passed.
    #[error("authentication failed: the token has expired")]
    Expired,
    /// The token was revoked by logout.
    #[error("authentication failed: the token was revoked")]
    Revoked,
    /// The store failed.
    #[error("authentication failed: {0}")]
    Store(#[from] StoreError),
}
