use super::StoreError;
use crate::auth::{HashingError, TokenError};
use crate::domain::ValidationError;

/// Why a registration failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The password does not meet the facade's
    /// [`PasswordPolicy`](crate::PasswordPolicy) (it was parsed under a
    /// lower minimum than the one configured). Nothing was stored.
    #[error("registration failed: {0}")]
    InvalidPassword(ValidationError),
    /// Another account has this username (compared case-insensitively).
    #[error("registration failed: the username is already taken")]
    UsernameTaken,
    /// Another account has this email (compared case-insensitively).
    #[error("registration failed: the email is already registered")]
    EmailTaken,
    /// The password could not be hashed.
    #[error("registration failed: {0}")]
    Hashing(#[from] HashingError),
    /// The account was created but its token could not be signed.
    #[error("registration failed: {0}")]
    Token(#[from] TokenError),
    /// The store failed.
    #[error("registration failed: {0}")]
    Store(#[from] StoreError),
}
