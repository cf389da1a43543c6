//! Passwords and tokens.
//!
//! - [`PasswordHasher`] runs argon2id (OWASP defaults: m = 19 MiB, t = 2, p = 1)
//!   on a few dedicated threads (one per core by default), never on the
//!   async runtime.
//! - [`TokenIssuer`] signs HS256 JWTs with a required `exp` and a random `jti`
//!   that logout revokes.

mod hash_memory;
mod password_hasher;
mod token_error;
mod token_issuer;

pub use password_hasher::{HasherConfig, HasherStats, HashingError, PasswordHasher};
pub use token_error::TokenError;
pub use token_issuer::{Principal, TokenConfig, TokenIssuer};
