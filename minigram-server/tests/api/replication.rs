//! The server over a PostgreSQL primary and two streaming replicas behind
//! the replica router (what `--replicas 2` runs): `/health` and
//! `/api/instance` report the replication, a down replica degrades the
//! health without failing requests, and a user always reads their own
//! writes under the default read-your-writes consistency.

use minigram_server::ReadConsistencyArg;
use reqwest::StatusCode;
use secrecy::ExposeSecret as _;
use serde_json::Value;

use crate::helpers::{Backend, png, spawn_app, spawn_with};

/// A URL nothing listens on: a replica that is down.
const DOWN_REPLICA: &str = "postgresql://postgres@127.0.0.1:1/minigram";

async fn json(response: reqwest::Response) -> (StatusCode, Value) {
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn health_lists_the_primary_and_each_replica_with_its_lag() {
    let app = spawn_app(Backend::Postgres).await;
    let (status, body) = json(app.client.get(app.at("/health")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok", "{body}");
    let store = &body["components"]["store"];
    assert_eq!(store["kind"], "postgres");
    assert_eq!(store["primary"]["status"], "ok", "{store}");
    assert!(store["primary"]["lsn"].as_u64().is_some(), "{store}");
    assert_eq!(store["healthy_replicas"], 2, "{store}");
    let replicas = store["replicas"].as_array().unwrap();
    assert_eq!(replicas.len(), 2);
    for (replica, url) in replicas.iter().zip(&app.config.store.replica_urls) {
        assert_eq!(replica["state"], "healthy", "{replica}");
        assert_eq!(replica["url"], url.expose_secret());
        assert!(replica["lag_bytes"].is_u64(), "{replica}");
        assert!(replica["lag_ms"].is_u64(), "{replica}");
        assert!(replica["reads"].is_u64(), "{replica}");
    }
}

#[tokio::test]
async fn instance_shows_postgres_its_replicas_and_the_staleness_bound() {
    let app = spawn_with(Backend::Postgres, |c| {
        c.store.read_consistency = ReadConsistencyArg::ReadYourWrites;
        c.store.max_replica_lag_ms = 2_500;
        c.store.sticky_window_secs = 12;
    })
    .await;
    let (_, body) = json(
        app.client
            .get(app.at("/api/instance"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["store"], "postgres");
    assert_eq!(body["replicas"], 2);
    assert_eq!(body["read_consistency"], "read_your_writes");
    assert_eq!(body["staleness_bound_ms"], 2_500);
    assert_eq!(body["sticky_window_ms"], 12_000);

    // Under the contract's rule, every acknowledged write is visible: no
    // staleness.
    let app = spawn_app(Backend::Postgres).await;
    let (_, body) = json(
        app.client
            .get(app.at("/api/instance"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["read_consistency"], "all_writes");
    assert_eq!(body["staleness_bound_ms"], 0);
}

#[tokio::test]
async fn a_down_replica_degrades_health_and_requests_still_succeed() {
    let app = spawn_with(Backend::Postgres, |c| {
        c.store.replica_urls[1] = DOWN_REPLICA.into();
    })
    .await;
    let (status, body) = json(app.client.get(app.at("/health")).send().await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a down replica is not a 503: {body}"
    );
    assert_eq!(body["status"], "degraded", "{body}");
    let store = &body["components"]["store"];
    assert_eq!(store["status"], "ok");
    assert_eq!(store["healthy_replicas"], 1, "{store}");
    assert_eq!(store["replicas"][0]["state"], "healthy", "{store}");
    assert_eq!(store["replicas"][1]["state"], "down", "{store}");
    assert!(
        store["replicas"][1]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{store}"
    );

    let ann = app.register("ann").await;
    app.post_photo(&ann, png(2, 2), "still up").await;
    for _ in 0..20 {
        let (status, feed) = json(app.get("/api/feed", &ann.token).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(feed.as_array().map(Vec::len), Some(1), "{feed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_reads_their_own_writes_at_once_under_read_your_writes() {
    let app = spawn_with(Backend::Postgres, |c| {
        c.store.read_consistency = ReadConsistencyArg::ReadYourWrites;
    })
    .await;
    let ann = app.register("ann").await;
    // Reads of the fresh account must see it, wherever they go.
    let (status, _) = json(app.get(&format!("/api/users/{}", ann.id), &ann.token).await).await;
    assert_eq!(status, StatusCode::OK);
    for i in 1..=25u32 {
        let photo = app.post_photo(&ann, png(i, 3), "mine").await;
        let id = photo["id"].as_u64().unwrap();
        let (status, feed) = json(app.get("/api/feed", &ann.token).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(feed[0]["id"], id, "iteration {i}: own photo missing");
        app.post(&format!("/api/photos/{id}/like"), &ann.token)
            .await;
        let (_, photo) = json(app.get(&format!("/api/photos/{id}"), &ann.token).await).await;
        assert_eq!(photo["user_liked"], true, "iteration {i}: own like missing");
        assert_eq!(photo["like_count"], 1, "iteration {i}");
    }
    let (_, health) = json(app.client.get(app.at("/health")).send().await.unwrap()).await;
    let replica_reads: u64 = health["components"]["store"]["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reads"].as_u64().unwrap())
        .sum();
    assert!(replica_reads > 0, "no read went to a replica: {health}");
}
