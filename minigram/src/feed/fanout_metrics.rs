use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use crate::store::StoreMetric;

/// Figures of the fan-out workers of one [`Minigram`](crate::Minigram)
/// (and of `drain_fanout` calls): jobs by outcome and the fan-out lag,
/// from a post's commit to the last follower's timeline insert.
///
/// Counters only grow; Relaxed ordering: they are reports, ordering
/// nothing else.
#[derive(Debug)]
pub struct FanoutMetrics {
    done: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    lost: AtomicU64,
    batches: AtomicU64,
    rebuilds: AtomicU64,
    timeline_reads: AtomicU64,
    timeline_misses: AtomicU64,
    /// Lag in milliseconds, 1 ms to 1 hour at 3 significant digits.
    lag_ms: Mutex<Histogram<u64>>,
}

impl Default for FanoutMetrics {
    fn default() -> Self {
        Self {
            done: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            rebuilds: AtomicU64::new(0),
            timeline_reads: AtomicU64::new(0),
            timeline_misses: AtomicU64::new(0),
            #[allow(clippy::expect_used)]
            lag_ms: Mutex::new(
                // Fixed, valid bounds: construction cannot fail.
                Histogram::new_with_bounds(1, 3_600_000, 3).expect("valid histogram bounds"),
            ),
        }
    }
}

/// Upper bounds of the lag histogram's buckets, in milliseconds (then
/// +Inf): from a quick in-process fan-out to a queue minutes behind.
const LAG_BUCKETS_MS: &[u64] = &[
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
];

/// A summary of the fan-out lag.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LagSummary {
    /// Jobs whose lag was recorded.
    pub count: u64,
    /// Median, in seconds.
    pub p50_seconds: f64,
    /// 99th percentile, in seconds.
    pub p99_seconds: f64,
    /// Largest, in seconds.
    pub max_seconds: f64,
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl FanoutMetrics {
    pub(crate) fn job_done(&self, lag_ms: u64) {
        add(&self.done);
        self.lag_ms.lock().saturating_record(lag_ms.max(1));
    }
    pub(crate) fn job_skipped(&self) {
        add(&self.skipped);
    }
    pub(crate) fn job_failed(&self) {
        add(&self.failed);
    }
    pub(crate) fn job_retried(&self) {
        add(&self.retried);
    }
    pub(crate) fn job_lost(&self) {
        add(&self.lost);
    }
    pub(crate) fn batch_applied(&self) {
        add(&self.batches);
    }
    pub(crate) fn timeline_rebuilt(&self) {
        add(&self.rebuilds);
    }
    pub(crate) fn timeline_read(&self, hit: bool) {
        add(if hit {
            &self.timeline_reads
        } else {
            &self.timeline_misses
        });
    }

    /// Jobs fanned out to every follower.
    pub fn jobs_done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Jobs claimed again after an earlier claim was lost (its worker died
    /// or stalled past the lease).
    pub fn jobs_retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }

    /// Home-feed reads answered from a timeline.
    pub fn timeline_hits(&self) -> u64 {
        self.timeline_reads.load(Ordering::Relaxed)
    }

    /// The fan-out lag so far.
    pub fn lag(&self) -> LagSummary {
        let lag = self.lag_ms.lock();
        let seconds = |ms: u64| ms as f64 / 1000.0;
        LagSummary {
            count: lag.len(),
            p50_seconds: seconds(lag.value_at_quantile(0.5)),
            p99_seconds: seconds(lag.value_at_quantile(0.99)),
            max_seconds: seconds(lag.max()),
        }
    }

    /// The lag distribution in Prometheus buckets, read off the
    /// high-dynamic-range histogram (three significant digits).
    fn lag_histogram(&self) -> StoreMetric {
        let lag = self.lag_ms.lock();
        let mut buckets = Vec::with_capacity(LAG_BUCKETS_MS.len() + 1);
        let mut below = 0;
        for &upper_ms in LAG_BUCKETS_MS {
            let up_to = lag.count_between(0, upper_ms);
            buckets.push((upper_ms as f64 / 1000.0, up_to - below));
            below = up_to;
        }
        buckets.push((f64::INFINITY, lag.len() - below));
        let sum_seconds = lag.mean() * lag.len() as f64 / 1000.0;
        StoreMetric::histogram(
            "minigram_fanout_lag_seconds",
            "Fan-out lag: from a post's commit to its last timeline insert.",
            sum_seconds,
            buckets,
        )
    }

    /// The figures as metrics, for `/metrics` and `/api/metrics`.
    pub fn metrics(&self) -> Vec<StoreMetric> {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let jobs = |outcome: &'static str, value| {
            StoreMetric::counter(
                "minigram_fanout_jobs_total",
                "Fan-out jobs finished by outcome: done (every follower), skipped (photo \
                 deleted, or a hybrid celebrity's), failed (a store error; the job is retried \
                 when its lease expires), lost (another worker had taken it over).",
                value,
            )
            .with_label("outcome", outcome)
        };
        let reads = |result: &'static str, value| {
            StoreMetric::counter(
                "minigram_timeline_reads_total",
                "Home-feed reads by whether the viewer had a timeline (hit) or was served by \
                 pull while it is rebuilt (miss).",
                value,
            )
            .with_label("result", result)
        };
        vec![
            jobs("done", load(&self.done)),
            jobs("skipped", load(&self.skipped)),
            jobs("failed", load(&self.failed)),
            jobs("lost", load(&self.lost)),
            StoreMetric::counter(
                "minigram_fanout_jobs_retried_total",
                "Jobs claimed again after an earlier claim's lease expired (a worker died or \
                 stalled).",
                load(&self.retried),
            ),
            StoreMetric::counter(
                "minigram_fanout_batches_total",
                "Follower batches applied.",
                load(&self.batches),
            ),
            self.lag_histogram(),
            reads("hit", load(&self.timeline_reads)),
            reads("miss", load(&self.timeline_misses)),
            StoreMetric::counter(
                "minigram_timeline_rebuilds_total",
                "Timelines rebuilt from the source of truth.",
                load(&self.rebuilds),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::MetricKind;

    #[test]
    fn the_lag_histogram_counts_each_job_in_its_bucket() {
        let metrics = FanoutMetrics::default();
        for lag_ms in [3, 40, 2_000, 400_000] {
            metrics.job_done(lag_ms);
        }
        let lag = metrics
            .metrics()
            .into_iter()
            .find(|m| m.name == "minigram_fanout_lag_seconds")
            .unwrap();
        assert_eq!(lag.kind, MetricKind::Histogram);
        assert_eq!(lag.count(), 4);
        let count_up_to = |bound: f64| {
            lag.buckets
                .iter()
                .filter(|(upper, _)| *upper <= bound)
                .map(|(_, n)| n)
                .sum::<u64>()
        };
        assert_eq!(count_up_to(0.005), 1);
        assert_eq!(count_up_to(0.05), 2);
        assert_eq!(count_up_to(2.5), 3);
        assert_eq!(count_up_to(300.0), 3);
        assert_eq!(count_up_to(f64::INFINITY), 4);
        // The sum is within the histogram's precision (3 significant digits).
        assert!((lag.value - 402.043).abs() < 0.5, "{}", lag.value);
    }
}
