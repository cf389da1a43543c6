use chrono::{DateTime, Utc};

use crate::domain::User;

/// What register and login return: the account and a bearer token for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The signed-in account.
    pub user: User,
    /// The bearer token (a JWT).
    pub token: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}
