//! What a cached read is keyed by.

#[cfg(feature = "redis")]
use sha2::{Digest, Sha256};

use crate::domain::{Cursor, PageLimit, PageRequest, PhotoId, UserId};

/// A page request in hashable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PageKey {
    pub limit: PageLimit,
    pub before: Option<PhotoId>,
}

impl PageKey {
    pub(crate) fn of(page: PageRequest) -> Self {
        Self {
            limit: page.limit,
            before: page.cursor.map(Cursor::before),
        }
    }

    pub(crate) fn request(self) -> PageRequest {
        PageRequest {
            limit: self.limit,
            cursor: self.before.map(Cursor::after),
        }
    }

    #[cfg(feature = "redis")]
    fn code(self) -> String {
        match self.before {
            Some(before) => format!("{}:{}", self.limit.get(), before.get()),
            None => format!("{}:-", self.limit.get()),
        }
    }
}

/// One cacheable read of the [`Store`](crate::Store) trait, with its
/// arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum CacheKey {
    User(UserId),
    Photo {
        photo: PhotoId,
        viewer: UserId,
    },
    Profile {
        user: UserId,
        viewer: UserId,
    },
    Followees(UserId),
    HomeFeed {
        viewer: UserId,
        page: PageKey,
    },
    ByAuthors {
        authors: Vec<UserId>,
        viewer: UserId,
        page: PageKey,
    },
    GlobalFeed {
        viewer: UserId,
        page: PageKey,
    },
}

impl CacheKey {
    #[cfg(feature = "redis")]
    /// The viewer whose writes this read must reflect at once.
    pub(crate) fn viewer(&self) -> Option<UserId> {
        match self {
            Self::User(_) => None,
            Self::Followees(user) => Some(*user),
            Self::Photo { viewer, .. }
            | Self::Profile { viewer, .. }
            | Self::HomeFeed { viewer, .. }
            | Self::ByAuthors { viewer, .. }
            | Self::GlobalFeed { viewer, .. } => Some(*viewer),
        }
    }

    /// Whether the value can never change (users are never edited).
    pub(crate) fn is_immutable(&self) -> bool {
        matches!(self, Self::User(_))
    }

    #[cfg(feature = "redis")]
    /// The key's Redis name, under `prefix`. Author sets are hashed so the
    /// name stays short.
    pub(crate) fn redis_key(&self, prefix: &str) -> String {
        match self {
            Self::User(user) => format!("{prefix}e:u:{}", user.get()),
            Self::Photo { photo, viewer } => {
                format!("{prefix}e:ph:{}:{}", photo.get(), viewer.get())
            }
            Self::Profile { user, viewer } => {
                format!("{prefix}e:pr:{}:{}", user.get(), viewer.get())
            }
            Self::Followees(user) => format!("{prefix}e:fe:{}", user.get()),
            Self::HomeFeed { viewer, page } => {
                format!("{prefix}e:h:{}:{}", viewer.get(), page.code())
            }
            Self::ByAuthors {
                authors,
                viewer,
                page,
            } => {
                let mut digest = Sha256::new();
                for author in authors {
                    digest.update(author.get().to_le_bytes());
                }
                let digest = hex::encode(&digest.finalize()[..12]);
                format!("{prefix}e:a:{digest}:{}:{}", viewer.get(), page.code())
            }
            Self::GlobalFeed { viewer, page } => {
                format!("{prefix}e:g:{}:{}", viewer.get(), page.code())
            }
        }
    }
}
