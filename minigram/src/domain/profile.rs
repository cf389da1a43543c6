use serde::{Deserialize, Serialize};

use super::{UserId, Username};

/// A user's public profile as seen by one viewer. Carries no email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Whose profile.
    pub user_id: UserId,
    /// Their username.
    pub username: Username,
    /// How many users follow them.
    pub followers: u64,
    /// How many users they follow.
    pub following: u64,
    /// How many photos they posted.
    pub photos: u64,
    /// Whether the viewer follows them.
    pub followed_by_viewer: bool,
}
