use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Credentials, FanoutJob, FanoutProgress, NewPhoto, NewUser, Store, StoreMetric,
    TimelineSettings, TimelineSlice,
};
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::media::MediaKey;

/// A [`Store`] that counts the operations asked of the store it wraps and
/// otherwise passes every call through unchanged.
///
/// An operation is one call of a data method of the trait: a read or a
/// write, successful or not. Not counted: [`Store::health`] (probes are not
/// the application's work), [`Store::kind`], [`Store::metrics`] and
/// [`Store::close`]. One operation may be several SQL statements or one
/// write batch shared with others, so this counts what the application
/// asked of its storage, not what the database executed.
///
/// Put it directly around the real store, beneath any
/// [`CachedStore`](crate::cache::CachedStore): reads the cache answers then
/// never reach it and are not counted. The count is reported by
/// [`Store::metrics`] as [`OPERATIONS_METRIC`](Self::OPERATIONS_METRIC),
/// after the wrapped store's own metrics.
#[derive(Debug)]
pub struct CountingStore {
    inner: Arc<dyn Store>,
    /// Only grows. Relaxed: a figure for reports, ordering nothing else.
    operations: AtomicU64,
}

impl CountingStore {
    /// The name of the counter [`Store::metrics`] adds.
    pub const OPERATIONS_METRIC: &'static str = "minigram_store_operations_total";

    /// Counts the operations asked of `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            operations: AtomicU64::new(0),
        }
    }

    /// Operations asked of the wrapped store so far.
    pub fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    /// The wrapped store, counting one operation.
    fn counted(&self) -> &dyn Store {
        self.operations.fetch_add(1, Ordering::Relaxed);
        self.inner.as_ref()
    }
}

#[async_trait]
impl Store for CountingStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        self.counted().create_user(new).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.counted().user(id).await
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        self.counted().credentials(username).await
    }

    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        self.counted().create_photo(new).await
    }

    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError> {
        self.counted().delete_photo(photo, requester).await
    }

    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError> {
        self.counted().media_in_use(key).await
    }

    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        self.counted().photo(id, viewer).await
    }

    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.counted().like(user, photo).await
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.counted().unlike(user, photo).await
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        self.counted().follow(follower, followee).await
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        self.counted().unfollow(follower, followee).await
    }

    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        self.counted().profile(user, viewer).await
    }

    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        self.counted().followees(user).await
    }

    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.counted()
            .photos_by_authors(authors, viewer, page)
            .await
    }

    // Passed through, not left to the trait's default: that would split the
    // call into `followees` + `photos_by_authors` and lose the wrapped
    // store's one-snapshot answer.
    async fn followed_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.counted().followed_photos(viewer, page).await
    }

    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.counted().global_photos(viewer, page).await
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.counted().revoke_token(token_id, expires_at).await
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        self.counted().is_token_revoked(token_id).await
    }

    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        self.counted().setting_or_insert(key, default).await
    }

    fn enable_timelines(&self, settings: TimelineSettings) -> Result<(), StoreError> {
        self.inner.enable_timelines(settings)
    }

    fn timeline_settings(&self) -> Option<TimelineSettings> {
        self.inner.timeline_settings()
    }

    async fn claim_fanout_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        self.counted().claim_fanout_job(lease).await
    }

    async fn fan_out(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
    ) -> Result<FanoutProgress, StoreError> {
        self.counted().fan_out(job, batch, lease).await
    }

    async fn fanout_queue_depth(&self) -> Result<u64, StoreError> {
        self.counted().fanout_queue_depth().await
    }

    async fn timeline(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        self.counted().timeline(user, page).await
    }

    async fn rebuild_timeline(&self, user: UserId) -> Result<(), StoreError> {
        self.counted().rebuild_timeline(user).await
    }

    async fn mark_active(&self, user: UserId) -> Result<(), StoreError> {
        self.counted().mark_active(user).await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let mut metrics = self.inner.metrics();
        metrics.push(StoreMetric::counter(
            Self::OPERATIONS_METRIC,
            "Store operations (reads and writes) asked of the store beneath any cache.",
            self.operations(),
        ));
        metrics
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.inner.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn reads_and_writes_are_counted_probes_are_not() {
        let store = CountingStore::new(Arc::new(MemoryStore::new()));
        assert_eq!(store.kind(), "memory");
        let user = store
            .create_user(NewUser {
                username: Username::parse("ada").expect("valid"),
                email: Email::parse("ada@example.com").expect("valid"),
                password_hash: "phc".into(),
                created_at: Utc::now(),
            })
            .await
            .expect("creates");
        assert!(store.user(user.id).await.expect("reads").is_some());
        // A refused operation is still one asked of the store.
        assert!(store.follow(user.id, user.id).await.is_err());
        store.health().await.expect("healthy");
        assert_eq!(store.operations(), 3);
        let reported = store
            .metrics()
            .into_iter()
            .find(|m| m.name == CountingStore::OPERATIONS_METRIC)
            .map(|m| m.value);
        assert_eq!(reported, Some(3.0));
    }
}
