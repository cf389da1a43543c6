//! Home-feed latency through each cache tier over the embedded store, beside
//! the uncached read in the same run: a miss (no cache: the store's read),
//! an L1 hit (moka, in process), an L2 hit (Redis alone, on loopback) and a
//! tiered hit (L1 in front of Redis). Needs `redis-server` (the bench starts
//! its own on a free loopback port).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use minigram::cache::{CacheConfig, CachedStore};
use minigram::store::{EmbeddedConfig, EmbeddedStore, Store};
use minigram::{PageLimit, PageRequest};
use minigram_devcluster::RedisServer;
use support::{runtime, seed};

fn home_feed_by_tier(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let redis = rt.block_on(RedisServer::start_new()).unwrap_or_else(|e| {
        panic!("cannot start redis-server (install the Debian package redis-server): {e}")
    });
    let store: Arc<dyn Store> = Arc::new(
        rt.block_on(EmbeddedStore::open(
            dir.path().join("cache.redb"),
            EmbeddedConfig::default(),
        ))
        .unwrap(),
    );
    let (authors, _) = rt.block_on(seed(store.as_ref(), "a", 50, 4));
    let (viewers, _) = rt.block_on(seed(store.as_ref(), "v", 1, 0));
    let viewer = viewers[0];
    rt.block_on(async {
        for &author in &authors {
            store.follow(viewer, author).await.unwrap();
        }
    });
    let page = PageRequest::first(PageLimit::new(20).unwrap());
    let tiers: Vec<(&str, Arc<dyn Store>)> = vec![
        ("miss_no_cache", Arc::clone(&store)),
        (
            "l1_hit",
            Arc::new(
                rt.block_on(CachedStore::new(Arc::clone(&store), CacheConfig::memory()))
                    .unwrap(),
            ),
        ),
        (
            "l2_hit_redis_only",
            Arc::new(
                rt.block_on(CachedStore::new(
                    Arc::clone(&store),
                    CacheConfig::redis(redis.url()),
                ))
                .unwrap(),
            ),
        ),
        (
            "tiered_hit",
            Arc::new(
                rt.block_on(CachedStore::new(
                    Arc::clone(&store),
                    CacheConfig::tiered(redis.url()),
                ))
                .unwrap(),
            ),
        ),
    ];
    let mut group = c.benchmark_group("home_feed_by_cache_tier_20_items_50_followees");
    for (name, tier) in &tiers {
        // Fill the cache once; every measured read is then a hit.
        rt.block_on(tier.followed_photos(viewer, page)).unwrap();
        group.bench_function(*name, |b| {
            b.to_async(&rt).iter(|| async {
                let feed = tier.followed_photos(viewer, page).await.unwrap();
                assert_eq!(feed.items.len(), 20);
                feed
            })
        });
    }
    group.finish();
    for (name, tier) in &tiers {
        let hits: Vec<String> = tier
            .metrics()
            .into_iter()
            .filter(|m| m.name.contains("hits") || m.name.contains("store_reads"))
            .map(|m| format!("{} {}", m.name, m.value))
            .collect();
        println!("{name}: {}", hits.join(", "));
    }
    rt.block_on(store.close()).unwrap();
    drop(redis);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = home_feed_by_tier
}
criterion_main!(benches);
