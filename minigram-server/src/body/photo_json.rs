use chrono::SecondsFormat;
use minigram::{Photo, PhotoView};
use serde::Serialize;

/// Where media are served.
pub const UPLOADS_PREFIX: &str = "/uploads/";

/// A photo: `{"id","user_id","username","caption","url","filename",
/// "created_at","like_count","user_liked","width","height"}`.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoJson {
    id: u64,
    user_id: u64,
    username: String,
    caption: String,
    url: String,
    filename: String,
    created_at: String,
    like_count: u64,
    user_liked: bool,
    width: u32,
    height: u32,
}

impl PhotoJson {
    /// `photo` as a viewer who does or does not like it sees it.
    pub fn new(photo: Photo, user_liked: bool) -> Self {
        // The strings move out of the photo: no copies on the feed's hot path.
        let filename = String::from(photo.media_key);
        Self {
            id: photo.id.get(),
            user_id: photo.author.get(),
            username: String::from(photo.author_username),
            caption: String::from(photo.caption),
            url: format!("{UPLOADS_PREFIX}{filename}"),
            filename,
            created_at: photo
                .created_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            like_count: photo.like_count,
            user_liked,
            width: photo.width,
            height: photo.height,
        }
    }
}

impl From<PhotoView> for PhotoJson {
    fn from(view: PhotoView) -> Self {
        Self::new(view.photo, view.liked_by_viewer)
    }
}
