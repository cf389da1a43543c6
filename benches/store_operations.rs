//! Per-operation cost on each store: register (hash and store timed
//! separately), login, post_photo, like, follow, home_feed.
//!
//! Password hashing uses the OWASP default parameters (m = 19 MiB, t = 2,
//! p = 1) where it is measured, and the cheapest parameters elsewhere so the
//! store's share is visible.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use minigram::auth::{HasherConfig, PasswordHasher};
use minigram::store::EmbeddedConfig;
use minigram::{Caption, Email, PageLimit, PageRequest, Password, Username};
use support::{Backend, bench_app, new_user, png, runtime, seed};

fn password_hashing(c: &mut Criterion) {
    let rt = runtime();
    let hasher = rt
        .block_on(PasswordHasher::new(HasherConfig::default()))
        .unwrap();
    let password = Password::parse("correct horse battery staple").unwrap();
    let phc = rt.block_on(hasher.hash(&password)).unwrap();
    let mut group = c.benchmark_group("argon2id_owasp_defaults");
    group.sample_size(20);
    group.bench_function("hash", |b| {
        b.to_async(&rt)
            .iter(|| async { hasher.hash(&password).await.unwrap() })
    });
    group.bench_function("verify", |b| {
        b.to_async(&rt)
            .iter(|| async { hasher.verify(&password, Some(phc.clone())).await.unwrap() })
    });
    group.finish();
}

fn account_operations(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("accounts");
    group.sample_size(20);
    for backend in Backend::ALL {
        let bench = rt.block_on(bench_app(
            backend,
            HasherConfig::default(),
            EmbeddedConfig::default(),
        ));
        let counter = AtomicU64::new(0);
        // The store's part of registration: the hash is precomputed.
        group.bench_function(format!("{}/register_store_only", backend.name()), |b| {
            b.to_async(&rt).iter(|| async {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                bench
                    .app
                    .store()
                    .create_user(new_user(&format!("store{n}")))
                    .await
                    .unwrap()
            })
        });
        group.bench_function(format!("{}/register_with_hash", backend.name()), |b| {
            b.to_async(&rt).iter(|| async {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                bench
                    .app
                    .register(
                        Username::parse(&format!("reg{n}")).unwrap(),
                        Email::parse(&format!("r{n}@example.com")).unwrap(),
                        Password::parse("correct horse battery").unwrap(),
                    )
                    .await
                    .unwrap()
            })
        });
        rt.block_on(bench.app.register(
            Username::parse("login_user").unwrap(),
            Email::parse("login@example.com").unwrap(),
            Password::parse("correct horse battery").unwrap(),
        ))
        .unwrap();
        group.bench_function(format!("{}/login_with_hash", backend.name()), |b| {
            b.to_async(&rt).iter(|| async {
                bench
                    .app
                    .login("login_user", "correct horse battery")
                    .await
                    .unwrap()
            })
        });
        rt.block_on(bench.app.close()).unwrap();
    }
    group.finish();
}

fn write_operations(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("writes");
    for backend in Backend::ALL {
        let bench = rt.block_on(bench_app(
            backend,
            HasherConfig::insecure_fast_for_tests(),
            EmbeddedConfig::default(),
        ));
        let store = bench.app.store().clone();
        let (users, photos) = rt.block_on(seed(store.as_ref(), "w", 200, 5));
        let counter = AtomicU64::new(0);
        let bytes = png(1080, 1080);
        group.bench_function(format!("{}/post_photo", backend.name()), |b| {
            b.to_async(&rt).iter(|| async {
                bench
                    .app
                    .post_photo(users[0], Caption::parse("bench").unwrap(), bytes.clone())
                    .await
                    .unwrap()
            })
        });
        // Each like is a real change: (user, photo) pairs are walked in
        // order and alternate between like and unlike on wrap-around.
        group.bench_function(format!("{}/like", backend.name()), |b| {
            b.to_async(&rt).iter(|| async {
                let n = counter.fetch_add(1, Ordering::Relaxed) as usize;
                let user = users[n % users.len()];
                let photo = photos[(n / users.len()) % photos.len()];
                if (n / (users.len() * photos.len())).is_multiple_of(2) {
                    bench.app.like(user, photo).await.unwrap()
                } else {
                    bench.app.unlike(user, photo).await.unwrap()
                }
            })
        });
        group.bench_function(format!("{}/follow", backend.name()), |b| {
            b.to_async(&rt).iter(|| async {
                let n = counter.fetch_add(1, Ordering::Relaxed) as usize;
                let a = users[n % users.len()];
                let b2 = users[(n / users.len() + 1 + n) % users.len()];
                if a != b2 {
                    bench.app.follow(a, b2).await.unwrap();
                }
            })
        });
        rt.block_on(bench.app.close()).unwrap();
    }
    group.finish();
}

