//! `--cache tiered` across instances and through a Redis outage.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use minigram_server::CacheMode;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, png, spawn_with, start};
use crate::redis_shared;

/// The bound `/api/instance` documents for other users' writes through
/// another instance (the L1 TTL; in practice the pub/sub delay).
const OTHER_USERS_BOUND: Duration = Duration::from_secs(10);

async fn photo(app: &TestApp, token: &str) -> (u64, bool) {
    let body: Value = app.get("/api/photos/1", token).await.json().await.unwrap();
    (
        body["like_count"].as_u64().unwrap(),
        body["user_liked"].as_bool().unwrap(),
    )
}

/// Two instances on one PostgreSQL database (the primary only, so what is
/// measured is the cache, not replica lag) and one Redis.
async fn two_tiered_instances() -> (TestApp, TestApp) {
    let redis = redis_shared::shared().await;
    let prefix = redis_shared::fresh_prefix();
    let a = spawn_with(Backend::Postgres, |c| {
        c.store.replica_urls.clear();
        c.cache.mode = Some(CacheMode::Tiered);
        c.cache.redis_url = Some(redis.url().into());
        c.cache.redis_prefix = prefix.clone();
        c.logging.instance_id = Some("a".into());
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = a.config.clone();
    config.data_dir.path = dir.path().to_path_buf();
    config.logging.instance_id = Some("b".into());
    let b = start(dir, config).await;
    (a, b)
}

#[tokio::test]
async fn a_like_through_one_instance_is_seen_through_the_other() {
    let (a, b) = two_tiered_instances().await;
    let instance: Value = b.get_json("/api/instance").await;
    assert_eq!(instance["cache"], "tiered");
    assert_eq!(instance["cache_staleness"]["same_instance_ms"], 0);
    assert_eq!(instance["cache_staleness"]["writer_other_instances_ms"], 0);
    assert_eq!(
        instance["cache_staleness"]["other_instances_ms"],
        OTHER_USERS_BOUND.as_millis() as u64
    );

    let ann = a.register("ann").await;
    let bob = a.register("bob").await;
    a.post_photo(&ann, png(1, 1), "").await;
    // Warm B's tiers for both viewers.
    for _ in 0..2 {
        assert_eq!(photo(&b, &bob.token).await, (0, false));
        assert_eq!(photo(&b, &ann.token).await, (0, false));
    }

    let liked = a.post("/api/photos/1/like", &bob.token).await;
    assert_eq!(liked.status(), StatusCode::OK);
    // The writer, through the other instance: at once.
    assert_eq!(photo(&b, &bob.token).await, (1, true));

    // Another user, through the other instance: within the bound.
    let started = Instant::now();
    loop {
        if photo(&b, &ann.token).await == (1, false) {
            break;
        }
        assert!(
            started.elapsed() < OTHER_USERS_BOUND,
            "ann did not see bob's like through B within {OTHER_USERS_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!(
        "other user saw the like through the other instance after {:?}",
        started.elapsed()
    );

    // And the unlike, the same way.
    assert_eq!(
        b.delete("/api/photos/1/like", &bob.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(photo(&a, &bob.token).await, (0, false));

    // The cache figures are in both metrics endpoints.
    let metrics: Value = b.get_json("/api/metrics").await;
    assert_eq!(metrics["cache"]["mode"], "tiered");
    assert!(
        metrics["cache"]["metrics"]["l1_hits_total"]
            .as_f64()
            .is_some(),
        "{metrics}"
    );
    assert!(
        metrics["cache"]["metrics"]["l2_hits_total"]
            .as_f64()
            .is_some(),
        "{metrics}"
    );
    let text = b.metrics_text().await;
    for name in [
        "minigram_cache_l1_hits_total",
        "minigram_cache_l2_misses_total",
        "minigram_cache_l2_breaker_state",
        "minigram_cache_store_reads_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
}

async fn health(app: &TestApp) -> (StatusCode, Value) {
    let response = app.client.get(app.at("/health")).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_redis_under_load_fails_no_request_and_health_recovers() {
    let redis = redis_shared::own().await;
    let app = Arc::new(
        spawn_with(Backend::Embedded, |c| {
            c.cache.mode = Some(CacheMode::Tiered);
            c.cache.redis_url = Some(redis.url().into());
        })
        .await,
    );
    let (status, body) = health(&app).await;
    assert_eq!(
        (status, &body["components"]["cache"]["status"]),
        (StatusCode::OK, &"ok".into()),
        "{body}"
    );
    let mut users = Vec::new();
    for n in 0..8 {
        let user = app.register(&format!("user{n}")).await;
        app.post_photo(&user, png(n + 1, 1), "").await;
        users.push(user);
    }

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (n, user) in users.iter().enumerate() {
        let (app, stop, ok, failed, token) = (
            app.clone(),
            stop.clone(),
            ok.clone(),
            failed.clone(),
            user.token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let photo = (n + i) % 8 + 1;
                let response = match i % 4 {
                    0 => app.post(&format!("/api/photos/{photo}/like"), &token).await,
                    1 => app.get("/api/feed?scope=global", &token).await,
                    2 => {
                        app.delete(&format!("/api/photos/{photo}/like"), &token)
                            .await
                    }
                    _ => app.get(&format!("/api/photos/{photo}"), &token).await,
                };
                if response.status().is_success() {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                    eprintln!("failed: {} {:?}", response.status(), response.text().await);
                }
                i += 1;
            }
        }));
    }

    tokio::time::sleep(Duration::from_millis(500)).await;
    redis.stop().await;
    let started = Instant::now();
    loop {
        let (status, body) = health(&app).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "Redis down must not fail health: {body}"
        );
        if body["components"]["cache"]["status"] == "down" {
            assert_eq!(body["status"], "degraded", "{body}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "health never showed Redis down: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let during = ok.load(Ordering::Relaxed);
    redis.start().await.unwrap();
    let started = Instant::now();
    loop {
        let (_, body) = health(&app).await;
        if body["components"]["cache"]["status"] == "ok" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "health never showed Redis back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("{ok} requests succeeded ({during} before the restart), {failed} failed");
    assert_eq!(failed, 0);
    assert!(ok > 100, "too little load: {ok}");
}
