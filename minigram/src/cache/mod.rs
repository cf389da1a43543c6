//! Cache tiers as a [`Store`](crate::store::Store) decorator (feature `moka`, on by
//! default; feature `redis` adds the shared tier).
//!
//! [`CachedStore`] wraps any store with an in-process tier (L1, moka), a
//! shared Redis tier (L2), or both. What is cached, for how long, how writes
//! invalidate it and how stale a read can be is in `docs/cache.md`.

mod cache_config;
mod cache_counters;
mod cache_error;
mod cache_key;
mod cached_store;
mod cached_store_ops;
mod cached_value;
pub(crate) mod circuit_breaker;
mod dependency;
mod invalidation;
#[cfg(feature = "redis")]
mod invalidation_listener;
mod read_path;
#[cfg(feature = "redis")]
mod redis_tier;
mod version_table;

/// The Redis tier's value codec, for [`crate::fuzzing`].
#[cfg(all(fuzzing, feature = "redis"))]
pub(crate) mod fuzzing {
    pub use super::cached_value::{reencode_for_fuzzing, sample_cached_values};
}

#[cfg(feature = "redis")]
pub use cache_config::RedisTierConfig;
pub use cache_config::{CacheConfig, MemoryTierConfig};
pub use cache_error::CacheError;
pub use cached_store::CachedStore;
#[cfg(feature = "redis")]
pub use circuit_breaker::BreakerConfig;
pub use circuit_breaker::BreakerState;
