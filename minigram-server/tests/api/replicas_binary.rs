//! The real binary with `--replicas 2`: it starts a PostgreSQL primary and
//! two streaming replicas under its data directory, serves the API on
//! them, and on SIGTERM drains, exits 0 and leaves no PostgreSQL process
//! behind.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::png;
use crate::pg_cluster::INSTALL_HINT;
use crate::server_process::{get_json, spawn_binary, terminate, traversable_data_dir};

/// Starts `minigram-server --replicas 2 --port 0` on `data_dir` and returns
/// it with its URL, read from its log.
async fn spawn_with_replicas(data_dir: &Path) -> (Child, String) {
    spawn_binary(&["--replicas", "2"], data_dir, INSTALL_HINT).await
}

/// PostgreSQL server processes whose command line names `dir`.
fn postgres_processes_under(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_postgres = args
            .first()
            .is_some_and(|a| a.ends_with("/postgres") || a == "postgres");
        if is_postgres && args.iter().any(|a| a.contains(&dir)) {
            found.push(args.join(" "));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_with_two_replicas_serves_and_stops_its_cluster_on_sigterm() {
    let (_dir, data_dir) = traversable_data_dir();
    let (child, url) = spawn_with_replicas(&data_dir).await;
    let client = Client::new();

    // /health lists the primary and both replicas, healthy.
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        let (status, health) = get_json(&client, format!("{url}/health"), None).await;
        let store = &health["components"]["store"];
        if status == StatusCode::OK && store["healthy_replicas"] == 2 {
            break health;
        }
        assert!(
            Instant::now() < deadline,
            "two healthy replicas never showed: {health}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let store = &health["components"]["store"];
    assert_eq!(store["kind"], "postgres");
    assert_eq!(store["primary"]["status"], "ok", "{store}");
    assert_eq!(store["replicas"].as_array().map(Vec::len), Some(2));
    let (_, instance) = get_json(&client, format!("{url}/api/instance"), None).await;
    assert_eq!(instance["store"], "postgres");
    assert_eq!(instance["replicas"], 2);
    assert_eq!(instance["read_consistency"], "read_your_writes");
    assert_eq!(instance["staleness_bound_ms"], 5_000);

    // Register, post, read the feed.
    let response = client
        .post(format!("{url}/api/register"))
        .json(&json!({ "username": "ada", "email": "ada@example.com", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let session: Value = response.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let form = reqwest::multipart::Form::new()
        .part(
            "photo",
            reqwest::multipart::Part::bytes(png(4, 4))
                .file_name("p.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .text("caption", "on postgres");
    let response = client
        .post(format!("{url}/api/photos"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, feed) = get_json(&client, format!("{url}/api/feed"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(feed[0]["caption"], "on postgres", "{feed}");
    assert!(
        data_dir.join("media").is_dir(),
        "media stay on the local filesystem under --data-dir"
    );
    assert_eq!(postgres_processes_under(&data_dir).len(), 3);

    // SIGTERM: drain, close the store, stop the cluster, exit 0.
    terminate(child).await;
    let left = postgres_processes_under(&data_dir);
    assert!(left.is_empty(), "PostgreSQL still running: {left:?}");
}
