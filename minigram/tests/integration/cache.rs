//! The cache tiers beyond the store contract: coalesced misses, coherence
//! between two instances sharing Redis, and a Redis outage under load.
//! Redis is real (a devcluster `redis-server`); without it these tests fail
//! with what to install.
#![cfg(all(feature = "embedded", feature = "redis"))]
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minigram::cache::{BreakerState, CacheConfig, CachedStore};
use minigram::media::MediaKey;
use minigram::store::{
    Credentials, EmbeddedConfig, EmbeddedStore, NewPhoto, NewUser, Store, StoreMetric,
};
use minigram::{
    DeletePhotoError, FeedPage, FollowError, LikeError, PageRequest, Photo, PhotoId, PhotoView,
    PostPhotoError, Profile, RegisterError, StoreError, User, UserId, Username,
};
use minigram_devcluster::RedisServer;

use crate::common::fixtures::{photo as post, user};
use crate::common::redis;

/// A store that counts the reads reaching it.
#[derive(Debug)]
struct CountingStore {
    inner: EmbeddedStore,
    reads: AtomicU64,
}

impl CountingStore {
    fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }
    fn count(&self) {
        self.reads.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Store for CountingStore {
    fn kind(&self) -> &'static str {
        "counting"
    }
    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        self.inner.create_user(new).await
    }
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.count();
        self.inner.user(id).await
    }
    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        self.inner.credentials(username).await
    }
    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        self.inner.create_photo(new).await
    }
    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError> {
        self.inner.delete_photo(photo, requester).await
    }
    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError> {
        self.inner.media_in_use(key).await
    }
    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        self.count();
        self.inner.photo(id, viewer).await
    }
    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.inner.like(user, photo).await
    }
    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.inner.unlike(user, photo).await
    }
    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        self.inner.follow(follower, followee).await
    }
    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        self.inner.unfollow(follower, followee).await
    }
    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        self.count();
        self.inner.profile(user, viewer).await
    }
    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        self.count();
        self.inner.followees(user).await
    }
    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.count();
        self.inner.photos_by_authors(authors, viewer, page).await
    }
    async fn followed_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.count();
        // Slow enough that every concurrent reader arrives while it runs.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.inner.followed_photos(viewer, page).await
    }
    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        self.count();
        self.inner.global_photos(viewer, page).await
    }
    async fn revoke_token(&self, id: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.inner.revoke_token(id, expires_at).await
    }
    async fn is_token_revoked(&self, id: &str) -> Result<bool, StoreError> {
        self.inner.is_token_revoked(id).await
    }
    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        self.inner.setting_or_insert(key, default).await
    }
    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }
    fn metrics(&self) -> Vec<StoreMetric> {
        self.inner.metrics()
    }
    async fn close(&self) -> Result<(), StoreError> {
        self.inner.close().await
    }
}

async fn counting_store(dir: &tempfile::TempDir) -> Arc<CountingStore> {
    let inner = EmbeddedStore::open(dir.path().join("db.redb"), EmbeddedConfig::default())
        .await
        .unwrap();
    Arc::new(CountingStore {
        inner,
        reads: AtomicU64::new(0),
    })
}

fn metric(store: &dyn Store, name: &str) -> f64 {
    store
        .metrics()
        .into_iter()
        .find(|metric| metric.name == name)
        .map(|metric| metric.value)
        .unwrap_or_default()
}