fn home_feed(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("home_feed_20_items_100_followees");
    for backend in Backend::ALL {
        let bench = rt.block_on(bench_app(
            backend,
            HasherConfig::insecure_fast_for_tests(),
            EmbeddedConfig::default(),
        ));
        let store = bench.app.store().clone();
        let (authors, _) = rt.block_on(seed(store.as_ref(), "a", 100, 10));
        let (viewers, _) = rt.block_on(seed(store.as_ref(), "v", 1, 0));
        let viewer = viewers[0];
        rt.block_on(async {
            for &author in &authors {
                bench.app.follow(viewer, author).await.unwrap();
            }
        });
        let page = PageRequest::first(PageLimit::new(20).unwrap());
        group.bench_function(backend.name(), |b| {
            b.to_async(&rt).iter(|| async {
                let feed = bench.app.home_feed(viewer, page).await.unwrap();
                assert_eq!(feed.items.len(), 20);
                feed
            })
        });
        // Criterion reports means; the latency distribution is reported
        // here from 5,000 sequential calls.
        let mut histogram = hdrhistogram::Histogram::<u64>::new(3).unwrap();
        rt.block_on(async {
            for _ in 0..5_000 {
                let started = Instant::now();
                bench.app.home_feed(viewer, page).await.unwrap();
                histogram
                    .record(started.elapsed().as_micros() as u64)
                    .unwrap();
            }
        });
        println!(
            "home_feed {} latency over 5,000 calls: p50 {} µs, p99 {} µs, p99.9 {} µs, max {} µs",
            backend.name(),
            histogram.value_at_quantile(0.50),
            histogram.value_at_quantile(0.99),
            histogram.value_at_quantile(0.999),
            histogram.max()
        );
        rt.block_on(bench.app.close()).unwrap();
    }
    group.finish();
}

/// The pull feed's read cost grows with the number of followees: one range
/// scan per followed author, merged. Embedded store, 20-item pages, every
/// author with 2 photos.
fn pull_feed_cost_by_followees(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("pull_home_feed_by_followees_embedded");
    let bench = rt.block_on(bench_app(
        Backend::Embedded,
        HasherConfig::insecure_fast_for_tests(),
        EmbeddedConfig::default(),
    ));
    let store = bench.app.store().clone();
    let (authors, _) = rt.block_on(seed(store.as_ref(), "f", 1000, 2));
    let page = PageRequest::first(PageLimit::new(20).unwrap());
    for followees in [10usize, 100, 1000] {
        let (viewers, _) = rt.block_on(seed(store.as_ref(), &format!("viewer{followees}_"), 1, 0));
        let viewer = viewers[0];
        rt.block_on(async {
            for &author in &authors[..followees] {
                bench.app.follow(viewer, author).await.unwrap();
            }
        });
        group.bench_function(format!("{followees}_followees"), |b| {
            b.to_async(&rt).iter(|| async {
                let feed = bench.app.home_feed(viewer, page).await.unwrap();
                assert_eq!(feed.items.len(), 20);
                feed
            })
        });
    }
    rt.block_on(bench.app.close()).unwrap();
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = password_hashing, account_operations, write_operations, home_feed, pull_feed_cost_by_followees
}
criterion_main!(benches);
