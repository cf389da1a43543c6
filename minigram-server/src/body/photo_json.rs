use chrono::SecondsFormat;
use minigram::{Photo, PhotoView};
use serde::Serialize;
use utoipa::ToSchema;

/// Where media are served.
pub const UPLOADS_PREFIX: &str = "/uploads/";

/// A photo: `{"id","user_id","username","caption","url","filename",
/// "created_at","like_count","user_liked","width","height"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Photo)]
pub struct PhotoJson {
    /// The photo's id.
    #[schema(minimum = 1)]
    id: u64,
    /// The author's id.
    #[schema(minimum = 1)]
    user_id: u64,
    /// The author's username.
    username: String,
    /// The caption, possibly empty (at most 2,200 characters).
    caption: String,
    /// Where the image is served: `/uploads/` and the file name.
    #[schema(example = "/uploads/9f86d081884c7d65.jpg")]
    url: String,
    /// The media file's name (a content hash and the image type's extension).
    filename: String,
    /// When it was posted, RFC 3339 in UTC with milliseconds.
    #[schema(format = DateTime)]
    created_at: String,
    /// How many users like it.
    like_count: u64,
    /// Whether the caller likes it.
    user_liked: bool,
    /// Width in pixels, read from the image.
    width: u32,
    /// Height in pixels, read from the image.
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
