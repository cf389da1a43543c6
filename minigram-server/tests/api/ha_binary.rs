//! The real binary with `--replicas 2 --ha`: it starts etcd and three
//! PostgreSQL nodes under Patroni in its data directory, shows the cluster
//! in `/health` and `/api/instance`, keeps taking writes when the leader's
//! postmaster is killed (each answered either done or 503 with
//! Retry-After, never 500), counts the failover in `/metrics`, and on
//! SIGTERM exits 0 leaving no PostgreSQL, Patroni or etcd process behind.
//!
//! Needs Debian's `patroni` and `etcd-server` besides PostgreSQL
//! (`scripts/test.sh` installs them); without them it fails saying so.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::png;
use crate::server_process::{get_json, spawn_binary, terminate, traversable_data_dir};

const INSTALL_HINT: &str = "`--ha` needs PostgreSQL's server programs and Debian's `patroni` \
     and `etcd-server` packages (`apt-get install -y postgresql patroni etcd-server`, or run \
     scripts/test.sh, which installs them when missing)";

/// Processes whose command line names `dir` (PostgreSQL, Patroni, etcd).
fn processes_under(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let line = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if line.contains(&dir) && !line.contains("minigram-server") {
            found.push(line);
        }
    }
    found
}

/// Waits until `/health` shows a leader (other than `not`) and two
/// healthy replicas; returns the store's health.
async fn wait_for_cluster(client: &Client, url: &str, not: Option<&str>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (status, health) = get_json(client, format!("{url}/health"), None).await;
        let store = &health["components"]["store"];
        let leader = store["cluster"]["leader"].as_str();
        if status == StatusCode::OK
            && leader.is_some()
            && leader != not
            && store["healthy_replicas"] == 2
        {
            return store.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the cluster never showed a new leader and two healthy replicas: {health}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_with_ha_follows_a_failover_and_stops_its_cluster() {
    let (_dir, data_dir) = traversable_data_dir();
    let (child, url) = spawn_binary(
        &["--replicas", "2", "--ha"],
        data_dir.as_path(),
        INSTALL_HINT,
    )
    .await;
    let client = Client::new();

    let store = wait_for_cluster(&client, &url, None).await;
    let cluster = &store["cluster"];
    let members = cluster["members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "{cluster}");
    let leader = cluster["leader"].as_str().unwrap().to_owned();
    let roles: Vec<&str> = members.iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(
        roles.iter().filter(|r| **r == "leader").count(),
        1,
        "{cluster}"
    );
    assert_eq!(
        roles.iter().filter(|r| **r == "replica").count(),
        2,
        "{cluster}"
    );
    assert!(
        members.iter().any(|m| m["synchronous"] == true),
        "synchronous replication names a standby: {cluster}"
    );
    for member in members {
        let address = member["address"].as_str().unwrap();
        assert!(address.starts_with("127.0.0.1:"), "{member}");
    }
    let (_, instance) = get_json(&client, format!("{url}/api/instance"), None).await;
    assert_eq!(instance["store"], "postgres");
    assert_eq!(instance["replicas"], 2);
    assert_eq!(instance["cluster"]["leader"], leader.as_str(), "{instance}");

    // Register and post before the failover.
    let response = client
        .post(format!("{url}/api/register"))
        .json(&json!({ "username": "ada", "email": "ada@example.com", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let session: Value = response.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let post = |caption: &'static str| {
        let form = reqwest::multipart::Form::new()
            .part(
                "photo",
                reqwest::multipart::Part::bytes(png(4, 4))
                    .file_name("p.png")
                    .mime_str("image/png")
                    .unwrap(),
            )
            .text("caption", caption);
        client
            .post(format!("{url}/api/photos"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    assert_eq!(post("before").await.unwrap().status(), StatusCode::CREATED);

    // Kill the leader's postmaster; posts are answered 201 or 503 with
    // Retry-After until one succeeds on the new leader.
    let pid_file = data_dir
        .join("postgres-ha")
        .join(&leader)
        .join("data")
        .join("postmaster.pid");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.lines().next().unwrap().trim().to_owned();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let killed = Instant::now();
    let mut refused = 0;
    loop {
        let response = post("after").await.unwrap();
        match response.status() {
            StatusCode::CREATED => break,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(response.headers().contains_key("retry-after"));
                refused += 1;
            }
            other => panic!(
                "a write during the failover got {other}: {}",
                response.text().await.unwrap()
            ),
        }
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "no write succeeded within 60 s of the kill"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "a post succeeded {:?} after the kill ({refused} answered 503)",
        killed.elapsed()
    );
    let store = wait_for_cluster(&client, &url, Some(&leader)).await;
    assert!(store["cluster"]["failovers"].as_u64() >= Some(1), "{store}");
    let metrics = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metric(&metrics, "minigram_router_failovers_total") >= 1.0);
    let (status, feed) = {
        let response = client
            .get(format!("{url}/api/feed"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    let captions: Vec<&str> = feed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["caption"].as_str())
        .collect();
    assert_eq!(
        captions,
        ["after", "before"],
        "both posts survive the failover once each"
    );

    // SIGTERM: drain, close the store, stop the cluster, exit 0.
    terminate(child).await;
    let left = processes_under(&data_dir);
    assert!(left.is_empty(), "processes still running: {left:?}");
}