async fn stampede(config: CacheConfig) {
    let dir = tempfile::tempdir().unwrap();
    let counting = counting_store(&dir).await;
    let cached = Arc::new(CachedStore::new(counting.clone(), config).await.unwrap());
    let ada = user(&*cached, "ada").await;
    post(&*cached, ada, 1).await;
    let before = counting.reads();
    let readers: Vec<_> = (0..1000)
        .map(|_| {
            let cached = Arc::clone(&cached);
            tokio::spawn(async move {
                cached
                    .followed_photos(ada, PageRequest::default())
                    .await
                    .unwrap()
            })
        })
        .collect();
    for reader in readers {
        assert_eq!(reader.await.unwrap().items.len(), 1);
    }
    let feed_reads = counting.reads() - before;
    // One feed read, plus one followee read for the page's dependencies.
    assert!(
        feed_reads <= 2,
        "1,000 concurrent misses made {feed_reads} store reads"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_misses_make_one_feed_read_in_memory_tier() {
    stampede(CacheConfig::memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_misses_make_one_feed_read_tiered() {
    let server = redis::shared().await;
    stampede(redis::tiered(&server.url(), &redis::fresh_prefix())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_like_through_one_instance_is_seen_through_the_other() {
    let server = redis::shared().await;
    let prefix = redis::fresh_prefix();
    let dir = tempfile::tempdir().unwrap();
    let store = counting_store(&dir).await;
    let a = CachedStore::new(store.clone(), redis::tiered(&server.url(), &prefix))
        .await
        .unwrap();
    let b = CachedStore::new(store.clone(), redis::tiered(&server.url(), &prefix))
        .await
        .unwrap();
    let ada = user(&a, "ada").await;
    let bob = user(&a, "bob").await;
    a.follow(bob, ada).await.unwrap();
    let photo = post(&a, ada, 1).await;
    // Both instances cache both users' views.
    for instance in [&a, &b] {
        for viewer in [ada, bob] {
            let feed = instance
                .followed_photos(viewer, PageRequest::default())
                .await
                .unwrap();
            assert_eq!(feed.items[0].photo.like_count, 0);
        }
    }
    let reads = store.reads();
    assert_eq!(
        b.followed_photos(bob, PageRequest::default())
            .await
            .unwrap()
            .items[0]
            .photo
            .like_count,
        0
    );
    assert_eq!(store.reads(), reads, "the second read is a hit");

    // Bob likes through A and reads through B at once: read-your-writes.
    a.like(bob, photo).await.unwrap();
    let bobs = b
        .followed_photos(bob, PageRequest::default())
        .await
        .unwrap();
    assert!(bobs.items[0].liked_by_viewer);
    assert_eq!(bobs.items[0].photo.like_count, 1);
    assert_eq!(
        b.photo(photo, bob).await.unwrap().unwrap().photo.like_count,
        1
    );

    // Ada sees it through B within the pub/sub delay (documented bound:
    // milliseconds while Redis is up).
    let started = Instant::now();
    loop {
        let adas = b
            .followed_photos(ada, PageRequest::default())
            .await
            .unwrap();
        if adas.items[0].photo.like_count == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "ada still sees the old like count through B"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Follows and posts too: bob unfollows through B, reads through A.
    b.unfollow(bob, ada).await.unwrap();
    assert!(
        a.followed_photos(bob, PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(metric(&b, "minigram_cache_l2_remote_invalidations_total") > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_outage_under_load_fails_no_call_and_hits_recover() {
    // A server of its own: this test kills it.
    let server = RedisServer::start_new()
        .await
        .unwrap_or_else(|e| panic!("this test needs Redis and it could not be started: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let store = counting_store(&dir).await;
    let cached = Arc::new(
        CachedStore::new(store.clone(), redis::redis_only(&server.url(), "outage:"))
            .await
            .unwrap(),
    );
    let mut users = Vec::new();
    for n in 0..10 {
        users.push(user(&*cached, &format!("user{n}")).await);
    }
    let mut photos = Vec::new();
    for (n, author) in users.iter().enumerate() {
        photos.push(post(&*cached, *author, n as u64).await);
    }
    let failures = Arc::new(AtomicU64::new(0));
    let calls = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let (cached, users, photos) = (cached.clone(), users.clone(), photos.clone());
            let (failures, calls, stop) = (failures.clone(), calls.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = worker;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let viewer = users[i % users.len()];
                    let ok = if i % 10 == 0 {
                        cached.like(viewer, photos[i % photos.len()]).await.is_ok()
                    } else {
                        cached
                            .global_photos(viewer, PageRequest::default())
                            .await
                            .is_ok()
                    };
                    calls.fetch_add(1, Ordering::Relaxed);
                    if !ok {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hits_before = metric(&*cached, "minigram_cache_l2_hits_total");
    assert!(hits_before > 0.0, "Redis answered before the outage");

    server.stop().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(cached.redis_state(), Some(BreakerState::Open));
    let hits_during = metric(&*cached, "minigram_cache_l2_hits_total");

    server.start().await.unwrap();
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if metric(&*cached, "minigram_cache_l2_hits_total") > hits_during + 50.0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "hits did not recover after Redis came back"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(cached.redis_state(), Some(BreakerState::Closed));
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "of {} calls",
        calls.load(Ordering::Relaxed)
    );
    assert!(metric(&*cached, "minigram_cache_l2_errors_total") > 0.0);
}
