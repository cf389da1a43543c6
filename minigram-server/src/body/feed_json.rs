use minigram::feed::{FanoutStatus, FanoutWorkerPool, FeedStrategy};
use minigram::{Minigram, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// The home-feed strategy and, under push and hybrid, the fan-out queue and
/// its workers (`/api/instance` `feed_status`, `/health` `components.feed`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FeedStatus)]
pub struct FeedJson {
    /// `ok`, or `down` when the queue could not be read.
    pub status: &'static str,
    /// `pull`, `push` or `hybrid`.
    pub strategy: &'static str,
    /// Push and hybrid: fan-out jobs queued and not done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_depth: Option<u64>,
    /// Push and hybrid: fan-out workers in this process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
    /// Push and hybrid: workers applying a job right now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy_workers: Option<usize>,
    /// Push and hybrid: most photos a timeline holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline_cap: Option<usize>,
    /// Hybrid: the follower count from which an author is merged at read
    /// time instead of fanned out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub celebrity_followers: Option<u64>,
}

impl FeedJson {
    /// The feed's state as `minigram` reports it.
    pub async fn of(minigram: &Minigram) -> Self {
        Self::from_status(minigram.feed_strategy(), minigram.fanout_status().await)
    }

    /// The state of a worker process's pool (`minigram-server worker`).
    pub async fn of_pool(pool: &FanoutWorkerPool) -> Self {
        Self::from_status(pool.strategy(), pool.status().await.map(Some))
    }

    fn from_status(
        strategy: FeedStrategy,
        status: Result<Option<FanoutStatus>, StoreError>,
    ) -> Self {
        let mut body = Self {
            status: "ok",
            strategy: strategy.name(),
            queue_depth: None,
            workers: None,
            busy_workers: None,
            timeline_cap: None,
            celebrity_followers: strategy.celebrity_followers(),
        };
        match status {
            Ok(Some(fanout)) => {
                body.queue_depth = Some(fanout.queue_depth);
                body.workers = Some(fanout.workers);
                body.busy_workers = Some(fanout.busy_workers);
                body.timeline_cap = Some(fanout.timeline_cap);
            }
            Ok(None) => {}
            Err(_) => body.status = "down",
        }
        body
    }
}
