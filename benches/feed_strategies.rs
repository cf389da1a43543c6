//! Pull against push on the embedded store: what a home-feed read costs as
//! the number of followees grows, and what a post costs as the number of
//! followers grows (the photo's commit plus its fan-out, drained).
//!
//! The two strategies are measured side by side in the same run, over the
//! same data, so their ratio is the figure to read (docs/feeds.md).
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use minigram::auth::HasherConfig;
use minigram::feed::FeedStrategy;
use minigram::store::EmbeddedConfig;
use minigram::{PageLimit, PageRequest};
use support::{Backend, bench_app_with_feed, new_photo, runtime, seed};

const STRATEGIES: [(&str, FeedStrategy); 2] =
    [("pull", FeedStrategy::Pull), ("push", FeedStrategy::Push)];

/// A 20-item home-feed page for a viewer following 10, 100 or 1,000
/// authors with 2 photos each (push: read from the viewer's timeline).
fn home_feed_by_followees(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("home_feed_by_followees_embedded");
    let page = PageRequest::first(PageLimit::new(20).unwrap());
    for (name, strategy) in STRATEGIES {
        let bench = rt.block_on(bench_app_with_feed(
            Backend::Embedded,
            HasherConfig::insecure_fast_for_tests(),
            EmbeddedConfig::default(),
            strategy,
            0,
        ));
        let store = bench.app.store().clone();
        let (authors, _) = rt.block_on(seed(store.as_ref(), "f", 1000, 2));
        for followees in [10usize, 100, 1000] {
            let (viewers, _) = rt.block_on(seed(store.as_ref(), &format!("v{followees}_"), 1, 0));
            let viewer = viewers[0];
            rt.block_on(async {
                for &author in &authors[..followees] {
                    bench.app.follow(viewer, author).await.unwrap();
                }
                bench.app.drain_fanout().await.unwrap();
            });
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
