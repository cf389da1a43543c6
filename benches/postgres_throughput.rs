//! PostgreSQL figures, each beside its reference from the same run on the
//! same local cluster (a primary and 2 streaming replicas, fsync on):
//!
//! - durable like writes/s through `PostgresStore` (8 writers) vs
//!   `pgbench -N` (simple-update, 8 clients, prepared) TPS;
//! - home-feed reads/s and latency through a direct pool, through the
//!   `ReplicaRouter` with 2 replicas, and through the router with none
//!   (primary only): the replicas' gain and the router's overhead;
//! - the time to start the primary and both replicas.
//!
//! Not criterion: these are throughput tables over a few seconds each. Run
//! with `cargo bench --bench postgres_throughput`.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use minigram::store::{PostgresConfig, PostgresStore, Store};
use minigram::store::{ReplicaRouter, RouterConfig};
use minigram::{PageLimit, PageRequest, UserId};
use minigram_devcluster::DevCluster;
use support::{new_photo, new_user, runtime};

const PHASE: Duration = Duration::from_secs(5);
const WRITERS: usize = 8;
const READERS: usize = 16;

fn main() {
    if !support::selected("postgres_throughput") {
        return;
    }
    let rt = runtime();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let cluster = support::start_postgres(dir.path(), 2).await;
    let start_time = started.elapsed();
    println!(
        "PostgreSQL primary + 2 replicas ready in {:.2} s (fsync on)",
        start_time.as_secs_f64()
    );

    cluster.ensure_database("bench").await.unwrap();
    cluster.ensure_database("pgbench").await.unwrap();
    let config = PostgresConfig {
        pool_size: 16,
        ..PostgresConfig::default()
    };
    let direct: Arc<dyn Store> = Arc::new(
        PostgresStore::connect(&cluster.primary_url("bench"), config.clone())
            .await
            .unwrap(),
    );
    let (viewer, users, photos) = seed(direct.as_ref()).await;
    cluster
        .wait_for_replicas(Duration::from_secs(30))
        .await
        .unwrap();

    let router_config = RouterConfig {
        pool: config.clone(),
        ..RouterConfig::default()
    };
    let with_replicas: Arc<dyn Store> = Arc::new(
        ReplicaRouter::connect(
            &cluster.primary_url("bench"),
            &cluster.replica_urls("bench"),
            router_config.clone(),
        )
        .await
        .unwrap(),
    );
    let primary_only: Arc<dyn Store> = Arc::new(
        ReplicaRouter::connect(&cluster.primary_url("bench"), &[], router_config)
            .await
            .unwrap(),
    );
    println!(
        "home feed, 20 items, viewer follows 100 authors, {READERS} concurrent readers, {} s each:",
        PHASE.as_secs()
    );
    for (name, store) in [
        ("direct pool (primary)", &direct),
        ("router, primary only", &primary_only),
        ("router, 2 replicas", &with_replicas),
        ("direct pool (primary), again", &direct),
    ] {
        let (rate, p50, p99) = feed_throughput(store, viewer).await;
        println!("  {name:<30} {rate:>8.0} reads/s   p50 {p50:>6} µs   p99 {p99:>6} µs");
    }
    let pgbench_tps = pgbench(&cluster);
    let spread = like_throughput(&direct, &users, &photos, Spread::AcrossPhotos).await;
    let hot = like_throughput(&direct, &users, &photos, Spread::OnePhotoAtATime).await;
    println!("durable likes/s through PostgresStore, {WRITERS} writers:");
    println!(
        "  spread across photos (like pgbench's random rows) {spread:>8.0}  = {:.0}% of pgbench -N ({WRITERS} clients, prepared): {pgbench_tps:.0} TPS",
        100.0 * spread / pgbench_tps
    );
    println!(
        "  all writers on one photo at a time (hot row)      {hot:>8.0}  = {:.0}% of pgbench -N",
        100.0 * hot / pgbench_tps
    );

    // Likes run last: each rewrites its photo's row (the like count), and the
    // dead row versions would slow the feed's index scans until a vacuum.
    cluster.stop().await.unwrap();
}

