//! The last ten minutes of the server's figures at one-second resolution,
//! so a freshly opened dashboard shows curves rather than a single point
//! (`GET /api/metrics/history`).
//!
//! A task started with the server ([`sample_every_second`]) takes one
//! [`HistorySample`] a second: rates are differences of the cumulative
//! counters since the previous sample, latencies the percentiles of the
//! requests answered in between (see [`HttpMetrics::take_interval`]),
//! gauges their current value. The ring holds [`HISTORY_CAPACITY`]
//! samples; the oldest is dropped for each new one.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use minigram::store::MetricKind;
use parking_lot::Mutex;
use serde::Serialize;
use utoipa::ToSchema;

use super::http_metrics::{HttpMetrics, RouteInterval};
use crate::AppState;

/// Time between samples.
pub const HISTORY_INTERVAL: Duration = Duration::from_secs(1);
/// Samples kept: ten minutes at one a second.
pub const HISTORY_CAPACITY: usize = 600;

/// One second of the server's life.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HistorySample {
    /// When it was taken, milliseconds since the Unix epoch.
    pub t_ms: u64,
    /// Requests answered per second since the previous sample.
    pub requests_per_s: f64,
    /// 4xx answers per second.
    pub client_errors_per_s: f64,
    /// 5xx answers per second.
    pub server_errors_per_s: f64,
    /// Requests being handled when the sample was taken.
    pub in_flight: i64,
    /// Median latency of the requests answered since the previous sample,
    /// all routes together (absent when none were).
    pub p50_ms: Option<f64>,
    /// 99th-percentile latency, all routes together.
    pub p99_ms: Option<f64>,
    /// Per route that answered requests since the previous sample.
    pub routes: Vec<RouteInterval>,
    /// Share of password-hash slots in use (1 = saturated).
    pub hasher_saturation: f64,
    /// Callers waiting for a password-hash slot.
    pub hasher_waiting: u64,
    /// Requests refused with 429 per second.
    pub rate_limited_per_s: f64,
    /// Share of cacheable reads the in-process cache answered since the
    /// previous sample (absent without a cache or without reads).
    pub cache_l1_hit_ratio: Option<f64>,
    /// Share of the reads reaching Redis that it answered.
    pub cache_l2_hit_ratio: Option<f64>,
    /// The store's gauges now, by series (`minigram_writer_queue_depth`,
    /// `minigram_pg_pool_available`,
    /// `minigram_router_replica_lag_seconds{replica="0"}`, ...).
    pub store_gauges: BTreeMap<String, f64>,
    /// The store's counters as per-second rates since the previous sample
    /// (`minigram_writer_writes_total`, `minigram_writer_batches_total`, ...).
    pub store_rates: BTreeMap<String, f64>,
}

/// The cumulative figures a sample is the difference of.
#[derive(Debug, Clone, Default)]
struct Totals {
    at: Option<Instant>,
    requests: u64,
    client_errors: u64,
    server_errors: u64,
    rate_limited: u64,
    store_counters: BTreeMap<String, f64>,
}

/// The ring of samples, and the totals the next one is measured from.
#[derive(Debug, Default)]
pub struct MetricsHistory {
    samples: Mutex<VecDeque<HistorySample>>,
    previous: Mutex<Totals>,
}

impl MetricsHistory {
    /// The samples taken after `after_ms` (all when `None`), oldest first.
    pub fn since(&self, after_ms: Option<u64>) -> Vec<HistorySample> {
        let samples = self.samples.lock();
        samples
            .iter()
            .filter(|s| after_ms.is_none_or(|after| s.t_ms > after))
            .cloned()
            .collect()
    }

