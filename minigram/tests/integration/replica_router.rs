//! The replica router against a real primary and two streaming replicas:
//! read-your-writes under replication lag, and faults (replicas and the
//! primary stopped and restarted under load). Each test starts its own dev
//! cluster, because the faults would disturb other tests.
//!
//! These tests need PostgreSQL's server programs; without them they fail
//! with a message naming the package to install.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used)]

use crate::common::fixtures::{photo, user};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use minigram::store::{PostgresConfig, Store};
use minigram::store::{ReplicaRouter, ReplicaState, RouterConfig};
use minigram::{LikeError, PageRequest, StoreError, UserId};
use minigram_devcluster::{DevCluster, NodeId};

async fn cluster(apply_delay: Option<Duration>) -> DevCluster {
    let mut builder = DevCluster::builder().replicas(2).fsync(false);
    if let Some(delay) = apply_delay {
        builder = builder.replica_apply_delay(0, delay);
    }
    let cluster = builder
        .start()
        .await
        .unwrap_or_else(|e| panic!("these tests need PostgreSQL and it could not be started: {e}"));
    cluster.stop_when_process_exits().unwrap();
    cluster.create_database("app", None).await.unwrap();
    cluster
}

async fn router(cluster: &DevCluster, config: RouterConfig) -> Arc<ReplicaRouter> {
    let router = ReplicaRouter::connect(
        &cluster.primary_url("app"),
        &cluster.replica_urls("app"),
        RouterConfig {
            pool: PostgresConfig {
                pool_size: 8,
                connect_timeout: Duration::from_secs(2),
                wait_timeout: Duration::from_secs(2),
                ..PostgresConfig::default()
            },
            ..config
        },
    )
    .await
    .unwrap();
    Arc::new(router)
}

fn metric(store: &dyn Store, name: &str) -> f64 {
    store
        .metrics()
        .iter()
        .find(|m| m.name == name)
        .map_or_else(|| panic!("no metric {name}"), |m| m.value)
}

