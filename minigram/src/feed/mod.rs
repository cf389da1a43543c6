//! Home-feed strategies behind one interface.
//!
//! - [`FeedStrategy::Pull`]: the home feed is computed at read time by
//!   merging the recent photos of the viewer and everyone they follow.
//! - [`FeedStrategy::Push`]: posting enqueues a fan-out job in the same
//!   transaction (a transactional outbox); workers insert the photo into
//!   every follower's timeline; reads page through the timeline
//!   (`timeline_read.rs`).
//! - [`FeedStrategy::Hybrid`]: push, except for authors with many
//!   followers, whose photos are merged in at read time.
//!
//! Whatever the strategy, once the fan-out queue has drained
//! (`Minigram::drain_fanout`) every home-feed page equals the pull page.

mod fanout;
mod fanout_metrics;
mod fanout_worker_pool;
mod fanout_workers;
mod pull;
mod timeline_read;

pub use fanout::{DEFAULT_INACTIVE_AFTER, FanoutStatus};
pub(crate) use fanout::{Fanout, FanoutConfig};
pub use fanout_metrics::{FanoutMetrics, LagSummary};
pub use fanout_worker_pool::FanoutWorkerPool;

use crate::domain::{FeedPage, PageRequest, UserId};
use crate::error::StoreError;
use crate::store::Store;

/// The default hybrid threshold: authors with at least this many followers
/// are merged at read time instead of fanned out.
pub const DEFAULT_CELEBRITY_FOLLOWERS: u64 = 10_000;

/// How home feeds are built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedStrategy {
    /// Merge the followees' recent photos at read time.
    #[default]
    Pull,
    /// Fan out on write into per-user timelines.
    Push,
    /// Fan out on write, except authors with at least
    /// `celebrity_followers` followers, merged at read time.
    Hybrid {
        /// The follower count from which an author is not fanned out.
        celebrity_followers: u64,
    },
}

impl FeedStrategy {
    /// The strategy's name, for reports and `/api/instance`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
            Self::Hybrid { .. } => "hybrid",
        }
    }

    /// Whether this strategy keeps timelines (push and hybrid).
    pub fn uses_timelines(self) -> bool {
        !matches!(self, Self::Pull)
    }

    /// The hybrid threshold, if any.
    pub fn celebrity_followers(self) -> Option<u64> {
        match self {
            Self::Hybrid {
                celebrity_followers,
            } => Some(celebrity_followers),
            _ => None,
        }
    }

    /// The home feed of `viewer`: their own photos and those of everyone
    /// they follow, newest first. `None` under push and hybrid when the
    /// viewer has no timeline yet (the caller reads with pull and has it
    /// rebuilt).
    pub(crate) async fn home_feed(
        self,
        store: &dyn Store,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<Option<FeedPage>, StoreError> {
        match self {
            Self::Pull => pull::home_feed(store, viewer, page).await.map(Some),
            Self::Push | Self::Hybrid { .. } => timeline_read::home_feed(store, viewer, page).await,
        }
    }

    /// The pull feed, whatever the strategy.
    pub(crate) async fn pull_feed(
        store: &dyn Store,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        pull::home_feed(store, viewer, page).await
    }
}
