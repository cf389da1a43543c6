use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Email, UserId, Username};

/// A registered account. Never carries the password hash: stores hand that
/// out only through the credential lookup used by login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Assigned by the store.
    pub id: UserId,
    /// As chosen at registration.
    pub username: Username,
    /// Normalised address.
    pub email: Email,
    /// When the account was created (millisecond precision).
    pub created_at: DateTime<Utc>,
}