async fn wait_until_healthy(router: &ReplicaRouter, replicas: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = router.status();
        let healthy = status
            .replicas
            .iter()
            .filter(|r| r.state == ReplicaState::Healthy)
            .count();
        if healthy >= replicas {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "replicas not healthy: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_always_read_their_own_writes_from_a_lagging_replica_set() {
    // Replica 0 applies WAL 500 ms late.
    let cluster = cluster(Some(Duration::from_millis(500))).await;
    let router = router(&cluster, RouterConfig::default()).await;
    wait_until_healthy(&router, 2).await;

    // 1,000 write-then-read iterations: 25 users × 40, concurrently. Each
    // toggles its like of its own photo and reads the photo back at once.
    let mut tasks = Vec::new();
    for u in 0..25u64 {
        let router = Arc::clone(&router);
        tasks.push(tokio::spawn(async move {
            let me = user(router.as_ref(), &format!("user{u}")).await;
            let mine = photo(router.as_ref(), me, u).await;
            for i in 0..40u64 {
                let liked = i % 2 == 0;
                let count = if liked {
                    router.like(me, mine).await.unwrap()
                } else {
                    router.unlike(me, mine).await.unwrap()
                };
                assert_eq!(count, u64::from(liked));
                let seen = router.photo(mine, me).await.unwrap().unwrap();
                assert_eq!(
                    seen.liked_by_viewer, liked,
                    "user {u} iteration {i} missed its own write"
                );
                assert_eq!(
                    seen.photo.like_count,
                    u64::from(liked),
                    "user {u} iteration {i}"
                );
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let replica_reads = metric(router.as_ref(), "minigram_router_replica_reads_total");
    let primary_reads = metric(router.as_ref(), "minigram_router_primary_reads_total");
    eprintln!(
        "1,000 write-then-read iterations: {replica_reads} reads on replicas, {primary_reads} on the primary"
    );
    assert!(replica_reads > 0.0, "the replicas served no read");

    // Another user's write reaches a reader without recent writes within
    // the staleness bound (the replica lag limit plus one poll).
    let reader = user(router.as_ref(), "reader").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let writer = user(router.as_ref(), "writer").await;
    let post = photo(router.as_ref(), writer, 1000).await;
    let written = Instant::now();
    let bound = RouterConfig::default().max_lag + Duration::from_millis(200);
    loop {
        let page = router
            .photos_by_authors(&[writer], reader, PageRequest::default())
            .await
            .unwrap();
        if page.items.iter().any(|v| v.photo.id == post) {
            break;
        }
        assert!(
            written.elapsed() < bound,
            "another user's write was stale for longer than {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    router.close().await.unwrap();
    cluster.stop().await.unwrap();
}

/// Reads by users without recent writes, in a loop, counting failures.
fn read_load(
    router: &Arc<ReplicaRouter>,
    viewers: &[UserId],
    stop: &Arc<AtomicBool>,
    failures: &Arc<AtomicU64>,
    reads: &Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<()>> {
    viewers
        .iter()
        .map(|&viewer| {
            let (router, stop, failures, reads) = (
                Arc::clone(router),
                Arc::clone(stop),
                Arc::clone(failures),
                Arc::clone(reads),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match router.global_photos(viewer, PageRequest::default()).await {
                        Ok(page) if !page.items.is_empty() => {}
                        Ok(_) => {
                            eprintln!("an empty global feed");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            eprintln!("a read failed: {e}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    reads.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_replica_and_primary_outages_and_everything_recovers() {
    let cluster = cluster(None).await;
    let router = router(
        &cluster,
        RouterConfig {
            sticky_window: Duration::from_secs(1),
            ..RouterConfig::default()
        },
    )
    .await;
    let author = user(router.as_ref(), "author").await;
    let post = photo(router.as_ref(), author, 1).await;
    let mut viewers = Vec::new();
    for i in 0..4 {
        viewers.push(user(router.as_ref(), &format!("viewer{i}")).await);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    wait_until_healthy(&router, 2).await;

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let reads = Arc::new(AtomicU64::new(0));
    let load = read_load(&router, &viewers, &stop, &failures, &reads);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // One replica stops during the load: no read fails.
    cluster.stop_node(NodeId::Replica(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "reads failed when one replica stopped"
    );

    // Both replicas stopped: reads continue on the primary.
    cluster.stop_node(NodeId::Replica(0)).await.unwrap();
    let primary_reads = metric(router.as_ref(), "minigram_router_primary_reads_total");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "reads failed with no replica"
    );
    assert!(metric(router.as_ref(), "minigram_router_primary_reads_total") > primary_reads);
    assert_eq!(
        router
            .status()
            .replicas
            .iter()
            .filter(|r| r.state == ReplicaState::Down)
            .count(),
        2
    );

    // The replicas come back and take reads again.
    cluster.start_node(NodeId::Replica(0)).await.unwrap();
    cluster.start_node(NodeId::Replica(1)).await.unwrap();
    wait_until_healthy(&router, 2).await;

    // The primary stops: writes fail fast with Unavailable, reads are
    // served by the replicas.
    cluster.stop_node(NodeId::Primary).await.unwrap();
    let replica_reads = metric(router.as_ref(), "minigram_router_replica_reads_total");
    let started = Instant::now();
    let err = router.like(viewers[0], post).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, LikeError::Store(StoreError::Unavailable { .. })),
        "{err:?}"
    );
    assert!(
        took < Duration::from_secs(2),
        "a write took {took:?} to fail"
    );
    assert!(router.health().await.is_err());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "reads failed with the primary down"
    );
    assert!(metric(router.as_ref(), "minigram_router_replica_reads_total") > replica_reads);

    // The primary restarts: writes succeed again through the same router.
    cluster.start_node(NodeId::Primary).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match router.like(viewers[0], post).await {
            Ok(count) => {
                assert_eq!(count, 1);
                break;
            }
            Err(e) => assert!(Instant::now() < deadline, "writes did not recover: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    router.health().await.unwrap();
    // The writer reads its own like back.
    assert!(
        router
            .photo(post, viewers[0])
            .await
            .unwrap()
            .unwrap()
            .liked_by_viewer
    );

    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    eprintln!(
        "{} reads under faults, {} failed",
        reads.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed)
    );
    assert_eq!(failures.load(Ordering::Relaxed), 0);
    router.close().await.unwrap();
    cluster.stop().await.unwrap();
}
