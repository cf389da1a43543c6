//! The cache decorator: a [`Store`] over another store — the type and how it
//! is built. Reads are in `read_path.rs`, invalidation after writes in
//! `invalidation.rs`, the `Store` methods in `cached_store_ops.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cache_config::{CacheConfig, MemoryTierConfig, jittered};
use super::cache_counters::{CacheCounters, add};
use super::cache_error::CacheError;
use super::cache_key::CacheKey;
use super::cached_value::Entry;
use super::circuit_breaker::BreakerState;
#[cfg(feature = "redis")]
use super::invalidation_listener::InvalidationListener;
#[cfg(feature = "redis")]
use super::redis_tier::RedisTier;
use super::version_table::VersionTable;
#[cfg(feature = "redis")]
use crate::domain::UserId;
use crate::store::Store;

/// A [`Store`] that answers reads from an in-process tier (L1, moka) and/or
/// a shared Redis tier (L2), and passes writes through to the store it
/// wraps, invalidating precisely what each write changed once the store
/// committed it.
///
/// See `docs/cache.md` for what is cached, for how long and why. In short:
/// - users by id, photos, profiles, followee lists and feed pages are
///   cached; credentials, token revocations and settings pass through and
///   never reach Redis;
/// - every cached value records the versions of what it depends on (its
///   viewer, its authors' posts, its photos' likes); a write bumps those
///   versions, so the writer and every reader through the same instance see
///   it at once, and other instances within the pub/sub delay;
/// - concurrent misses for one key in one process make one store read;
/// - Redis errors and timeouts open a circuit breaker: reads and writes go
///   to the store alone, none fails, and Redis is used again when it is back.
///
/// ```
/// use std::sync::Arc;
/// use minigram::cache::{CacheConfig, CachedStore};
/// use minigram::store::MemoryStore;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), minigram::cache::CacheError> {
/// let store = CachedStore::new(Arc::new(MemoryStore::new()), CacheConfig::memory()).await?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct CachedStore {
    /// The store written through to and read on a miss.
    pub(super) inner: Arc<dyn Store>,
    /// The in-process tier, if configured.
    pub(super) l1: Option<moka::future::Cache<CacheKey, Arc<Entry>>>,
    /// Versions of every dependency; an entry is current while its stamps are.
    pub(super) table: Arc<VersionTable>,
    pub(super) counters: Arc<CacheCounters>,
    /// The shared tier, if configured.
    #[cfg(feature = "redis")]
    pub(super) l2: Option<Arc<RedisTier>>,
    /// The last Redis write version seen per viewer (read-your-writes
    /// across instances).
    #[cfg(feature = "redis")]
    pub(super) viewer_versions: moka::sync::Cache<UserId, u64>,
    #[cfg(feature = "redis")]
    _listener: Option<InvalidationListener>,
}

struct Lifetimes {
    config: MemoryTierConfig,
}

impl moka::Expiry<CacheKey, Arc<Entry>> for Lifetimes {
    fn expire_after_create(
        &self,
        key: &CacheKey,
        _value: &Arc<Entry>,
        _created_at: Instant,
    ) -> Option<Duration> {
        let ttl = if key.is_immutable() {
            self.config.immutable_ttl
        } else {
            self.config.ttl
        };
        Some(jittered(ttl, self.config.jitter))
    }
}

impl CachedStore {
    /// Wraps `inner` with the tiers of `config`. Redis need not be up: the
    /// store starts degraded and uses Redis once it answers.
    pub async fn new(inner: Arc<dyn Store>, config: CacheConfig) -> Result<Self, CacheError> {
        let counters = Arc::new(CacheCounters::default());
        let table = Arc::new(VersionTable::new(16));
        let l1 = config.memory.clone().map(|memory| {
            let evictions = Arc::clone(&counters);
            moka::future::Cache::builder()
                .max_capacity(memory.max_entries)
                .weigher(|_key: &CacheKey, entry: &Arc<Entry>| entry.value.weight())
                .expire_after(Lifetimes { config: memory })
                .eviction_listener(move |_key, _value, cause| {
                    if cause == moka::notification::RemovalCause::Size {
                        add(&evictions.l1.evictions);
                    }
                })
                .build()
        });
        #[cfg(feature = "redis")]
        {
            let mut l2 = None;
            let mut listener = None;
            if let Some(redis) = config.redis {
                let url = redis.url.clone();
                let tier = Arc::new(RedisTier::new(redis, Arc::clone(&counters)).map_err(
                    |error| CacheError::InvalidRedisUrl {
                        url,
                        reason: error.to_string(),
                    },
                )?);
                if let Some(cache) = &l1 {
                    let cache = cache.clone();
                    listener = Some(
                        InvalidationListener::spawn(
                            Arc::clone(&tier),
                            Arc::clone(&table),
                            Arc::clone(&counters),
                            move || cache.invalidate_all(),
                        )
                        .await,
                    );
                }
                l2 = Some(tier);
            }
            Ok(Self {
                inner,
                l1,
                table,
                counters,
                l2,
                viewer_versions: moka::sync::Cache::new(100_000),
                _listener: listener,
            })
        }
        #[cfg(not(feature = "redis"))]
        Ok(Self {
            inner,
            l1,
            table,
            counters,
        })
    }

    /// The Redis tier's circuit breaker, or `None` without a Redis tier.
    /// `Open` means Redis is unreachable and the store answers alone.
    pub fn redis_state(&self) -> Option<BreakerState> {
        #[cfg(feature = "redis")]
        {
            self.l2.as_ref().map(|tier| tier.breaker_state())
        }
        #[cfg(not(feature = "redis"))]
        None
    }

    /// The store this cache wraps.
    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }
}
