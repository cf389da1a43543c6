//! Everything a push or hybrid [`Minigram`](crate::Minigram) runs beside
//! the store: the worker pool, its metrics, and the timeline rebuilds in
//! flight.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::FanoutMetrics;
use super::fanout_workers::{FanoutWorkers, WorkerSettings, run_job};
use crate::domain::UserId;
use crate::error::StoreError;
use crate::store::{DEFAULT_FANOUT_LEASE, DEFAULT_TIMELINE_CAP, Store};

/// A user not seen for this long is inactive (Mastodon's figure).
pub const DEFAULT_INACTIVE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// Fan-out settings chosen in the builder.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FanoutConfig {
    pub timeline_cap: usize,
    pub workers: usize,
    pub batch: usize,
    pub lease: Duration,
    pub idle_poll: Duration,
    pub inactive_after: Option<Duration>,
}

impl Default for FanoutConfig {
    fn default() -> Self {
        Self {
            timeline_cap: DEFAULT_TIMELINE_CAP,
            workers: 2,
            batch: 500,
            lease: DEFAULT_FANOUT_LEASE,
            idle_poll: Duration::from_millis(200),
            inactive_after: Some(DEFAULT_INACTIVE_AFTER),
        }
    }
}

/// The state of the fan-out queue and its workers, for `/health` and
/// `/api/instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanoutStatus {
    /// Jobs queued and not done.
    pub queue_depth: u64,
    /// In-process workers.
    pub workers: usize,
    /// Workers applying a job right now.
    pub busy_workers: usize,
    /// Most photos a timeline holds.
    pub timeline_cap: usize,
}

/// The running fan-out machinery of one facade.
#[derive(Debug)]
pub(crate) struct Fanout {
    store: Arc<dyn Store>,
    metrics: Arc<FanoutMetrics>,
    workers: FanoutWorkers,
    config: FanoutConfig,
    /// Users whose timeline is being rebuilt (one rebuild each at a time).
    rebuilding: Arc<Mutex<HashSet<UserId>>>,
    /// When this process last told the store each user was active, so a
    /// user reading all day costs one store write per [`mark_interval`].
    ///
    /// [`mark_interval`]: FanoutConfig::mark_interval
    marked: Mutex<HashMap<UserId, Instant>>,
}

/// Most users whose last activity mark is remembered before old entries
/// are forgotten (a forgotten user is simply marked again).
const MARKED_USERS: usize = 100_000;

impl Fanout {
    pub(crate) fn start(
        store: Arc<dyn Store>,
        metrics: Arc<FanoutMetrics>,
        config: FanoutConfig,
    ) -> Self {
        let workers = FanoutWorkers::start(
            Arc::clone(&store),
            Arc::clone(&metrics),
            config.workers,
            config.worker_settings(),
        );
        Self {
            store,
            metrics,
            workers,
            config,
            rebuilding: Arc::default(),
            marked: Mutex::default(),
        }
    }

    pub(crate) fn metrics(&self) -> &Arc<FanoutMetrics> {
        &self.metrics
    }

    /// A post was committed with its job: wake a worker.
    pub(crate) fn job_queued(&self) {
        self.workers.wake();
    }

    pub(crate) async fn status(&self) -> Result<FanoutStatus, StoreError> {
        Ok(FanoutStatus {
            queue_depth: self.store.fanout_queue_depth().await?,
            workers: self.workers.count(),
            busy_workers: self.workers.busy(),
            timeline_cap: self.config.timeline_cap,
        })
    }

    /// Applies queued jobs in the calling task until the queue is empty
    /// (waiting for jobs other workers hold to finish). Four lanes claim
    /// jobs at once, so an embedded store commits their batches together.
    pub(crate) async fn drain(&self) -> Result<(), StoreError> {
        let finished = Notify::new();
        let (a, b, c, d) = tokio::join!(
            self.drain_lane(&finished),
            self.drain_lane(&finished),
            self.drain_lane(&finished),
            self.drain_lane(&finished)
        );
        a.and(b).and(c).and(d)
    }

    /// One lane of [`drain`](Self::drain): `finished` is signalled whenever
    /// a lane completes a job, so a lane that found every queued job held
    /// wakes as soon as one is done rather than after a poll interval.
    async fn drain_lane(&self, finished: &Notify) -> Result<(), StoreError> {
        loop {
            // Registered before looking at the queue, so a job finished
            // between the look and the wait still wakes this lane.
            let notified = finished.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.store.claim_fanout_job(self.config.lease).await? {
                Some(job) => {
                    let result = run_job(
                        self.store.as_ref(),
                        &job,
                        &self.metrics,
                        self.config.worker_settings(),
                    )
                    .await;
                    finished.notify_waiters();
                    result?;
                }
                None if self.store.fanout_queue_depth().await? == 0 => return Ok(()),
                // Held by another lane, or by a worker (whose finish this
                // lane is not told of: hence the poll).
                None => {
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                    }
                }
            }
        }
    }

    /// Rebuilds `user`'s timeline in the background, unless a rebuild of
    /// it is already running. Reads use pull meanwhile.
    pub(crate) fn rebuild_later(&self, user: UserId) {
        if !self.rebuilding.lock().insert(user) {
            return;
        }
        let store = Arc::clone(&self.store);
        let metrics = Arc::clone(&self.metrics);
        let rebuilding = Arc::clone(&self.rebuilding);
        tokio::spawn(async move {
            match store.rebuild_timeline(user).await {
                Ok(()) => metrics.timeline_rebuilt(),
                Err(e) => {
                    tracing::warn!(%user, error = %e, "rebuilding a timeline failed; the next read tries again")
                }
            }
            rebuilding.lock().remove(&user);
        });
    }

    /// `user` logged in or read their home feed: tell the store (at most
    /// once per mark interval), so fan-out keeps their timeline. A failure
    /// only logs: the worst it costs is a rebuild later.
    pub(crate) async fn seen(&self, user: UserId) {
        let Some(interval) = self.config.mark_interval() else {
            return;
        };
        let now = Instant::now();
        {
            let mut marked = self.marked.lock();
            if marked
                .get(&user)
                .is_some_and(|at| now.duration_since(*at) < interval)
            {
                return;
            }
            if marked.len() >= MARKED_USERS {
                marked.retain(|_, at| now.duration_since(*at) < interval);
            }
            marked.insert(user, now);
        }
        if let Err(e) = self.store.mark_active(user).await {
            tracing::warn!(%user, error = %e, "recording a user's activity failed");
            self.marked.lock().remove(&user);
        }
    }

    pub(crate) async fn stop(&self) {
        self.workers.stop().await;
    }
}

impl FanoutConfig {
    /// How often a user's activity is written to the store: a 24th of the
    /// inactivity period (so one missed mark never makes anyone inactive),
    /// at most an hour. `None` when nobody becomes inactive.
    fn mark_interval(&self) -> Option<Duration> {
        self.inactive_after
            .map(|after| (after / 24).min(Duration::from_secs(3600)))
    }

    fn worker_settings(&self) -> WorkerSettings {
        WorkerSettings {
            batch: self.batch,
            lease: self.lease,
            idle_poll: self.idle_poll,
        }
    }
}
