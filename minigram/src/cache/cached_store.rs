//! The cache decorator: a [`Store`] over another store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::cache_config::{CacheConfig, MemoryTierConfig, jittered};
use super::cache_counters::{CacheCounters, add};
use super::cache_key::{CacheKey, PageKey};
use super::cached_value::{CachedValue, Entry};
use super::circuit_breaker::BreakerState;
use super::dependency::Dependency;
#[cfg(feature = "redis")]
use super::invalidation_listener::InvalidationListener;
#[cfg(feature = "redis")]
use super::redis_tier::RedisTier;
use super::version_table::VersionTable;
use crate::domain::{FeedPage, PageRequest, PhotoId, PhotoView, Profile, User, UserId, Username};
use crate::error::{FollowError, LikeError, PostPhotoError, RegisterError, StoreError};
#[cfg(feature = "redis")]
use crate::store::{Credentials, NewPhoto, NewUser, Store, StoreMetric};

/// Why a cached read produced no entry.
#[derive(Debug, Clone)]
enum NoEntry {
    /// The store answered `None`: nothing to cache.
    Absent,
    Failed(StoreError),
}

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
    inner: Arc<dyn Store>,
    l1: Option<moka::future::Cache<CacheKey, Arc<Entry>>>,
    table: Arc<VersionTable>,
    counters: Arc<CacheCounters>,
    #[cfg(feature = "redis")]
    l2: Option<Arc<RedisTier>>,
    /// The last Redis write version seen per viewer (read-your-writes
    /// across instances).
    #[cfg(feature = "redis")]
    viewer_versions: moka::sync::Cache<UserId, u64>,
    #[cfg(feature = "redis")]
    _listener: Option<InvalidationListener>,
}

/// Why a [`CachedStore`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The Redis URL does not parse.
    #[error("invalid Redis URL {url:?}: {reason}")]
    InvalidRedisUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
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