    /// Takes a sample of `state` now.
    pub fn sample(&self, state: &AppState) {
        let sample = self.measure(state);
        let mut samples = self.samples.lock();
        if samples.len() == HISTORY_CAPACITY {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    fn measure(&self, state: &AppState) -> HistorySample {
        let http: &HttpMetrics = state.metrics();
        let snapshot = http.snapshot();
        let latency = http.take_interval();
        let minigram = state.minigram();
        let hasher = minigram.hasher().stats();
        let metrics = minigram.metrics();
        let now = Instant::now();
        let mut store_gauges = BTreeMap::new();
        let mut store_counters = BTreeMap::new();
        for metric in &metrics {
            let series = metric.series().to_string();
            match metric.kind {
                MetricKind::Gauge => store_gauges.insert(series, metric.value),
                _ => store_counters.insert(series, metric.value),
            };
        }
        let current = Totals {
            at: Some(now),
            requests: snapshot.requests_total,
            client_errors: snapshot.client_errors_total,
            server_errors: snapshot.server_errors_total,
            rate_limited: state.rate_limits().map_or(0, |limits| limits.counts().1),
            store_counters,
        };
        let mut previous = self.previous.lock();
        let elapsed_s = previous
            .at
            .map_or(HISTORY_INTERVAL, |at| now.duration_since(at))
            .as_secs_f64()
            .max(1e-3);
        let rate = |now: u64, before: u64| now.saturating_sub(before) as f64 / elapsed_s;
        let counter_delta = |name: &str| {
            let now = current.store_counters.get(name).copied().unwrap_or(0.0);
            let before = previous.store_counters.get(name).copied().unwrap_or(0.0);
            (now - before).max(0.0)
        };
        let hit_ratio = |hits: &str, misses: &str| {
            let (hits, misses) = (counter_delta(hits), counter_delta(misses));
            (hits + misses > 0.0).then(|| hits / (hits + misses))
        };
        let sample = HistorySample {
            t_ms: unix_ms(),
            requests_per_s: rate(current.requests, previous.requests),
            client_errors_per_s: rate(current.client_errors, previous.client_errors),
            server_errors_per_s: rate(current.server_errors, previous.server_errors),
            in_flight: snapshot.in_flight,
            p50_ms: latency.p50_ms,
            p99_ms: latency.p99_ms,
            routes: latency.routes,
            hasher_saturation: hasher.running as f64 / hasher.capacity.max(1) as f64,
            hasher_waiting: hasher.waiting,
            rate_limited_per_s: rate(current.rate_limited, previous.rate_limited),
            cache_l1_hit_ratio: hit_ratio(
                "minigram_cache_l1_hits_total",
                "minigram_cache_l1_misses_total",
            ),
            cache_l2_hit_ratio: hit_ratio(
                "minigram_cache_l2_hits_total",
                "minigram_cache_l2_misses_total",
            ),
            store_rates: current
                .store_counters
                .keys()
                .map(|name| (name.clone(), counter_delta(name) / elapsed_s))
                .collect(),
            store_gauges,
        };
        *previous = current;
        sample
    }
}

/// Samples `state` every [`HISTORY_INTERVAL`] until the task is aborted
/// (the server does so when it stops). Sampling reads in-memory figures
/// and the store's metrics, which are in-memory too: nothing here waits.
pub async fn sample_every_second(state: AppState) {
    let mut ticks = tokio::time::interval(HISTORY_INTERVAL);
    // A stalled runtime does not make a burst of catch-up samples.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        state.history().sample(&state);
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t_ms: u64) -> HistorySample {
        HistorySample {
            t_ms,
            requests_per_s: 0.0,
            client_errors_per_s: 0.0,
            server_errors_per_s: 0.0,
            in_flight: 0,
            p50_ms: None,
            p99_ms: None,
            routes: Vec::new(),
            hasher_saturation: 0.0,
            hasher_waiting: 0,
            rate_limited_per_s: 0.0,
            cache_l1_hit_ratio: None,
            cache_l2_hit_ratio: None,
            store_gauges: BTreeMap::new(),
            store_rates: BTreeMap::new(),
        }
    }

    #[test]
    fn since_returns_only_later_samples_oldest_first() {
        let history = MetricsHistory::default();
        history
            .samples
            .lock()
            .extend([sample(1), sample(2), sample(3)]);
        let times = |v: Vec<HistorySample>| v.iter().map(|s| s.t_ms).collect::<Vec<_>>();
        assert_eq!(times(history.since(None)), [1, 2, 3]);
        assert_eq!(times(history.since(Some(1))), [2, 3]);
        assert_eq!(times(history.since(Some(3))), Vec::<u64>::new());
    }

    #[test]
    fn the_ring_keeps_the_newest_samples() {
        let history = MetricsHistory::default();
        {
            let mut samples = history.samples.lock();
            samples.extend((0..HISTORY_CAPACITY as u64).map(sample));
        }
        // What `sample` does when full, without needing a whole AppState.
        {
            let mut samples = history.samples.lock();
            samples.pop_front();
            samples.push_back(sample(HISTORY_CAPACITY as u64));
        }
        let kept = history.since(None);
        assert_eq!(kept.len(), HISTORY_CAPACITY);
        assert_eq!(kept.first().map(|s| s.t_ms), Some(1));
        assert_eq!(kept.last().map(|s| s.t_ms), Some(HISTORY_CAPACITY as u64));
    }
}
