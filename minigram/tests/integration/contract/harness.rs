use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::MemoryStore;
#[cfg(feature = "embedded")]
use minigram::store::{EmbeddedConfig, EmbeddedStore};
use minigram::{Caption, Email, Minigram, Password, Photo, Session, UserId, Username};
use tempfile::TempDir;

#[cfg(feature = "postgres")]
use crate::common::pg_cluster;
#[cfg(all(feature = "redis", any(feature = "embedded", feature = "postgres")))]
use crate::common::redis;

/// Timeline cap of the push and hybrid backends: small, so the tests page
/// past it (into the pull fallback) and trim constantly.
pub const TEST_TIMELINE_CAP: usize = 6;
/// Followers per fan-out batch: small, so jobs take several batches.
const TEST_FANOUT_BATCH: usize = 3;
/// Hybrid threshold of the hybrid backends: low, so ordinary tests cross it.
pub const TEST_CELEBRITY_FOLLOWERS: u64 = 3;

fn hybrid() -> FeedStrategy {
    FeedStrategy::Hybrid {
        celebrity_followers: TEST_CELEBRITY_FOLLOWERS,
    }
}

/// A fresh minigram over one backend, with helpers to make users and photos.
pub struct Harness {
    pub app: Minigram,
    _dir: TempDir,
}

impl Harness {
    /// A facade over `store` with `feed`, its media in `dir`.
    async fn build(
        store: impl minigram::store::Store + 'static,
        dir: TempDir,
        feed: FeedStrategy,
    ) -> Self {
        let app = Minigram::builder()
            .store(store)
            .media_dir(dir.path().join("media"))
            .unwrap()
            .hasher(HasherConfig::insecure_fast_for_tests())
            .feed(feed)
            .timeline_cap(TEST_TIMELINE_CAP)
            .fanout_batch(TEST_FANOUT_BATCH)
            .build()
            .await
            .unwrap();
        Self { app, _dir: dir }
    }

    pub async fn memory() -> Self {
        Self::build(
            MemoryStore::new(),
            tempfile::tempdir().unwrap(),
            FeedStrategy::Pull,
        )
        .await
    }

    pub async fn memory_push() -> Self {
        Self::build(
            MemoryStore::new(),
            tempfile::tempdir().unwrap(),
            FeedStrategy::Push,
        )
        .await
    }

    pub async fn memory_hybrid() -> Self {
        Self::build(MemoryStore::new(), tempfile::tempdir().unwrap(), hybrid()).await
    }

