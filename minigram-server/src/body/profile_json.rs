use minigram::Profile;
use serde::Serialize;
use utoipa::ToSchema;

/// A profile: `{"id","username","followers","following","photos","followed_by_me"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Profile)]
pub struct ProfileJson {
    /// The user's id.
    #[schema(minimum = 1)]
    id: u64,
    /// The username.
    username: String,
    /// How many users follow this one.
    followers: u64,
    /// How many users this one follows.
    following: u64,
    /// How many photos this user posted.
    photos: u64,
    /// Whether the caller follows this user.
    followed_by_me: bool,
}

impl From<Profile> for ProfileJson {
    fn from(p: Profile) -> Self {
        Self {
            id: p.user_id.get(),
            username: p.username.as_str().to_owned(),
            followers: p.followers,
            following: p.following,
            photos: p.photos,
            followed_by_me: p.followed_by_viewer,
        }
    }
}
