//! Inactive users (`MinigramBuilder::inactive_after`) on every store that
//! keeps timelines: a follower not seen for the inactivity period loses
//! their timeline at the next fan-out instead of being written to, is
//! served by pull when they come back while it is rebuilt, and then reads
//! from it again; an active follower keeps theirs throughout.

use std::time::{Duration, Instant};

use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::{MemoryStore, Store};
use minigram::{Caption, Minigram, PageRequest, UserId};

use crate::common::facade::{assert_home_is_pull, register};
use crate::common::fixtures::png;

/// Long enough that a follower marked active stays so through a post and
/// its drain on a loaded CI machine.
const INACTIVE_AFTER: Duration = Duration::from_millis(2_000);

async fn build(store: impl Store + 'static, dir: &tempfile::TempDir) -> Minigram {
    Minigram::builder()
        .store(store)
        .media_dir(dir.path().join("media"))
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .feed(FeedStrategy::Push)
        .inactive_after(Some(INACTIVE_AFTER))
        .build()
        .await
        .unwrap()
}

async fn has_timeline(app: &Minigram, user: UserId) -> bool {
    app.store()
        .timeline(user, PageRequest::default())
        .await
        .unwrap()
        .is_some()
}

async fn inactive_followers_lose_their_timeline_until_they_return(app: Minigram) {
    let author = register(&app, "author").await;
    let active = register(&app, "active").await;
    let idle = register(&app, "idle").await;
    for follower in [active, idle] {
        app.follow(follower, author).await.unwrap();
    }
    app.post_photo(author, Caption::parse("one").unwrap(), png(1, 1))
        .await
        .unwrap();
    app.drain_fanout().await.unwrap();
    assert!(has_timeline(&app, idle).await && has_timeline(&app, active).await);

    tokio::time::sleep(INACTIVE_AFTER + Duration::from_millis(200)).await;
    // Only `active` comes back before the next post.
    assert_home_is_pull(&app, active).await;
    app.post_photo(author, Caption::parse("two").unwrap(), png(2, 1))
        .await
        .unwrap();
    app.drain_fanout().await.unwrap();
    assert!(
        has_timeline(&app, active).await,
        "an active follower lost their timeline"
    );
    assert!(
        !has_timeline(&app, idle).await,
        "an inactive follower's timeline was kept"
    );

    let metrics = app.fanout_metrics().unwrap().clone();
    let hits = metrics.timeline_hits();
    // Back: served by pull (both photos) while the timeline is rebuilt.
    assert_home_is_pull(&app, idle).await;
    assert_eq!(
        metrics.timeline_hits(),
        hits,
        "read from a dropped timeline"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !has_timeline(&app, idle).await {
        assert!(
            Instant::now() < deadline,
            "the timeline was not rebuilt in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_home_is_pull(&app, idle).await;
    assert_eq!(
        metrics.timeline_hits(),
        hits + 1,
        "not read from the rebuilt timeline"
    );
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory() {
    let dir = tempfile::tempdir().unwrap();
    inactive_followers_lose_their_timeline_until_they_return(build(MemoryStore::new(), &dir).await)
        .await;
}

#[cfg(feature = "embedded")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded() {
    use minigram::store::{EmbeddedConfig, EmbeddedStore};
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path().join("minigram.redb"), EmbeddedConfig::default())
        .await
        .unwrap();
    inactive_followers_lose_their_timeline_until_they_return(build(store, &dir).await).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    use crate::common::pg_cluster;
    let cluster = pg_cluster::shared().await;
    let database = cluster.fresh_database().await.unwrap();
    let store = minigram::store::PostgresStore::connect(
        &cluster.cluster().primary_url(&database),
        pg_cluster::small_pool(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    inactive_followers_lose_their_timeline_until_they_return(build(store, &dir).await).await;
}

/// PostgreSQL with the timelines in Redis: a dropped timeline is deleted
/// from Redis in the fan-out batch's transaction.
#[cfg(all(feature = "postgres", feature = "redis"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_redis() {
    use crate::common::{pg_cluster, redis};
    let cluster = pg_cluster::shared().await;
    let database = cluster.fresh_database().await.unwrap();
    let server = redis::shared().await;
    let config = minigram::store::PostgresConfig {
        redis_timelines: Some(
            minigram::store::RedisTimelines::new(&server.url(), &redis::fresh_prefix()).unwrap(),
        ),
        ..pg_cluster::small_pool()
    };
    let store =
        minigram::store::PostgresStore::connect(&cluster.cluster().primary_url(&database), config)
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    inactive_followers_lose_their_timeline_until_they_return(build(store, &dir).await).await;
}
