//! Counters behind the cache's metrics.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::StoreMetric;

/// Hits, misses, errors and evictions of one tier.
#[derive(Debug, Default)]
pub(crate) struct TierCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    #[cfg(feature = "redis")]
    pub errors: AtomicU64,
    pub evictions: AtomicU64,
}

/// Every counter of one [`CachedStore`](super::CachedStore).
#[derive(Debug, Default)]
pub(crate) struct CacheCounters {
    pub l1: TierCounters,
    #[cfg(feature = "redis")]
    pub l2: TierCounters,
    /// Reads that reached the wrapped store.
    pub store_reads: AtomicU64,
    /// Invalidation messages received from other instances.
    #[cfg(feature = "redis")]
    pub remote_invalidations: AtomicU64,
}

pub(crate) fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn counter(name: &'static str, help: &'static str, value: &AtomicU64) -> StoreMetric {
    StoreMetric::counter(name, help, value.load(Ordering::Relaxed))
}

impl CacheCounters {
    pub(crate) fn l1_metrics(&self) -> Vec<StoreMetric> {
        vec![
            counter(
                "minigram_cache_l1_hits_total",
                "Reads answered by the in-process cache.",
                &self.l1.hits,
            ),
            counter(
                "minigram_cache_l1_misses_total",
                "Reads the in-process cache could not answer.",
                &self.l1.misses,
            ),
            counter(
                "minigram_cache_l1_evictions_total",
                "Entries the in-process cache dropped for room.",
                &self.l1.evictions,
            ),
        ]
    }

    #[cfg(feature = "redis")]
    pub(crate) fn l2_metrics(&self) -> Vec<StoreMetric> {
        vec![
            counter(
                "minigram_cache_l2_hits_total",
                "Reads answered by Redis.",
                &self.l2.hits,
            ),
            counter(
                "minigram_cache_l2_misses_total",
                "Reads Redis could not answer (absent or stale).",
                &self.l2.misses,
            ),
            counter(
                "minigram_cache_l2_errors_total",
                "Redis calls that failed or timed out.",
                &self.l2.errors,
            ),
            counter(
                "minigram_cache_l2_remote_invalidations_total",
                "Invalidation messages received from other instances.",
                &self.remote_invalidations,
            ),
        ]
    }

    pub(crate) fn store_metric(&self) -> StoreMetric {
        counter(
            "minigram_cache_store_reads_total",
            "Cacheable reads that reached the wrapped store.",
            &self.store_reads,
        )
    }
}
