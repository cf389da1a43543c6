//! [`CachedStore`]'s [`Store`] methods: reads through the tiers, writes
//! through to the wrapped store followed by invalidation.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::cache_key::{CacheKey, PageKey};
use super::cached_store::CachedStore;
use super::cached_value::CachedValue;
use super::dependency::Dependency;
use super::read_path::unexpected;
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::media::MediaKey;
use crate::store::{
    Credentials, FanoutJob, FanoutProgress, NewPhoto, NewUser, Store, StoreMetric,
    TimelineSettings, TimelineSlice,
};

/// A like or unlike the store turned down without changing anything.
fn like_refused(error: &LikeError) -> bool {
    matches!(
        error,
        LikeError::PhotoNotFound(_) | LikeError::UserNotFound(_)
    )
}

/// A follow or unfollow the store turned down without changing anything.
fn follow_refused(error: &FollowError) -> bool {
    matches!(
        error,
        FollowError::SelfFollow | FollowError::UserNotFound(_)
    )
}

/// What a like or unlike changes: the photo's count and the liker's view.
fn like_deps(user: UserId, photo: PhotoId) -> [Dependency; 2] {
    [Dependency::Photo(photo), Dependency::Viewer(user)]
}

/// What a follow or unfollow changes: the follower's feed and followee
/// list, the followee's follower count.
fn follow_deps(follower: UserId, followee: UserId) -> [Dependency; 2] {
    [
        Dependency::Viewer(follower),
        Dependency::Followers(followee),
    ]
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
        // Invalidated only once the photo exists (as before a like's).
        self.invalidate_unless_refused(
            result,
            |_| true,
            &[
                Dependency::Posts(author),
                Dependency::Viewer(author),
                Dependency::AllPosts,
            ],
        )
        .await
    }

    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError> {
        let result = self.inner.delete_photo(photo, requester).await;
        // The views of the photo (every viewer's, through its like-count
        // dependency), the feeds holding it (its author's posts, the global
        // feed) and the author's photo count. A storage failure may have
        // deleted it: invalidate then too (the author is the requester, as
        // only the author's delete goes through).
        self.invalidate_unless_refused(
            result,
            |e| {
                matches!(
                    e,
                    DeletePhotoError::PhotoNotFound(_) | DeletePhotoError::NotAuthor { .. }
                )
            },
            &[
                Dependency::Photo(photo),
                Dependency::Posts(requester),
                Dependency::Viewer(requester),
                Dependency::AllPosts,
            ],
        )
        .await
    }

    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError> {
        // Never cached: it decides whether a file may be deleted.
        self.inner.media_in_use(key).await
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
        self.invalidate_unless_refused(result, like_refused, &like_deps(user, photo))
            .await
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        let result = self.inner.unlike(user, photo).await;
        self.invalidate_unless_refused(result, like_refused, &like_deps(user, photo))
            .await
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let result = self.inner.follow(follower, followee).await;
        self.invalidate_unless_refused(result, follow_refused, &follow_deps(follower, followee))
            .await
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let result = self.inner.unfollow(follower, followee).await;
        self.invalidate_unless_refused(result, follow_refused, &follow_deps(follower, followee))
            .await
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

    // Timelines and the fan-out queue pass through uncached: a timeline is
    // already a cache, and the queue must be read where it is written.
    fn enable_timelines(&self, settings: TimelineSettings) -> Result<(), StoreError> {
        self.inner.enable_timelines(settings)
    }

    fn timeline_settings(&self) -> Option<TimelineSettings> {
        self.inner.timeline_settings()
    }

    async fn claim_fanout_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        self.inner.claim_fanout_job(lease).await
    }

    async fn fan_out(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
    ) -> Result<FanoutProgress, StoreError> {
        self.inner.fan_out(job, batch, lease).await
    }

    async fn fanout_queue_depth(&self) -> Result<u64, StoreError> {
        self.inner.fanout_queue_depth().await
    }

    async fn timeline(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        self.inner.timeline(user, page).await
    }

    async fn rebuild_timeline(&self, user: UserId) -> Result<(), StoreError> {
        self.inner.rebuild_timeline(user).await
    }

    async fn mark_active(&self, user: UserId) -> Result<(), StoreError> {
        self.inner.mark_active(user).await
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
