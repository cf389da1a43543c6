//! Home-feed strategies behind one interface.
//!
//! Only [`FeedStrategy::Pull`] exists so far: the home feed is computed at
//! read time by merging the recent photos of the viewer and everyone they
//! follow. Push (fan-out on write) and hybrid strategies plug in here.

mod pull;

use crate::domain::{FeedPage, PageRequest, UserId};
use crate::error::StoreError;
use crate::store::Store;

/// How home feeds are built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedStrategy {
    /// Merge the followees' recent photos at read time.
    #[default]
    Pull,
}

impl FeedStrategy {
    /// The strategy's name, for reports and `/api/instance`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pull => "pull",
        }
    }

    /// The home feed of `viewer`: their own photos and those of everyone
    /// they follow, newest first.
    pub async fn home_feed(
        self,
        store: &dyn Store,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        match self {
            Self::Pull => pull::home_feed(store, viewer, page).await,
        }
    }
}
