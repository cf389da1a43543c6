//! Group commit: durable like throughput with 1, 8 and 64 concurrent
//! writers, with group commit (the default) against one commit per
//! operation (`max_batch = 1`, the same code path otherwise). Each like is
//! acknowledged only after its transaction is durable (fsync'd).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use minigram::store::{EmbeddedConfig, Store};
use support::{Backend, runtime, seed, store};

fn durable_likes(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("durable_likes");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    for (mode, max_batch) in [
        ("group_commit", EmbeddedConfig::default().max_batch),
        ("commit_per_op", 1),
    ] {
        for writers in [1usize, 8, 64] {
            let dir = tempfile::tempdir().unwrap();
            let config = EmbeddedConfig {
                max_batch,
                ..EmbeddedConfig::default()
            };
            let store: Arc<dyn Store> = rt.block_on(store(Backend::Embedded, &dir, config));
            let (users, photos) = rt.block_on(seed(store.as_ref(), "u", 256, 4));
            let users = Arc::new(users);
            let photos = Arc::new(photos);
            let counter = Arc::new(AtomicU64::new(0));
            group.bench_function(BenchmarkId::new(mode, format!("{writers}_writers")), |b| {
                b.to_async(&rt).iter_custom(|iterations| {
                    let store = Arc::clone(&store);
                    let users = Arc::clone(&users);
                    let photos = Arc::clone(&photos);
                    let counter = Arc::clone(&counter);
                    async move {
                        let started = Instant::now();
                        let mut tasks = Vec::with_capacity(writers);
                        let per_writer = iterations.div_ceil(writers as u64);
                        for _ in 0..writers {
                            let store = Arc::clone(&store);
                            let users = Arc::clone(&users);
                            let photos = Arc::clone(&photos);
                            let counter = Arc::clone(&counter);
                            tasks.push(tokio::spawn(async move {
                                for _ in 0..per_writer {
                                    let n = counter.fetch_add(1, Ordering::Relaxed) as usize;
                                    let user = users[n % users.len()];
                                    let photo = photos[(n / users.len()) % photos.len()];
                                    // Alternate like/unlike per pass so every
                                    // operation changes the database.
                                    if (n / (users.len() * photos.len())).is_multiple_of(2) {
                                        store.like(user, photo).await.unwrap();
                                    } else {
                                        store.unlike(user, photo).await.unwrap();
                                    }
                                }
                            }));
                        }
                        for task in tasks {
                            task.await.unwrap();
                        }
                        // Scale to the requested count (per_writer rounds up).
                        let elapsed = started.elapsed();
                        elapsed.mul_f64(iterations as f64 / (per_writer * writers as u64) as f64)
                    }
                })
            });
            rt.block_on(store.close()).unwrap();
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = durable_likes
}
criterion_main!(benches);
