//! What a post costs by follower count under pull, push and hybrid, and how
//! fast push fans out, on the embedded store and on PostgreSQL (`cargo
//! bench --bench fanout_throughput`; docs/feeds.md and docs/benchmarks.md
//! give the figures).
//!
//! One author is followed by 10, another by 1,000 and a third by 100,000
//! users (every follower has a timeline). Each round posts one photo per
//! author under each strategy, interleaved (pull, push, hybrid, pull, ...),
//! and times it until every follower has it: pull, the commit alone; push,
//! the commit and its drained fan-out; hybrid (threshold 10,000), the
//! commit and its drained queue (where a 100,000-follower author's job is
//! skipped: their photos are merged at read time). Medians of the rounds.
//!
//! The embedded file is reopened for each strategy (one process may open
//! it once); PostgreSQL gets one store handle per strategy over one
//! database, as servers with different flags would, first with the
//! timelines in PostgreSQL tables, then in Redis sorted sets
//! (`PostgresConfig::redis_timelines`, a local redis-server).
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use minigram::Minigram;
use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::{
    EmbeddedConfig, EmbeddedStore, PostgresConfig, PostgresStore, RedisTimelines, Store,
};
use minigram::{PhotoId, UserId};
use support::{new_photo, new_user, runtime};

const FOLLOWER_COUNTS: [usize; 3] = [10, 1_000, 100_000];
const ROUNDS: usize = 5;
const SEEDERS: usize = 64;
const STRATEGIES: [(&str, FeedStrategy); 3] = [
    ("pull", FeedStrategy::Pull),
    ("push", FeedStrategy::Push),
    (
        "hybrid",
        FeedStrategy::Hybrid {
            celebrity_followers: 10_000,
        },
    ),
];

fn main() {
    if !support::selected("fanout_throughput") {
        return;
    }
    let rt = runtime();
    rt.block_on(run());
}

/// Median seconds per (strategy, follower count), over the rounds.
struct Timings(Vec<Vec<Vec<f64>>>);

impl Timings {
    fn new() -> Self {
        Self(vec![
            vec![Vec::new(); FOLLOWER_COUNTS.len()];
            STRATEGIES.len()
        ])
    }

    fn median(&self, strategy: usize, count: usize) -> f64 {
        let mut runs = self.0[strategy][count].clone();
        runs.sort_by(f64::total_cmp);
        runs[runs.len() / 2]
    }

    fn print(&self, store: &str) {
        println!("{store}: one post until every follower has it (median of {ROUNDS} rounds)");
        println!(
            "  {:>9}  {:>10}  {:>10}  {:>10}  {:>16}  {:>12}",
            "followers", "pull", "push", "hybrid", "push inserts/s", "hybrid/pull"
        );
        for (i, followers) in FOLLOWER_COUNTS.iter().enumerate() {
            let [pull, push, hybrid] = [0, 1, 2].map(|s| self.median(s, i));
            println!(
                "  {followers:>9}  {:>8.2}ms  {:>8.2}ms  {:>8.2}ms  {:>16.0}  {:>11.2}x",
                pull * 1e3,
                push * 1e3,
                hybrid * 1e3,
                *followers as f64 / push,
                hybrid / pull
            );
            if std::env::var_os("FANOUT_BENCH_RUNS").is_some() {
                for (s, (name, _)) in STRATEGIES.iter().enumerate() {
                    let runs: Vec<String> = self.0[s][i]
                        .iter()
                        .map(|t| format!("{:.2}", t * 1e3))
                        .collect();
                    println!("      {name} runs (ms): {}", runs.join(" "));
                }
            }
        }
    }
}