/// Attempts at a current L1 entry before reading the store directly (only
/// reached when writes keep invalidating the key).
const ATTEMPTS: usize = 3;

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

    /// Answers `key` through the tiers; `None` when the store has nothing.
    async fn read(&self, key: CacheKey) -> Result<Option<CachedValue>, StoreError> {
        let Some(l1) = &self.l1 else {
            return match self.load(&key).await {
                Ok((value, _)) => Ok(Some(value)),
                Err(NoEntry::Absent) => Ok(None),
                Err(NoEntry::Failed(error)) => Err(error),
            };
        };
        #[cfg(feature = "redis")]
        if let (Some(tier), Some(viewer)) = (&self.l2, key.viewer())
            && tier.config.viewer_check
        {
            self.sync_viewer(tier, viewer).await;
        }
        for _ in 0..ATTEMPTS {
            if let Some(entry) = l1.get(&key).await {
                if self.table.is_current(&entry.stamps) {
                    add(&self.counters.l1.hits);
                    return Ok(Some(entry.value.clone()));
                }
                l1.invalidate(&key).await;
            }
            add(&self.counters.l1.misses);
            let filled = l1
                .try_get_with(key.clone(), async {
                    let start = self.table.start();
                    let (value, deps) = self.load(&key).await?;
                    let stamps = self.table.stamp(&deps, start);
                    Ok::<_, NoEntry>(Arc::new(Entry { value, stamps }))
                })
                .await;
            match filled {
                Ok(entry) if self.table.is_current(&entry.stamps) => {
                    return Ok(Some(entry.value.clone()));
                }
                // Read while a write changed it: try again.
                Ok(_) => l1.invalidate(&key).await,
                Err(error) => {
                    return match &*error {
                        NoEntry::Absent => Ok(None),
                        NoEntry::Failed(error) => Err(error.clone()),
                    };
                }
            }
        }
        self.read_store(&key).await
    }

    /// Makes L1 forget what `viewer` read before a write of theirs that went
    /// through another instance.
    #[cfg(feature = "redis")]
    async fn sync_viewer(&self, tier: &RedisTier, viewer: UserId) {
        if let Some(version) = tier.viewer_version(viewer).await
            && self.viewer_versions.get(&viewer) != Some(version)
        {
            self.table.bump(&[Dependency::Viewer(viewer)]);
            self.viewer_versions.insert(viewer, version);
        }
    }

    /// Reads `key` from L2, else from the store (filling L2), with the
    /// dependencies of the value.
    async fn load(&self, key: &CacheKey) -> Result<(CachedValue, Vec<Dependency>), NoEntry> {
        #[cfg(feature = "redis")]
        if let Some(tier) = &self.l2 {
            let name = key.redis_key(&tier.config.key_prefix);
            let mut start = None;
            match tier.get(&name).await {
                Some((_, Some(bytes))) => {
                    if let Some(value) = CachedValue::decode(&bytes) {
                        add(&self.counters.l2.hits);
                        let deps = self.dependencies(key, &value).await?;
                        return Ok((value, deps));
                    }
                    add(&self.counters.l2.misses);
                }
                Some((sequence, None)) => {
                    add(&self.counters.l2.misses);
                    start = Some(sequence);
                }
                None => {}
            }
            let value = self
                .read_store(key)
                .await
                .map_err(NoEntry::Failed)?
                .ok_or(NoEntry::Absent)?;
            let deps = self.dependencies(key, &value).await?;
            if let Some(start) = start {
                tier.put(&name, &value.encode(), &deps, start, key.is_immutable())
                    .await;
            }
            return Ok((value, deps));
        }
        let value = self
            .read_store(key)
            .await
            .map_err(NoEntry::Failed)?
            .ok_or(NoEntry::Absent)?;
        let deps = self.dependencies(key, &value).await?;
        Ok((value, deps))
    }

    /// What `value`, read for `key`, depends on.
    async fn dependencies(
        &self,
        key: &CacheKey,
        value: &CachedValue,
    ) -> Result<Vec<Dependency>, NoEntry> {
        let mut deps = value.photo_dependencies();
        match key {
            CacheKey::User(_) => {}
            CacheKey::Photo { viewer, .. } => deps.push(Dependency::Viewer(*viewer)),
            CacheKey::Profile { user, viewer } => deps.extend([
                Dependency::Posts(*user),
                Dependency::Followers(*user),
                Dependency::Viewer(*user),
                Dependency::Viewer(*viewer),
            ]),
            CacheKey::Followees(user) => deps.push(Dependency::Viewer(*user)),
            CacheKey::HomeFeed { viewer, .. } => {
                deps.extend([Dependency::Viewer(*viewer), Dependency::Posts(*viewer)]);
                // Through the cache: the followee list is itself cached.
                let followees = Store::followees(self, *viewer)
                    .await
                    .map_err(NoEntry::Failed)?;
                deps.extend(followees.into_iter().map(Dependency::Posts));
            }
            CacheKey::ByAuthors {
                authors, viewer, ..
            } => {
                deps.push(Dependency::Viewer(*viewer));
                deps.extend(authors.iter().map(|author| Dependency::Posts(*author)));
            }
            CacheKey::GlobalFeed { viewer, .. } => {
                deps.extend([Dependency::Viewer(*viewer), Dependency::AllPosts]);
            }
        }
        deps.sort_unstable_by_key(|dep| dep.code());
        deps.dedup();
        Ok(deps)
    }

    /// Reads `key` from the wrapped store.
    async fn read_store(&self, key: &CacheKey) -> Result<Option<CachedValue>, StoreError> {
        add(&self.counters.store_reads);
        let inner = &self.inner;
        Ok(match key {
            CacheKey::User(id) => inner.user(*id).await?.map(CachedValue::User),
            CacheKey::Photo { photo, viewer } => {
                inner.photo(*photo, *viewer).await?.map(CachedValue::Photo)
            }
            CacheKey::Profile { user, viewer } => inner
                .profile(*user, *viewer)
                .await?
                .map(CachedValue::Profile),
            CacheKey::Followees(user) => {
                Some(CachedValue::Followees(inner.followees(*user).await?))
            }
            CacheKey::HomeFeed { viewer, page } => Some(CachedValue::page(
                inner.followed_photos(*viewer, page.request()).await?,
            )),
            CacheKey::ByAuthors {
                authors,
                viewer,
                page,
            } => Some(CachedValue::page(
                inner
                    .photos_by_authors(authors, *viewer, page.request())
                    .await?,
            )),
            CacheKey::GlobalFeed { viewer, page } => Some(CachedValue::page(
                inner.global_photos(*viewer, page.request()).await?,
            )),
        })
    }

    /// Makes every value depending on `deps` stale, here and (through
    /// Redis) in every other instance. Called after the store's commit.
    async fn invalidate(&self, deps: &[Dependency]) {
        self.table.bump(deps);
        #[cfg(feature = "redis")]
        if let Some(tier) = &self.l2 {
            tier.bump(deps).await;
        }
    }

    async fn page(&self, key: CacheKey) -> Result<FeedPage, StoreError> {
        let value = self.read(key).await?;
        Ok(value.and_then(CachedValue::into_page).unwrap_or_default())
    }
}

