//! A value read through the cache, in a form both tiers can hold.

use serde::{Deserialize, Serialize};

use super::dependency::Dependency;
use super::version_table::Stamp;
use crate::domain::{Cursor, FeedPage, PhotoId, PhotoView, Profile, User, UserId};

/// The answer of one cacheable read. `None` answers are never cached (an id
/// unknown now may exist later), so every variant holds a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CachedValue {
    User(User),
    Photo(PhotoView),
    Profile(Profile),
    Followees(Vec<UserId>),
    Page {
        items: Vec<PhotoView>,
        next_before: Option<PhotoId>,
    },
}

impl CachedValue {
    pub(crate) fn page(page: FeedPage) -> Self {
        Self::Page {
            items: page.items,
            next_before: page.next_cursor.map(Cursor::before),
        }
    }

    pub(crate) fn into_page(self) -> Option<FeedPage> {
        match self {
            Self::Page { items, next_before } => Some(FeedPage {
                items,
                next_cursor: next_before.map(Cursor::after),
            }),
            _ => None,
        }
    }

    /// The like counts this value shows.
    pub(crate) fn photo_dependencies(&self) -> Vec<Dependency> {
        match self {
            Self::Photo(view) => vec![Dependency::Photo(view.photo.id)],
            Self::Page { items, .. } => items
                .iter()
                .map(|view| Dependency::Photo(view.photo.id))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The L1 size of the value, in entries (a page weighs one per item).
    pub(crate) fn weight(&self) -> u32 {
        match self {
            Self::Page { items, .. } => 1 + items.len() as u32,
            Self::Followees(users) => 1 + (users.len() / 16) as u32,
            _ => 1,
        }
    }

    #[cfg(feature = "redis")]
    pub(crate) fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    #[cfg(feature = "redis")]
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        postcard::from_bytes(bytes).ok()
    }
}

/// A value as the Redis tier reads it, encoded again as the tier would
/// write it: `None` where the tier would treat the bytes as a miss. For the
/// `record_decoder` fuzz target only (through [`crate::fuzzing`]).
#[cfg(all(fuzzing, feature = "redis"))]
pub fn reencode_for_fuzzing(bytes: &[u8]) -> Option<Vec<u8>> {
    CachedValue::decode(bytes).map(|value| value.encode())
}

/// Values as the Redis tier writes them, for the seed corpus of the
/// `record_decoder` fuzz target: named `cached-*`.
#[cfg(all(fuzzing, feature = "redis"))]
pub fn sample_cached_values() -> Vec<(String, Vec<u8>)> {
    use crate::domain::{Caption, Email, Photo, Username};
    use crate::media::{ImageType, MediaKey};

    let created_at = chrono::DateTime::from_timestamp_millis(1_764_618_000_123).unwrap_or_default();
    let ada = Username::parse("ada").expect("a valid username");
    let user = User {
        id: UserId::MIN,
        username: ada.clone(),
        email: Email::parse("ada@example.com").expect("a valid email"),
        created_at,
    };
    let photo = PhotoView {
        photo: Photo {
            id: PhotoId::MIN,
            author: UserId::MIN,
            author_username: ada.clone(),
            caption: Caption::parse("hello").expect("a valid caption"),
            media_key: MediaKey::new([7; 32], ImageType::Png),
            content_type: ImageType::Png,
            width: 3,
            height: 2,
            created_at,
            like_count: 2,
        },
        liked_by_viewer: true,
    };
    let profile = Profile {
        user_id: UserId::MIN,
        username: ada,
        followers: 1,
        following: 2,
        photos: 3,
        followed_by_viewer: false,
    };
    [
        ("cached-user", CachedValue::User(user)),
        ("cached-photo", CachedValue::Photo(photo.clone())),
        ("cached-profile", CachedValue::Profile(profile)),
        (
            "cached-followees",
            CachedValue::Followees(vec![UserId::MIN, UserId::MAX]),
        ),
        (
            "cached-page",
            CachedValue::Page {
                items: vec![photo],
                next_before: PhotoId::new(7),
            },
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.encode()))
    .collect()
}

/// One L1 entry: the value and the versions it was read under.
#[derive(Debug)]
pub(crate) struct Entry {
    pub value: CachedValue,
    pub stamps: Vec<Stamp>,
}
