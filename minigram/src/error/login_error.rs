use super::StoreError;
use crate::auth::{HashingError, TokenError};

/// Why a login failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown username or wrong password: deliberately the same error, so
    /// that a caller cannot learn which usernames exist.
    #[error("login failed: invalid username or password")]
    InvalidCredentials,
    /// The password could not be verified.
    #[error("login failed: {0}")]
    Hashing(#[from] HashingError),
    /// The password matched but the token could not be signed.
    #[error("login failed: {0}")]
    Token(#[from] TokenError),
    /// The store failed.
    #[error("login failed: {0}")]
    Store(#[from] StoreError),
}
