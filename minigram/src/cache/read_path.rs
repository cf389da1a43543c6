//! The read path of [`CachedStore`]: L1, then L2, then the store, with the
//! dependencies each value is stamped with.

use std::sync::Arc;

use super::cache_counters::add;
use super::cache_key::CacheKey;
use super::cached_store::CachedStore;
use super::cached_value::{CachedValue, Entry};
use super::dependency::Dependency;
#[cfg(feature = "redis")]
use super::redis_tier::RedisTier;
use crate::domain::FeedPage;
#[cfg(feature = "redis")]
use crate::domain::UserId;
use crate::error::StoreError;
use crate::store::Store;

/// Why a cached read produced no entry.
#[derive(Debug, Clone)]
enum NoEntry {
    /// The store answered `None`: nothing to cache.
    Absent,
    Failed(StoreError),
}

/// Attempts at a current L1 entry before reading the store directly (only
/// reached when writes keep invalidating the key).
const ATTEMPTS: usize = 3;

impl CachedStore {
    /// Answers `key` through the tiers; `None` when the store has nothing.
    pub(super) async fn read(&self, key: CacheKey) -> Result<Option<CachedValue>, StoreError> {
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

    pub(super) async fn page(&self, key: CacheKey) -> Result<FeedPage, StoreError> {
        let value = self.read(key).await?;
        Ok(value.and_then(CachedValue::into_page).unwrap_or_default())
    }
}

/// The error for a cached value of another kind than its key asks for.
pub(super) fn unexpected() -> StoreError {
    StoreError::Corrupt {
        what: "a cache entry of the wrong kind".to_owned(),
    }
}
