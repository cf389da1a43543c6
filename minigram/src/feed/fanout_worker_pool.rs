//! Fan-out workers without the rest of the facade, for processes that
//! only apply the queue (`minigram-server worker`): built with
//! [`MinigramBuilder::build_workers`](crate::MinigramBuilder::build_workers).

use std::sync::Arc;

use super::{Fanout, FanoutMetrics, FanoutStatus, FeedStrategy};
use crate::error::StoreError;
use crate::store::{Store, StoreMetric};

/// Running fan-out workers over a store that other processes post to.
///
/// Any number of pools (in any number of processes) may work one queue:
/// claims are leases, so each job is applied by one worker at a time, and
/// inserts are idempotent, so a job taken over after a crash repeats no
/// visible work.
#[derive(Debug)]
pub struct FanoutWorkerPool {
    store: Arc<dyn Store>,
    fanout: Fanout,
    strategy: FeedStrategy,
}

impl FanoutWorkerPool {
    pub(crate) fn new(store: Arc<dyn Store>, fanout: Fanout, strategy: FeedStrategy) -> Self {
        Self {
            store,
            fanout,
            strategy,
        }
    }

    /// The strategy the workers fan out for.
    pub fn strategy(&self) -> FeedStrategy {
        self.strategy
    }

    /// The store the workers apply jobs to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Queue depth and worker state.
    pub async fn status(&self) -> Result<FanoutStatus, StoreError> {
        self.fanout.status().await
    }

    /// The workers' figures (jobs done, lag).
    pub fn fanout_metrics(&self) -> &Arc<FanoutMetrics> {
        self.fanout.metrics()
    }

    /// The store's figures and the workers'.
    pub fn metrics(&self) -> Vec<StoreMetric> {
        let mut metrics = self.store.metrics();
        metrics.extend(self.fanout.metrics().metrics());
        metrics
    }

    /// Stops the workers after their current batch (jobs they held are
    /// claimed again when their leases expire), then closes the store.
    pub async fn stop(&self) -> Result<(), StoreError> {
        self.fanout.stop().await;
        self.store.close().await
    }
}
