use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Caption, PhotoId, UserId, Username};
use crate::media::{ImageType, MediaKey};

/// A posted photo with its current like count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// Assigned by the store; higher is newer.
    pub id: PhotoId,
    /// Who posted it.
    pub author: UserId,
    /// The author's username (usernames never change, so it is kept with
    /// the photo and feeds need no join).
    pub author_username: Username,
    /// The caption, possibly empty.
    pub caption: Caption,
    /// Where the bytes are in the media store.
    pub media_key: MediaKey,
    /// The image format, detected from the bytes.
    pub content_type: ImageType,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// When it was posted (millisecond precision).
    pub created_at: DateTime<Utc>,
    /// How many users like it.
    pub like_count: u64,
}

/// A photo as seen by one viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoView {
    /// The photo.
    pub photo: Photo,
    /// Whether the viewer likes it.
    pub liked_by_viewer: bool,
}
