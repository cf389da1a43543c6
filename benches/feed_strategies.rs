//! Pull, push and hybrid: what a home-feed read costs as the number of
//! followees grows (embedded store and PostgreSQL), and what a post costs
//! on the embedded store as the number of followers grows (the photo's
//! commit plus its fan-out, drained; `fanout_throughput` goes to 100,000
//! followers and PostgreSQL).
//!
//! The two strategies are measured side by side in the same run, over the
//! same data, so their ratio is the figure to read (docs/feeds.md).
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::sync::Arc;

use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::{EmbeddedConfig, PostgresConfig, PostgresStore};
use minigram::{PageLimit, PageRequest};
use minigram_devcluster::DevCluster;
use support::{Backend, Bench, bench_app_over, bench_app_with_feed, new_photo, runtime, seed};

const STRATEGIES: [(&str, FeedStrategy); 2] =
    [("pull", FeedStrategy::Pull), ("push", FeedStrategy::Push)];

/// The read benchmark's strategies: hybrid with a threshold of 2, so the
/// 10 authors given 2 fans before posting are celebrities (merged at read
/// time) and the rest are fanned out.
const READ_STRATEGIES: [(&str, FeedStrategy); 3] = [
    ("pull", FeedStrategy::Pull),
    ("push", FeedStrategy::Push),
    (
        "hybrid",
        FeedStrategy::Hybrid {
            celebrity_followers: 2,
        },
    ),
];

const FOLLOWEES: [usize; 4] = [10, 100, 1_000, 5_000];

/// Where the read benchmark runs.
#[derive(Clone, Copy)]
enum ReadStore {
    Embedded,
    Postgres,
}

/// A minigram with `strategy` over a fresh store of `kind` (PostgreSQL: a
/// fresh database of `cluster`).
async fn read_bench_app(
    kind: ReadStore,
    strategy: FeedStrategy,
    cluster: &DevCluster,
    database: &str,
) -> Bench {
    match kind {
        ReadStore::Embedded => {
            bench_app_with_feed(
                Backend::Embedded,
                HasherConfig::insecure_fast_for_tests(),
                EmbeddedConfig::default(),
                strategy,
                0,
            )
            .await
        }
        ReadStore::Postgres => {
            cluster.ensure_database(database).await.unwrap();
            let store =
                PostgresStore::connect(&cluster.primary_url(database), PostgresConfig::default())
                    .await
                    .unwrap();
            bench_app_over(Arc::new(store), strategy).await
        }
    }
}

/// A 20-item home-feed page for a viewer following 10, 100, 1,000 or
/// 5,000 authors with 2 photos each, under pull, push (read from the
/// viewer's timeline) and hybrid (the timeline merged with the 10
/// celebrity followees' photos), on the embedded store and on PostgreSQL.
fn home_feed_by_followees(c: &mut Criterion) {
    let rt = runtime();
    let pg_dir = tempfile::tempdir().unwrap();
    let cluster = rt.block_on(support::start_postgres(pg_dir.path(), 0));
    let page = PageRequest::first(PageLimit::new(20).unwrap());
    for (kind, store_name) in [
        (ReadStore::Embedded, "embedded"),
        (ReadStore::Postgres, "postgres"),
    ] {
        let mut group = c.benchmark_group(format!("home_feed_by_followees_{store_name}"));
        for (name, strategy) in READ_STRATEGIES {
            let bench = rt.block_on(read_bench_app(kind, strategy, &cluster, name));
            let store = bench.app.store().clone();
            let most = FOLLOWEES[FOLLOWEES.len() - 1];
            let viewers = rt.block_on(async {
                let (authors, _) = seed(store.as_ref(), "f", most, 0).await;
                let (fans, _) = seed(store.as_ref(), "fan", 2, 0).await;
                for &author in &authors[..10] {
                    for &fan in &fans {
                        store.follow(fan, author).await.unwrap();
                    }
                }
                let mut n = 0;
                for _ in 0..2 {
                    for &author in &authors {
                        n += 1;
                        store.create_photo(new_photo(author, n)).await.unwrap();
                    }
                }
                // Fanned out now, while only the 10 have 2 followers: they
                // alone become hybrid celebrities.
                bench.app.drain_fanout().await.unwrap();
                let mut viewers = Vec::new();
                for followees in FOLLOWEES {
                    let (viewer, _) = seed(store.as_ref(), &format!("v{followees}_"), 1, 0).await;
                    for &author in &authors[..followees] {
                        store.follow(viewer[0], author).await.unwrap();
                    }
                    viewers.push(viewer[0]);
                }
                bench.app.drain_fanout().await.unwrap();
                viewers
            });
            for (followees, viewer) in FOLLOWEES.iter().zip(viewers) {
                group.bench_with_input(BenchmarkId::new(name, followees), &viewer, |b, &viewer| {
                    b.to_async(&rt).iter(|| async {
                        let feed = bench.app.home_feed(viewer, page).await.unwrap();
                        assert_eq!(feed.items.len(), 20);
                        feed
                    })
                });
            }
            rt.block_on(bench.app.close()).unwrap();
        }
        group.finish();
    }
}

/// One post by an author with 0, 100 or 1,000 followers, until it is in
/// every follower's timeline (push: the commit, then the drained fan-out;
/// pull: the commit alone).
fn post_by_followers(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("post_and_fan_out_by_followers_embedded");
    group.sample_size(20);
    for (name, strategy) in STRATEGIES {
        let bench = rt.block_on(bench_app_with_feed(
            Backend::Embedded,
            HasherConfig::insecure_fast_for_tests(),
            EmbeddedConfig::default(),
            strategy,
            0,
        ));
        let store = bench.app.store().clone();
        let (followers, _) = rt.block_on(seed(store.as_ref(), "r", 1000, 0));
        let mut n = 0u64;
        for count in [0usize, 100, 1000] {
            let (authors, _) = rt.block_on(seed(store.as_ref(), &format!("a{count}_"), 1, 0));
            let author = authors[0];
            rt.block_on(async {
                for &follower in &followers[..count] {
                    bench.app.follow(follower, author).await.unwrap();
                }
            });
            group.bench_with_input(BenchmarkId::new(name, count), &author, |b, &author| {
                b.to_async(&rt).iter(|| {
                    n += 1;
                    let photo = new_photo(author, n);
                    let app = &bench.app;
                    async move {
                        app.store().create_photo(photo).await.unwrap();
                        app.drain_fanout().await.unwrap();
                    }
                })
            });
        }
        rt.block_on(bench.app.close()).unwrap();
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = home_feed_by_followees, post_by_followers
}
criterion_main!(benches);