    #[cfg(feature = "embedded")]
    async fn embedded_with(feed: FeedStrategy) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store =
            EmbeddedStore::open(dir.path().join("minigram.redb"), EmbeddedConfig::default())
                .await
                .unwrap();
        Self::build(store, dir, feed).await
    }

    #[cfg(feature = "embedded")]
    pub async fn embedded() -> Self {
        Self::embedded_with(FeedStrategy::Pull).await
    }

    #[cfg(feature = "embedded")]
    pub async fn embedded_push() -> Self {
        Self::embedded_with(FeedStrategy::Push).await
    }

    #[cfg(feature = "embedded")]
    pub async fn embedded_hybrid() -> Self {
        Self::embedded_with(hybrid()).await
    }

    /// Hybrid over both cache tiers over a fresh embedded store.
    #[cfg(all(feature = "embedded", feature = "redis"))]
    pub async fn embedded_tiered_hybrid() -> Self {
        let server = redis::shared().await;
        Self::cached_embedded_with(
            redis::tiered(&server.url(), &redis::fresh_prefix()),
            hybrid(),
        )
        .await
    }

    /// Lets every queued fan-out job apply (a no-op under pull), as a
    /// reader would see after the workers caught up.
    pub async fn settle(&self) {
        self.app.drain_fanout().await.unwrap();
    }

    /// The in-process cache tier over a fresh embedded store.
    #[cfg(all(feature = "embedded", feature = "moka"))]
    pub async fn embedded_l1() -> Self {
        Self::cached_embedded(minigram::cache::CacheConfig::memory()).await
    }

    /// The Redis tier alone over a fresh embedded store.
    #[cfg(all(feature = "embedded", feature = "redis"))]
    pub async fn embedded_l2() -> Self {
        let server = redis::shared().await;
        Self::cached_embedded(redis::redis_only(&server.url(), &redis::fresh_prefix())).await
    }

    /// Both tiers over a fresh embedded store.
    #[cfg(all(feature = "embedded", feature = "redis"))]
    pub async fn embedded_tiered() -> Self {
        let server = redis::shared().await;
        Self::cached_embedded(redis::tiered(&server.url(), &redis::fresh_prefix())).await
    }

    /// Both tiers over a [`PostgresStore`](minigram::store::PostgresStore).
    #[cfg(all(feature = "postgres", feature = "redis"))]
    pub async fn postgres_tiered() -> Self {
        let cluster = pg_cluster::shared().await;
        let database = cluster.fresh_database().await.unwrap();
        let store = minigram::store::PostgresStore::connect(
            &cluster.cluster().primary_url(&database),
            pg_cluster::small_pool(),
        )
        .await
        .unwrap();
        let server = redis::shared().await;
        let cached = minigram::cache::CachedStore::new(
            std::sync::Arc::new(store),
            redis::tiered(&server.url(), &redis::fresh_prefix()),
        )
        .await
        .unwrap();
        Self::over(cached).await
    }

    #[cfg(all(feature = "embedded", feature = "moka"))]
    async fn cached_embedded(config: minigram::cache::CacheConfig) -> Self {
        Self::cached_embedded_with(config, FeedStrategy::Pull).await
    }

    #[cfg(all(feature = "embedded", feature = "moka"))]
    async fn cached_embedded_with(
        config: minigram::cache::CacheConfig,
        feed: FeedStrategy,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store =
            EmbeddedStore::open(dir.path().join("minigram.redb"), EmbeddedConfig::default())
                .await
                .unwrap();
        let cached = minigram::cache::CachedStore::new(std::sync::Arc::new(store), config)
            .await
            .unwrap();
        Self::build(cached, dir, feed).await
    }

    /// A [`PostgresStore`](minigram::store::PostgresStore) on a fresh
    /// database of the shared dev cluster's primary.
    #[cfg(feature = "postgres")]
    pub async fn postgres() -> Self {
        Self::postgres_with(FeedStrategy::Pull).await
    }

    /// Push over a fresh PostgreSQL database (timelines and the queue in
    /// PostgreSQL tables).
    #[cfg(feature = "postgres")]
    pub async fn postgres_push() -> Self {
        Self::postgres_with(FeedStrategy::Push).await
    }

    #[cfg(feature = "postgres")]
    pub async fn postgres_hybrid() -> Self {
        Self::postgres_with(hybrid()).await
    }

    #[cfg(feature = "postgres")]
    async fn postgres_with(feed: FeedStrategy) -> Self {
        Self::postgres_pool(feed, pg_cluster::small_pool()).await
    }

    #[cfg(feature = "postgres")]
    async fn postgres_pool(feed: FeedStrategy, pool: minigram::store::PostgresConfig) -> Self {
        let cluster = pg_cluster::shared().await;
        let database = cluster.fresh_database().await.unwrap();
        let store = minigram::store::PostgresStore::connect(
            &cluster.cluster().primary_url(&database),
            pool,
        )
        .await
        .unwrap();
        Self::build(store, tempfile::tempdir().unwrap(), feed).await
    }

    /// Push over a fresh PostgreSQL database with the timelines in Redis
    /// sorted sets (under a fresh key prefix of the shared redis-server).
    #[cfg(all(feature = "postgres", feature = "redis"))]
    pub async fn postgres_redis_push() -> Self {
        Self::postgres_pool(FeedStrategy::Push, redis_timeline_pool().await).await
    }

    #[cfg(all(feature = "postgres", feature = "redis"))]
    pub async fn postgres_redis_hybrid() -> Self {
        Self::postgres_pool(hybrid(), redis_timeline_pool().await).await
    }

    /// Hybrid through the replica router with Redis timelines: the
    /// replicas hydrate and filter what Redis holds.
    #[cfg(all(feature = "postgres", feature = "redis"))]
    pub async fn postgres_router_redis_hybrid() -> Self {
        Self::postgres_router_pool(hybrid(), redis_timeline_pool().await).await
    }

    /// A [`ReplicaRouter`](minigram::store::ReplicaRouter) over the
    /// shared dev cluster's primary and two replicas, on a fresh database,
    /// with the `Store` contract's visibility rule
    /// (`ReadConsistency::AllWritesThroughThisRouter`).
    #[cfg(feature = "postgres")]
    pub async fn postgres_router() -> Self {
        Self::postgres_router_with(FeedStrategy::Pull).await
    }

    /// Hybrid through the replica router: timeline reads on replicas,
    /// fan-out on the primary.
    #[cfg(feature = "postgres")]
    pub async fn postgres_router_hybrid() -> Self {
        Self::postgres_router_with(hybrid()).await
    }

    #[cfg(feature = "postgres")]
    async fn postgres_router_with(feed: FeedStrategy) -> Self {
        Self::postgres_router_pool(feed, pg_cluster::small_pool()).await
    }

    #[cfg(feature = "postgres")]
    async fn postgres_router_pool(
        feed: FeedStrategy,
        pool: minigram::store::PostgresConfig,
    ) -> Self {
        use minigram::store::{ReadConsistency, ReplicaRouter, RouterConfig};
        let cluster = pg_cluster::shared().await;
        let database = cluster.fresh_database().await.unwrap();
        let router = ReplicaRouter::connect(
            &cluster.cluster().primary_url(&database),
            &cluster.cluster().replica_urls(&database),
            RouterConfig {
                consistency: ReadConsistency::AllWritesThroughThisRouter,
                pool,
                ..RouterConfig::default()
            },
        )
        .await
        .unwrap();
        Self::build(router, tempfile::tempdir().unwrap(), feed).await
    }

    /// A [`ReplicaRouter`](minigram::store::ReplicaRouter) following the
    /// shared Patroni cluster (leader + two synchronous/asynchronous
    /// replicas found through its REST API), on a fresh database, with the
    /// contract's visibility rule.
    #[cfg(feature = "postgres")]
    pub async fn postgres_ha() -> Self {
        use crate::common::ha_cluster;
        use minigram::store::{ReadConsistency, ReplicaRouter, RouterConfig};
        let cluster = ha_cluster::shared().await;
        let database = ha_cluster::fresh_database().await;
        let router = ReplicaRouter::connect_patroni(
            &cluster.patroni_urls(),
            &cluster.multi_host_url(&database),
            RouterConfig {
                consistency: ReadConsistency::AllWritesThroughThisRouter,
                pool: pg_cluster::small_pool(),
                ..RouterConfig::default()
            },
        )
        .await
        .unwrap();
        Self::over(router).await
    }

    #[cfg(feature = "postgres")]
    async fn over(store: impl minigram::store::Store + 'static) -> Self {
        Self::build(store, tempfile::tempdir().unwrap(), FeedStrategy::Pull).await
    }

    pub async fn close(&self) {
        self.app.close().await.unwrap();
    }

    /// Registers `name` with a derived email and the password `password123`.
    pub async fn register(&self, name: &str) -> Session {
        self.app
            .register(
                Username::parse(name).unwrap(),
                Email::parse(&format!("{name}@example.com")).unwrap(),
                Password::parse("password123").unwrap(),
            )
            .await
            .unwrap()
    }

    pub async fn user(&self, name: &str) -> UserId {
        self.register(name).await.user.id
    }

    /// Posts a 7×5 PNG: every photo posted this way shares one media key.
    pub async fn post(&self, author: UserId, caption: &str) -> Photo {
        self.app
            .post_photo(author, Caption::parse(caption).unwrap(), png(7, 5))
            .await
            .unwrap()
    }
}

pub use crate::common::fixtures::png;

/// A small pool whose push/hybrid timelines live in the shared
/// redis-server, under a key prefix no other test uses.
#[cfg(all(feature = "postgres", feature = "redis"))]
async fn redis_timeline_pool() -> minigram::store::PostgresConfig {
    let server = redis::shared().await;
    minigram::store::PostgresConfig {
        redis_timelines: Some(
            minigram::store::RedisTimelines::new(&server.url(), &redis::fresh_prefix()).unwrap(),
        ),
        ..pg_cluster::small_pool()
    }
}