fn unexpected() -> StoreError {
    StoreError::Corrupt {
        what: "a cache entry of the wrong kind".to_owned(),
    }
}

#[async_trait]
impl Store for CachedStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        // Absent users are never cached: nothing to invalidate.
        self.inner.create_user(new).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        match self.read(CacheKey::User(id)).await? {
            Some(CachedValue::User(user)) => Ok(Some(user)),
            None => Ok(None),
            Some(_) => Err(unexpected()),
        }
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        // Password hashes are never cached, in any tier.
        self.inner.credentials(username).await
    }

    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        let author = new.author;
        let result = self.inner.create_photo(new).await;
        if result.is_ok() {
            self.invalidate(&[
                Dependency::Posts(author),
                Dependency::Viewer(author),
                Dependency::AllPosts,
            ])
            .await;
        }
        result
    }

    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        match self.read(CacheKey::Photo { photo: id, viewer }).await? {
            Some(CachedValue::Photo(view)) => Ok(Some(view)),
            None => Ok(None),
            Some(_) => Err(unexpected()),
        }
    }

    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        let result = self.inner.like(user, photo).await;
        // Also after a store error: the write may have committed.
        if !matches!(
            result,
            Err(LikeError::PhotoNotFound(_) | LikeError::UserNotFound(_))
        ) {
            self.invalidate(&[Dependency::Photo(photo), Dependency::Viewer(user)])
                .await;
        }
        result
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        let result = self.inner.unlike(user, photo).await;
        if !matches!(
            result,
            Err(LikeError::PhotoNotFound(_) | LikeError::UserNotFound(_))
        ) {
            self.invalidate(&[Dependency::Photo(photo), Dependency::Viewer(user)])
                .await;
        }
        result
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let result = self.inner.follow(follower, followee).await;
        if !matches!(
            result,
            Err(FollowError::SelfFollow | FollowError::UserNotFound(_))
        ) {
            self.invalidate(&[
                Dependency::Viewer(follower),
                Dependency::Followers(followee),
            ])
            .await;
        }
        result
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let result = self.inner.unfollow(follower, followee).await;
        if !matches!(
            result,
            Err(FollowError::SelfFollow | FollowError::UserNotFound(_))
        ) {
            self.invalidate(&[
                Dependency::Viewer(follower),
                Dependency::Followers(followee),
            ])
            .await;
        }
        result
    }

    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        match self.read(CacheKey::Profile { user, viewer }).await? {
            Some(CachedValue::Profile(profile)) => Ok(Some(profile)),
            None => Ok(None),
            Some(_) => Err(unexpected()),
        }
    }

    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        match self.read(CacheKey::Followees(user)).await? {
            Some(CachedValue::Followees(users)) => Ok(users),
            None => Ok(Vec::new()),
            Some(_) => Err(unexpected()),
        }
    }

    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let mut authors = authors.to_vec();
        authors.sort_unstable();
        authors.dedup();
        self.page(CacheKey::ByAuthors {
            authors,
            viewer,
            page: PageKey::of(page),
        })
        .await
    }

    async fn followed_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.page(CacheKey::HomeFeed {
            viewer,
            page: PageKey::of(page),
        })
        .await
    }

    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.page(CacheKey::GlobalFeed {
            viewer,
            page: PageKey::of(page),
        })
        .await
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner.revoke_token(token_id, expires_at).await
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        // Never cached: a revocation must hold at once.
        self.inner.is_token_revoked(token_id).await
    }

    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        // Settings hold secrets (the token key): pass through.
        self.inner.setting_or_insert(key, default).await
    }

    async fn health(&self) -> Result<(), StoreError> {
        // A Redis outage degrades speed, not health: see `redis_state`.
        self.inner.health().await
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let mut metrics = Vec::new();
        if self.l1.is_some() {
            metrics.extend(self.counters.l1_metrics());
        }
        #[cfg(feature = "redis")]
        if let Some(tier) = &self.l2 {
            metrics.extend(self.counters.l2_metrics());
            metrics.push(StoreMetric::gauge(
                "minigram_cache_l2_breaker_state",
                "The Redis circuit breaker: 0 closed, 1 open, 2 half-open.",
                tier.breaker_state().as_gauge(),
            ));
        }
        metrics.push(self.counters.store_metric());
        metrics.extend(self.inner.metrics());
        metrics
    }

    async fn close(&self) -> Result<(), StoreError> {
        if let Some(l1) = &self.l1 {
            l1.invalidate_all();
        }
        self.inner.close().await
    }
}

use crate::domain::Photo;
