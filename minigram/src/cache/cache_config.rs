//! Which tiers a [`CachedStore`](super::CachedStore) has, and their sizes
//! and lifetimes.

use std::time::Duration;

#[cfg(feature = "redis")]
use super::circuit_breaker::BreakerConfig;

/// The in-process tier (L1, moka).
#[derive(Debug, Clone)]
pub struct MemoryTierConfig {
    /// Capacity in entries; a feed page weighs one per photo on it.
    pub max_entries: u64,
    /// Lifetime of values that can change (feeds, photos, profiles). Writes
    /// through any instance invalidate them precisely before that; the TTL
    /// bounds staleness only when an invalidation was lost (Redis down).
    pub ttl: Duration,
    /// Lifetime of values that never change (users by id).
    pub immutable_ttl: Duration,
    /// Each lifetime is shortened by up to this fraction at random, so that
    /// entries filled together do not expire together.
    pub jitter: f64,
}

impl Default for MemoryTierConfig {
    fn default() -> Self {
        Self {
            max_entries: 100_000,
            ttl: Duration::from_secs(10),
            immutable_ttl: Duration::from_secs(600),
            jitter: 0.1,
        }
    }
}

/// The shared tier (L2, Redis). `Debug` shows the URL without its password.
#[cfg(feature = "redis")]
#[derive(Clone)]
pub struct RedisTierConfig {
    /// `redis://host:port/db`.
    pub url: String,
    /// Prefix of every key and of the invalidation channel, so several
    /// deployments can share one Redis.
    pub key_prefix: String,
    /// Lifetime of values that can change (see [`MemoryTierConfig::ttl`]).
    pub ttl: Duration,
    /// Lifetime of values that never change.
    pub immutable_ttl: Duration,
    /// Fraction of jitter on each lifetime.
    pub jitter: f64,
    /// Deadline of one Redis call (connect or command); past it the call
    /// counts as a failure and the store answers instead.
    pub timeout: Duration,
    /// When Redis calls stop being made.
    pub breaker: BreakerConfig,
    /// Read-your-writes across instances: before answering a viewer from
    /// L1, check the viewer's write version in Redis (one small `GET`), so a
    /// user whose write went through another instance never reads an L1
    /// value older than it. Without it, that takes the pub/sub delay.
    pub viewer_check: bool,
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for RedisTierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTierConfig")
            .field("url", &crate::redacted_url(&self.url))
            .field("key_prefix", &self.key_prefix)
            .field("ttl", &self.ttl)
            .field("immutable_ttl", &self.immutable_ttl)
            .field("jitter", &self.jitter)
            .field("timeout", &self.timeout)
            .field("breaker", &self.breaker)
            .field("viewer_check", &self.viewer_check)
            .finish()
    }
}

#[cfg(feature = "redis")]
impl RedisTierConfig {
    /// Defaults for the Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: "mg:".to_owned(),
            ttl: Duration::from_secs(60),
            immutable_ttl: Duration::from_secs(3600),
            jitter: 0.1,
            timeout: Duration::from_millis(100),
            breaker: BreakerConfig::default(),
            viewer_check: true,
        }
    }
}

/// The tiers of a [`CachedStore`](super::CachedStore).
#[derive(Debug, Clone, Default)]
pub struct CacheConfig {
    /// L1, in this process. `None` for Redis alone.
    pub memory: Option<MemoryTierConfig>,
    /// L2, shared by every instance using the same Redis.
    #[cfg(feature = "redis")]
    pub redis: Option<RedisTierConfig>,
}

impl CacheConfig {
    /// L1 only (`--cache memory`).
    // The update fills `redis` when that feature is on; without it every
    // field is already given.
    #[allow(clippy::needless_update)]
    pub fn memory() -> Self {
        Self {
            memory: Some(MemoryTierConfig::default()),
            ..Self::default()
        }
    }

    /// L2 only (`--cache redis`).
    #[cfg(feature = "redis")]
    pub fn redis(url: impl Into<String>) -> Self {
        Self {
            memory: None,
            redis: Some(RedisTierConfig::new(url)),
        }
    }

    /// L1 over L2 (`--cache tiered`).
    #[cfg(feature = "redis")]
    pub fn tiered(url: impl Into<String>) -> Self {
        Self {
            memory: Some(MemoryTierConfig::default()),
            redis: Some(RedisTierConfig::new(url)),
        }
    }
}

/// A lifetime shortened by up to `jitter` of itself, at random.
pub(crate) fn jittered(ttl: Duration, jitter: f64) -> Duration {
    let jitter = jitter.clamp(0.0, 0.9);
    if jitter == 0.0 {
        return ttl;
    }
    ttl.mul_f64(1.0 - rand::random_range(0.0..jitter))
}
