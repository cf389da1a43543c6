//! PostgreSQL with its push timelines in Redis sorted sets
//! (`PostgresConfig::redis_timelines`), beyond the store contract (which
//! runs on it too): the entries really are in Redis under per-user keys
//! with a hash tag, a Redis that lost its data costs rebuilds but no post,
//! and a dead Redis degrades reads to pull, keeps posts queued and refuses
//! follows with a clear error until it is back.

use std::time::{Duration, Instant};

use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::{PostgresConfig, PostgresStore, RedisTimelines};
use minigram::{Caption, Minigram, PageRequest, StoreError, UserId};
use minigram_devcluster::RedisServer;

use crate::common::facade::{assert_home_is_pull, register};
use crate::common::fixtures::png;
use crate::common::{pg_cluster, redis as shared_redis};

/// Timeline cap 5; no workers (tests drain); claims last `lease`.
async fn app_on(redis_url: &str, prefix: &str, lease: Duration) -> (Minigram, tempfile::TempDir) {
    let cluster = pg_cluster::shared().await;
    let database = cluster.fresh_database().await.unwrap();
    let config = PostgresConfig {
        redis_timelines: Some(RedisTimelines::new(redis_url, prefix).unwrap()),
        ..pg_cluster::small_pool()
    };
    let store = PostgresStore::connect(&cluster.cluster().primary_url(&database), config)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Minigram::builder()
        .store(store)
        .media_dir(dir.path().join("media"))
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .feed(FeedStrategy::Push)
        .timeline_cap(5)
        .fanout_workers(0)
        .fanout_lease(lease)
        .build()
        .await
        .unwrap();
    (app, dir)
}

async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The photo ids in `user`'s Redis timeline, oldest first.
async fn entries(url: &str, prefix: &str, user: UserId) -> Vec<u64> {
    let mut connection = redis_connection(url).await;
    redis::cmd("ZRANGE")
        .arg(format!("{prefix}tl:{{{user}}}"))
        .arg(0)
        .arg(-1)
        .query_async(&mut connection)
        .await
        .unwrap()
}