/// 100 authors with 10 photos each, 200 likers, one viewer following every author.
async fn seed(store: &dyn Store) -> (UserId, Vec<UserId>, Vec<minigram::PhotoId>) {
    let (authors, photos) = support::seed(store, "author", 100, 10).await;
    let viewer = store.create_user(new_user("viewer")).await.unwrap().id;
    for &author in &authors {
        store.follow(viewer, author).await.unwrap();
    }
    let mut likers = Vec::new();
    for i in 0..200 {
        likers.push(
            store
                .create_user(new_user(&format!("liker{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    // One more photo so ids are not all from the seed helper's numbering.
    store
        .create_photo(new_photo(viewer, 1_000_000))
        .await
        .unwrap();
    (viewer, likers, photos)
}

fn pgbench(cluster: &DevCluster) -> f64 {
    let program = cluster.binaries().program("pgbench");
    let url = cluster.primary_url("pgbench");
    let init = Command::new(&program)
        .args(["-i", "-q", "-s", "1", &url])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "pgbench -i failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let clients = WRITERS.to_string();
    let seconds = PHASE.as_secs().to_string();
    let run = Command::new(&program)
        .args([
            "-N", "-M", "prepared", "-c", &clients, "-j", "2", "-T", &seconds, &url,
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    out.lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no tps in pgbench output:\n{out}\n{}",
                String::from_utf8_lossy(&run.stderr)
            )
        })
}

/// Which (user, photo) pairs consecutive likes hit.
#[derive(Clone, Copy)]
enum Spread {
    /// Consecutive likes go to different photos: no two writers wait for the
    /// same row lock (the like count lives in the photo's row).
    AcrossPhotos,
    /// Consecutive likes go to the same photo from different users: every
    /// writer waits for the photo row's lock, one commit at a time.
    OnePhotoAtATime,
}

async fn like_throughput(
    store: &Arc<dyn Store>,
    users: &[UserId],
    photos: &[minigram::PhotoId],
    spread: Spread,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let (store, done, stop, counter) = (
            Arc::clone(store),
            Arc::clone(&done),
            Arc::clone(&stop),
            Arc::clone(&counter),
        );
        let (users, photos) = (users.to_vec(), photos.to_vec());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed) as usize;
                let (user, photo) = match spread {
                    Spread::AcrossPhotos => (
                        users[(n / photos.len()) % users.len()],
                        photos[n % photos.len()],
                    ),
                    Spread::OnePhotoAtATime => (
                        users[n % users.len()],
                        photos[(n / users.len()) % photos.len()],
                    ),
                };
                // Alternate passes like/unlike so every call changes a row.
                if (n / (users.len() * photos.len())).is_multiple_of(2) {
                    store.like(user, photo).await.unwrap();
                } else {
                    store.unlike(user, photo).await.unwrap();
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(PHASE).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn feed_throughput(store: &Arc<dyn Store>, viewer: UserId) -> (f64, u64, u64) {
    let page = PageRequest::first(PageLimit::new(20).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for _ in 0..READERS {
        let (store, stop) = (Arc::clone(store), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let mut histogram = hdrhistogram::Histogram::<u64>::new(3).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let feed = store.followed_photos(viewer, page).await.unwrap();
                assert_eq!(feed.items.len(), 20);
                histogram.record(t.elapsed().as_micros() as u64).unwrap();
            }
            histogram
        }));
    }
    tokio::time::sleep(PHASE).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = hdrhistogram::Histogram::<u64>::new(3).unwrap();
    for task in tasks {
        all.add(task.await.unwrap()).unwrap();
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    (
        rate,
        all.value_at_quantile(0.5),
        all.value_at_quantile(0.99),
    )
}
