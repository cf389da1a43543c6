use minigram::Profile;
use serde::Serialize;

/// A profile: `{"id","username","followers","following","photos","followed_by_me"}`.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileJson {
    id: u64,
    username: String,
    followers: u64,
    following: u64,
    photos: u64,
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