async fn post(app: &Minigram, author: UserId, n: u32) -> u64 {
    app.post_photo(
        author,
        Caption::parse(&format!("photo {n}")).unwrap(),
        png(n, 1),
    )
    .await
    .unwrap()
    .id
    .get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_writes_capped_sorted_sets_and_a_flushed_redis_loses_no_post() {
    let server = shared_redis::shared().await;
    let (url, prefix) = (server.url(), shared_redis::fresh_prefix());
    let (app, _dir) = app_on(&url, &prefix, Duration::from_secs(30)).await;
    let author = register(&app, "author").await;
    let reader = register(&app, "reader").await;
    app.follow(reader, author).await.unwrap();
    let mut posted = Vec::new();
    for n in 1..=7 {
        posted.push(post(&app, author, n).await);
    }
    app.drain_fanout().await.unwrap();
    // Capped at 5, newest kept.
    assert_eq!(entries(&url, &prefix, reader).await, posted[2..].to_vec());
    let hits = app.fanout_metrics().unwrap().timeline_hits();
    assert_home_is_pull(&app, reader).await;
    assert_eq!(app.fanout_metrics().unwrap().timeline_hits(), hits + 1);

    // Redis loses everything (a restart without persistence).
    let mut connection = redis_connection(&url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    redis::cmd("DEL")
        .arg(&keys)
        .query_async::<()>(&mut connection)
        .await
        .unwrap();
    // Served by pull, rebuilt in the background, then read from Redis again.
    assert_home_is_pull(&app, reader).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while entries(&url, &prefix, reader).await.is_empty() {
        assert!(Instant::now() < deadline, "not rebuilt within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(entries(&url, &prefix, reader).await, posted[2..].to_vec());
    let hits = app.fanout_metrics().unwrap().timeline_hits();
    assert_home_is_pull(&app, reader).await;
    assert_eq!(app.fanout_metrics().unwrap().timeline_hits(), hits + 1);

    // An unfollow and a delete clean the entries up after they commit.
    app.delete_photo(author, minigram::PhotoId::new(posted[6]).unwrap())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while entries(&url, &prefix, reader).await.contains(&posted[6]) {
        assert!(
            Instant::now() < deadline,
            "the deleted photo stayed in Redis"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_home_is_pull(&app, reader).await;
    app.unfollow(reader, author).await.unwrap();
    assert_eq!(entries(&url, &prefix, reader).await, Vec::<u64>::new());
    assert_home_is_pull(&app, reader).await;
    app.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_degrades_reads_to_pull_and_loses_nothing() {
    let server = RedisServer::start_new()
        .await
        .unwrap_or_else(|e| panic!("this test needs Redis and it could not be started: {e}"));
    let (url, prefix) = (server.url(), shared_redis::fresh_prefix());
    // A failed batch keeps its claim until the lease runs out: short here.
    let (app, _dir) = app_on(&url, &prefix, Duration::from_millis(300)).await;
    let author = register(&app, "author").await;
    let reader = register(&app, "reader").await;
    let other = register(&app, "other").await;
    app.follow(reader, author).await.unwrap();
    post(&app, author, 1).await;
    app.drain_fanout().await.unwrap();

    server.stop().await;
    // Posting needs only PostgreSQL: the job waits in its queue.
    let second = post(&app, author, 2).await;
    assert_eq!(app.store().fanout_queue_depth().await.unwrap(), 1);
    // Reads fall back to pull, which already shows the new photo.
    assert_home_is_pull(&app, reader).await;
    let home = app.home_feed(reader, PageRequest::default()).await.unwrap();
    assert_eq!(home.items[0].photo.id.get(), second);
    // A follow would change a timeline it cannot reach: refused, not made.
    match app.follow(reader, other).await {
        Err(minigram::FollowError::Store(StoreError::Unavailable { reason })) => {
            assert!(reason.contains("timeline Redis"), "{reason}");
        }
        other => panic!("a follow with Redis down gave {other:?}"),
    }
    let followees = app.store().followees(reader).await.unwrap();
    assert_eq!(followees, vec![author]);
    // Fan-out fails and keeps the job.
    assert!(app.drain_fanout().await.is_err());
    assert_eq!(app.store().fanout_queue_depth().await.unwrap(), 1);

    // Back, empty: the queue drains and the reader's timeline is rebuilt.
    server.start().await.unwrap();
    app.drain_fanout().await.unwrap();
    assert_eq!(app.store().fanout_queue_depth().await.unwrap(), 0);
    assert_home_is_pull(&app, reader).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while entries(&url, &prefix, reader).await.is_empty() {
        assert!(Instant::now() < deadline, "not rebuilt within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_home_is_pull(&app, reader).await;
    app.close().await.unwrap();
}

/// A Redis that would restore stale timelines after a crash (snapshots,
/// an append-only file) or drop entries while keeping a boundary
/// (`allkeys-*` eviction) is refused at the start-up check, saying what
/// to change; one without either passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_that_persists_or_evicts_is_refused() {
    let server = RedisServer::start_new()
        .await
        .unwrap_or_else(|e| panic!("this test needs Redis and it could not be started: {e}"));
    let timelines = RedisTimelines::new(&server.url(), "check:").unwrap();
    timelines.check().await.unwrap();
    let mut connection = redis_connection(&server.url()).await;
    let set =
        async |connection: &mut redis::aio::MultiplexedConnection, name: &str, value: &str| {
            redis::cmd("CONFIG")
                .arg("SET")
                .arg(name)
                .arg(value)
                .query_async::<()>(connection)
                .await
                .unwrap();
        };
    for (name, value, says) in [
        ("save", "900 1", "saves snapshots"),
        ("appendonly", "yes", "append-only file"),
        ("maxmemory-policy", "allkeys-lru", "evicts any key"),
    ] {
        set(&mut connection, name, value).await;
        let refused = timelines.check().await.unwrap_err().to_string();
        assert!(refused.contains(says), "{name} {value}: {refused}");
        set(
            &mut connection,
            name,
            match name {
                "save" => "",
                "appendonly" => "no",
                _ => "noeviction",
            },
        )
        .await;
    }
    timelines.check().await.unwrap();
}

/// A dead Redis fails the start-up check with `Unavailable`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_fails_the_start_up_check() {
    let server = RedisServer::start_new()
        .await
        .unwrap_or_else(|e| panic!("this test needs Redis and it could not be started: {e}"));
    server.stop().await;
    let timelines = RedisTimelines::new(&server.url(), "check:").unwrap();
    match timelines.check().await {
        Err(StoreError::Unavailable { reason }) => {
            assert!(reason.contains("timeline Redis"), "{reason}");
        }
        other => panic!("a dead Redis passed the check: {other:?}"),
    }
}