/// Followers per fan-out transaction: `FANOUT_BENCH_BATCH`, else the
/// default (500).
fn batch() -> usize {
    std::env::var("FANOUT_BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

/// Whether the section for `store` runs: all, unless `FANOUT_BENCH_ONLY`
/// names some (comma-separated: embedded, postgres, redis).
fn runs(store: &str) -> bool {
    std::env::var("FANOUT_BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s == store))
}

async fn app(store: Arc<dyn Store>, strategy: FeedStrategy, media: &Path) -> Minigram {
    Minigram::builder()
        .shared_store(store)
        .media_dir(media)
        .unwrap()
        .hasher(HasherConfig::insecure_fast_for_tests())
        .feed(strategy)
        .fanout_workers(0)
        .fanout_batch(batch())
        .build()
        .await
        .unwrap()
}

/// Three authors followed by `FOLLOWER_COUNTS` users (nested: the first 10
/// of the 1,000 follow all three), created by `SEEDERS` tasks at once so
/// the writes share commits. `store` keeps timelines, so every follower
/// gets one.
async fn seed(store: Arc<dyn Store>) -> Vec<UserId> {
    let mut authors = Vec::new();
    for (i, _) in FOLLOWER_COUNTS.iter().enumerate() {
        authors.push(
            store
                .create_user(new_user(&format!("author{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let most = FOLLOWER_COUNTS[FOLLOWER_COUNTS.len() - 1];
    let started = Instant::now();
    let tasks: Vec<_> = (0..SEEDERS)
        .map(|task| {
            let store = Arc::clone(&store);
            let authors = authors.clone();
            tokio::spawn(async move {
                for i in (task..most).step_by(SEEDERS) {
                    let follower = store
                        .create_user(new_user(&format!("follower{i}")))
                        .await
                        .unwrap()
                        .id;
                    for (author, count) in authors.iter().zip(FOLLOWER_COUNTS) {
                        if i < count {
                            store.follow(follower, *author).await.unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    println!(
        "  seeded {most} followers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    authors
}

/// As [`seed`] on PostgreSQL, the followers inserted by SQL (one statement
/// each for users, their timelines and the follows, as the store would
/// write them): the Store API at fsync-on speed would take minutes.
async fn seed_postgres(store: &dyn Store, url: &str) -> Vec<UserId> {
    let started = Instant::now();
    let mut authors = Vec::new();
    for (i, _) in FOLLOWER_COUNTS.iter().enumerate() {
        authors.push(
            store
                .create_user(new_user(&format!("author{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let most = FOLLOWER_COUNTS[FOLLOWER_COUNTS.len() - 1] as i64;
    client
        .execute(
            "WITH next AS (UPDATE id_counters SET last_id = last_id + $1 WHERE name = 'users' \
             RETURNING last_id - $1 AS base) \
             INSERT INTO users (id, username, username_key, email, password_hash, created_at) \
             SELECT base + g, 'follower' || g, 'follower' || g, 'follower' || g || '@example.com', \
             'x', now() FROM next, generate_series(1, $1::int8) g",
            &[&most],
        )
        .await
        .unwrap();
    client
        .execute(
            "INSERT INTO timeline_meta (user_id) SELECT id FROM users WHERE username LIKE 'follower%'",
            &[],
        )
        .await
        .unwrap();
    for (author, count) in authors.iter().zip(FOLLOWER_COUNTS) {
        let author = i64::try_from(author.get()).unwrap();
        client
            .execute(
                "INSERT INTO follows (follower_id, followee_id) SELECT id, $1 FROM users \
                 WHERE username LIKE 'follower%' ORDER BY id LIMIT $2",
                &[&author, &(count as i64)],
            )
            .await
            .unwrap();
    }
    client.execute("ANALYZE", &[]).await.unwrap();
    println!(
        "  seeded {most} followers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    authors
}

/// Posts one photo by `author` and waits until every follower has it.
async fn post_and_settle(app: &Minigram, author: UserId, n: u64) -> (f64, PhotoId) {
    let started = Instant::now();
    let photo = app
        .store()
        .create_photo(new_photo(author, n))
        .await
        .unwrap();
    app.drain_fanout().await.unwrap();
    (started.elapsed().as_secs_f64(), photo.id)
}

/// `ROUNDS` rounds of one post per author under each of `apps` (one per
/// strategy, interleaved); `n` numbers the photos.
async fn time_rounds(apps: &[Minigram], authors: &[UserId], n: &mut u64) -> Timings {
    let mut timings = Timings::new();
    for _ in 0..ROUNDS {
        for (s, app) in apps.iter().enumerate() {
            for (c, author) in authors.iter().enumerate() {
                *n += 1;
                let (seconds, _) = post_and_settle(app, *author, *n).await;
                timings.0[s][c].push(seconds);
            }
        }
    }
    timings
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    let mut n = 0u64;

    if runs("embedded") {
        // Embedded: seeded once through a push handle, reopened per strategy.
        let file = dir.path().join("fanout.redb");
        let open = || async {
            let store: Arc<dyn Store> = Arc::new(
                EmbeddedStore::open(&file, EmbeddedConfig::default())
                    .await
                    .unwrap(),
            );
            store
        };
        println!("embedded store (fsync on):");
        let authors = {
            let seeding = app(open().await, FeedStrategy::Push, &media).await;
            let authors = seed(Arc::clone(seeding.store())).await;
            seeding.close().await.unwrap();
            authors
        };
        let mut timings = Timings::new();
        for _ in 0..ROUNDS {
            for (s, (_, strategy)) in STRATEGIES.iter().enumerate() {
                let app = app(open().await, *strategy, &media).await;
                for (c, author) in authors.iter().enumerate() {
                    n += 1;
                    let (seconds, _) = post_and_settle(&app, *author, n).await;
                    timings.0[s][c].push(seconds);
                }
                app.close().await.unwrap();
            }
        }
        timings.print("embedded");
    }

    // PostgreSQL: one database, a handle per strategy.
    let started = Instant::now();
    let cluster = support::start_postgres(dir.path(), 0).await;
    cluster.ensure_database("fanout").await.unwrap();
    println!(
        "PostgreSQL 15, one server (fsync on), ready in {:.1} s:",
        started.elapsed().as_secs_f64()
    );
    let url = cluster.primary_url("fanout");
    let config = PostgresConfig {
        pool_size: 16,
        ..PostgresConfig::default()
    };
    let mut apps = Vec::new();
    for (_, strategy) in STRATEGIES {
        let store: Arc<dyn Store> =
            Arc::new(PostgresStore::connect(&url, config.clone()).await.unwrap());
        apps.push(app(store, strategy, &media).await);
    }
    let authors = seed_postgres(apps[1].store().as_ref(), &url).await;
    if runs("postgres") {
        time_rounds(&apps, &authors, &mut n).await.print("postgres");
    }
    for app in apps {
        app.close().await.unwrap();
    }
    if !runs("redis") {
        return;
    }

    // The same database, the timelines in Redis.
    let redis = minigram_devcluster::RedisServer::start_new()
        .await
        .unwrap_or_else(|e| panic!("this bench needs redis-server: {e}"));
    println!(
        "PostgreSQL 15 with the timelines in Redis (redis-server on loopback), batches of {}:",
        batch()
    );
    seed_redis_timelines(&url, &redis.url()).await;
    let config = PostgresConfig {
        redis_timelines: Some(RedisTimelines::new(&redis.url(), REDIS_PREFIX).unwrap()),
        ..config
    };
    let mut apps = Vec::new();
    for (_, strategy) in STRATEGIES {
        let store: Arc<dyn Store> =
            Arc::new(PostgresStore::connect(&url, config.clone()).await.unwrap());
        apps.push(app(store, strategy, &media).await);
    }
    time_rounds(&apps, &authors, &mut n)
        .await
        .print("postgres + redis timelines");
    for app in apps {
        app.close().await.unwrap();
    }
    redis.stop().await;
}

const REDIS_PREFIX: &str = "bench:";

/// An empty, exact Redis timeline for every seeded follower (the hash
/// `RedisTimelines` documents), in one pipeline: what each follower's
/// first read would otherwise build.
async fn seed_redis_timelines(pg_url: &str, redis_url: &str) {
    let started = Instant::now();
    let (client, connection) = tokio_postgres::connect(pg_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let followers: Vec<i64> = client
        .query("SELECT id FROM users WHERE username LIKE 'follower%'", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut redis = redis::Client::open(redis_url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut pipe = redis::pipe();
    for id in &followers {
        pipe.hset(format!("{REDIS_PREFIX}tlm:{{{id}}}"), "c", 0)
            .ignore();
    }
    pipe.query_async::<()>(&mut redis).await.unwrap();
    println!(
        "  seeded {} Redis timelines in {:.1} s",
        followers.len(),
        started.elapsed().as_secs_f64()
    );
}
