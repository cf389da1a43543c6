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

/// One L1 entry: the value and the versions it was read under.
#[derive(Debug)]
pub(crate) struct Entry {
    pub value: CachedValue,
    pub stamps: Vec<Stamp>,
}
