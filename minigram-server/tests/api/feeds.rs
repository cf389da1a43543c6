//! `--feed push` and `--feed hybrid` over HTTP: the home feed comes from
//! timelines fed by the in-process fan-out workers, `/api/instance` and
//! `/health` show the queue and `/metrics` the fan-out figures; unfollows,
//! follows and deletes change the feed at once. On every backend: embedded,
//! PostgreSQL behind the replica router (timelines and the queue in
//! PostgreSQL tables), PostgreSQL under both cache tiers, and PostgreSQL
//! behind the router with the timelines in Redis (`--timeline-redis-url`).

use std::time::Duration;

use minigram_server::config::{FeedMode, ServerConfig};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, TestUser, png, spawn_with};

async fn home_ids(app: &TestApp, user: &TestUser) -> Vec<u64> {
    let response = app.get("/api/feed?limit=100", &user.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Vec<Value> = response.json().await.unwrap();
    page.iter().map(|p| p["id"].as_u64().unwrap()).collect()
}

/// Waits (bounded) until the fan-out queue is empty.
async fn queue_drained(app: &TestApp) {
    for _ in 0..500 {
        let instance = app.get_json("/api/instance").await;
        if instance["feed_status"]["queue_depth"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the fan-out queue did not drain within 5 s");
}

async fn push_feed_is_fanned_out_by_the_workers(backend: Backend, mode: FeedMode, strategy: &str) {
    push_feed_is_fanned_out_by_the_workers_with(backend, mode, strategy, |_| {}).await;
}

async fn push_feed_is_fanned_out_by_the_workers_with(
    backend: Backend,
    mode: FeedMode,
    strategy: &str,
    configure: impl FnOnce(&mut ServerConfig),
) {
    let app = spawn_with(backend, |config| {
        config.feed.mode = mode;
        config.feed.timeline_cap = 4;
        configure(config);
    })
    .await;
    let instance = app.get_json("/api/instance").await;
    assert_eq!(instance["feed"], strategy);
    assert_eq!(instance["feed_status"]["strategy"], strategy);
    assert_eq!(instance["feed_status"]["workers"], 2);
    assert_eq!(instance["feed_status"]["timeline_cap"], 4);

    let grace = app.register("grace").await;
    let alan = app.register("alan").await;
    let follow = app
        .post(&format!("/api/users/{}/follow", grace.id), &alan.token)
        .await;
    assert_eq!(follow.status(), StatusCode::OK);
    let mut posted = Vec::new();
    for i in 0..7 {
        let photo = app.post_photo(&grace, png(i + 1, 1), "fan me out").await;
        posted.push(photo["id"].as_u64().unwrap());
    }
    // The author sees her photos at once, whatever the workers are doing.
    assert_eq!(home_ids(&app, &grace).await[0], posted[6]);
    queue_drained(&app).await;
    posted.reverse();
    // Past the cap of 4: the rest comes from the pull path, seamlessly.
    assert_eq!(home_ids(&app, &alan).await, posted);

    let health = app.get_json("/health").await;
    assert_eq!(health["components"]["feed"]["status"], "ok", "{health}");
    assert_eq!(health["components"]["feed"]["queue_depth"], 0);
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("minigram_fanout_jobs_total{outcome=\"done\"} 7"),
        "{metrics}"
    );
    // The lag is a Prometheus histogram: one observation per done job.
    assert!(
        metrics.contains("minigram_fanout_lag_seconds_count 7\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("minigram_fanout_lag_seconds_bucket{le=\"+Inf\"} 7\n"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("minigram_timeline_reads_total{result=\"hit\"} 0\n"),
        "alan's feed was not read from his timeline: {metrics}"
    );

    // An unfollow takes grace's photos out of alan's feed at once.
    let unfollow = app
        .delete(&format!("/api/users/{}/follow", grace.id), &alan.token)
        .await;
    assert_eq!(unfollow.status(), StatusCode::OK);
    assert_eq!(home_ids(&app, &alan).await, Vec::<u64>::new());
    // Following again brings her older photos back.
    let follow = app
        .post(&format!("/api/users/{}/follow", grace.id), &alan.token)
        .await;
    assert_eq!(follow.status(), StatusCode::OK);
    assert_eq!(home_ids(&app, &alan).await, posted);
    // A delete takes the photo out of every feed.
    let deleted = app
        .delete(&format!("/api/photos/{}", posted[0]), &grace.token)
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(home_ids(&app, &alan).await, posted[1..]);
    assert_eq!(home_ids(&app, &grace).await, posted[1..]);
}

on_each_backend!(tiered push_feeds_are_fanned_out_by_the_workers);
async fn push_feeds_are_fanned_out_by_the_workers(backend: Backend) {
    push_feed_is_fanned_out_by_the_workers(backend, FeedMode::Push, "push").await;
}

on_each_backend!(tiered hybrid_feeds_are_fanned_out_by_the_workers);
async fn hybrid_feeds_are_fanned_out_by_the_workers(backend: Backend) {
    push_feed_is_fanned_out_by_the_workers(backend, FeedMode::Hybrid, "hybrid").await;
}

/// PostgreSQL behind the replica router with the timelines in Redis
/// (`--timeline-redis-url`, the shared test Redis under a fresh prefix).
#[cfg(feature = "devcluster")]
#[tokio::test]
async fn push_feeds_with_timelines_in_redis() {
    redis_timelines_over_http(FeedMode::Push, "push").await;
}

#[cfg(feature = "devcluster")]
#[tokio::test]
async fn hybrid_feeds_with_timelines_in_redis() {
    redis_timelines_over_http(FeedMode::Hybrid, "hybrid").await;
}

#[cfg(feature = "devcluster")]
async fn redis_timelines_over_http(mode: FeedMode, strategy: &str) {
    let redis = crate::redis_shared::shared().await.url();
    let prefix = crate::redis_shared::fresh_prefix();
    push_feed_is_fanned_out_by_the_workers_with(Backend::Postgres, mode, strategy, |config| {
        config.store.timeline_redis_url = Some(redis.into());
        config.store.timeline_redis_prefix = prefix;
    })
    .await;
}

/// A database whose timelines are in PostgreSQL tables refuses a server
/// that would keep them in Redis (and would serve stale feeds beside the
/// first), saying what to do.
#[cfg(feature = "devcluster")]
#[tokio::test]
async fn servers_refuse_to_keep_timelines_where_the_database_does_not() {
    let first = spawn_with(Backend::Postgres, |config| {
        config.feed.mode = FeedMode::Push;
    })
    .await;
    let mut config = first.config.clone();
    config.store.timeline_redis_url = Some(crate::redis_shared::shared().await.url().into());
    config.store.timeline_redis_prefix = crate::redis_shared::fresh_prefix();
    let settings = config.resolve().unwrap();
    let refused = minigram_server::Application::build(&settings).await.err();
    let message = refused.map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("keeps its push/hybrid timelines in postgres")
            && message.contains("DELETE FROM timeline_meta"),
        "{message}"
    );
}

#[tokio::test]
async fn pull_reports_no_queue() {
    let app = spawn_with(Backend::Embedded, |_| {}).await;
    let instance = app.get_json("/api/instance").await;
    assert_eq!(instance["feed_status"]["strategy"], "pull");
    assert!(instance["feed_status"].get("queue_depth").is_none());
}
