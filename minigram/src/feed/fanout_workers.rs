//! In-process fan-out workers: tasks that claim jobs from the store's
//! durable queue and apply them batch by batch.
//!
//! A worker holds no state a crash could lose: the queue, the leases and
//! each job's progress live in the store, and every batch is applied and
//! recorded in one transaction. A job a dead worker held is claimed again
//! when its lease expires and resumes after its last applied batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use parking_lot::Mutex;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::FanoutMetrics;
use crate::error::StoreError;
use crate::store::{FanoutJob, FanoutProgress, Store};

/// How workers take and apply jobs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkerSettings {
    /// Followers per batch (one store transaction each).
    pub batch: usize,
    /// How long a claim holds a job without a batch applied.
    pub lease: Duration,
    /// How long an idle worker waits before looking at the queue again
    /// when nothing woke it (jobs from another process, expired leases).
    pub idle_poll: Duration,
}

/// Applies `job` to the end (or until it is lost or fails).
pub(crate) async fn run_job(
    store: &dyn Store,
    job: &FanoutJob,
    metrics: &FanoutMetrics,
    settings: WorkerSettings,
) -> Result<(), StoreError> {
    if job.previous_claims > 0 {
        metrics.job_retried();
        tracing::info!(
            job = job.id,
            previous_claims = job.previous_claims,
            "taking over a fan-out job whose lease expired"
        );
    }
    loop {
        let progress = match store.fan_out(job, settings.batch, settings.lease).await {
            Ok(progress) => progress,
            Err(e) => {
                // The lease runs out and the job is claimed again.
                metrics.job_failed();
                return Err(e);
            }
        };
        match progress {
            FanoutProgress::More => metrics.batch_applied(),
            FanoutProgress::Done => {
                metrics.batch_applied();
                let lag = Utc::now().signed_duration_since(job.enqueued_at);
                metrics.job_done(u64::try_from(lag.num_milliseconds()).unwrap_or(0));
                return Ok(());
            }
            FanoutProgress::Skipped => {
                metrics.job_skipped();
                return Ok(());
            }
            FanoutProgress::Lost => {
                metrics.job_lost();
                return Ok(());
            }
        }
    }
}

/// A pool of worker tasks over one store.
#[derive(Debug)]
pub(crate) struct FanoutWorkers {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    busy: Arc<AtomicUsize>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    count: usize,
}

impl FanoutWorkers {
    /// Starts `count` workers (none for 0: jobs then wait for a separate
    /// worker process or `drain_fanout`).
    pub(crate) fn start(
        store: Arc<dyn Store>,
        metrics: Arc<FanoutMetrics>,
        count: usize,
        settings: WorkerSettings,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let busy = Arc::new(AtomicUsize::new(0));
        let handles = (0..count)
            .map(|_| {
                tokio::spawn(work(
                    Arc::clone(&store),
                    Arc::clone(&metrics),
                    Arc::clone(&wake),
                    stopped.clone(),
                    Arc::clone(&busy),
                    settings,
                ))
            })
            .collect();
        Self {
            wake,
            stop,
            busy,
            handles: Mutex::new(handles),
            count,
        }
    }

    /// Tells an idle worker that a job was queued.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Workers in the pool.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// Workers applying a job right now.
    pub(crate) fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }

    /// Stops the workers after their current batch and waits for them.
    /// Jobs they held are claimed again once their leases expire.
    pub(crate) async fn stop(&self) {
        self.stop.send_replace(true);
        self.wake.notify_waiters();
        let handles = std::mem::take(&mut *self.handles.lock());
        for handle in handles {
            // A worker that panicked has nothing left to stop.
            let _ = handle.await;
        }
    }
}

async fn work(
    store: Arc<dyn Store>,
    metrics: Arc<FanoutMetrics>,
    wake: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
    busy: Arc<AtomicUsize>,
    settings: WorkerSettings,
) {
    while !*stopped.borrow() {
        match store.claim_fanout_job(settings.lease).await {
            Ok(Some(job)) => {
                busy.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = run_job(store.as_ref(), &job, &metrics, settings).await {
                    tracing::warn!(job = job.id, error = %e, "a fan-out batch failed; the job is retried when its lease expires");
                }
                busy.fetch_sub(1, Ordering::Relaxed);
            }
            Ok(None) => {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(settings.idle_poll) => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a fan-out job failed");
                tokio::select! {
                    _ = tokio::time::sleep(settings.idle_poll) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }
}
