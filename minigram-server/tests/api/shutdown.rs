//! Shutdown: a request in flight when shutdown is asked for completes, and
//! every acknowledged write is there after a restart on the same data.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::{Backend, TestUser, eventually, png, spawn_app, start};

/// Starts an upload whose body is sent in two halves; the second half is
/// sent when the returned sender is used (or dropped).
fn slow_upload(
    client: &Client,
    url: String,
    token: &str,
    bytes: Vec<u8>,
) -> (
    mpsc::Sender<Bytes>,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let body = reqwest::Body::wrap_stream(
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) })
            .map(Ok::<Bytes, std::io::Error>),
    );
    let (first, rest) = bytes.split_at(bytes.len() / 2);
    let (first, rest) = (Bytes::copy_from_slice(first), Bytes::copy_from_slice(rest));
    let form = reqwest::multipart::Form::new()
        .text("caption", "in flight")
        .part(
            "photo",
            reqwest::multipart::Part::stream(body).file_name("slow.png"),
        );
    let request = client.post(url).bearer_auth(token).multipart(form).send();
    let handle = tokio::spawn(request);
    let sender = tx.clone();
    tokio::spawn(async move {
        let _ = tx.send(first).await;
    });
    let (rest_tx, mut rest_rx) = mpsc::channel::<Bytes>(1);
    tokio::spawn(async move {
        // Wait for the go-ahead (or the sender's drop), then finish the body.
        let _ = rest_rx.recv().await;
        let _ = sender.send(rest).await;
    });
    (rest_tx, handle)
}

on_each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    in_flight_request_completes_and_acknowledged_writes_survive_restart
);
async fn in_flight_request_completes_and_acknowledged_writes_survive_restart(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    app.post_photo(&ann, png(1, 1), "before").await;
    assert_eq!(
        app.post("/api/photos/1/like", &bob.token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post(&format!("/api/users/{}/follow", ann.id), &bob.token)
            .await
            .status(),
        StatusCode::OK
    );

    let (finish, upload) =
        slow_upload(&Client::new(), app.at("/api/photos"), &ann.token, png(7, 7));
    let state = app.state.clone();
    eventually("the upload to be in flight", || {
        state.metrics().in_flight() >= 1
    })
    .await;

    app.trigger_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // No new connections are accepted while draining.
    let refused = Client::new()
        .get(app.at("/health"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a new connection was served during shutdown"
    );

    finish.send(Bytes::new()).await.unwrap();
    let response = upload.await.unwrap().unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "the in-flight request completed"
    );
    let in_flight_photo: Value = response.json().await.unwrap();
    assert_eq!(in_flight_photo["id"], 2);

    let (dir, config) = app.join().await;
    let app = start(dir, config).await;
    let login: Value = app
        .login("bob", "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let photo: Value = app.get("/api/photos/2", token).await.json().await.unwrap();
    assert_eq!(photo["caption"], "in flight");
    let photo: Value = app.get("/api/photos/1", token).await.json().await.unwrap();
    assert_eq!(
        (photo["like_count"].as_u64(), photo["user_liked"].as_bool()),
        (Some(1), Some(true))
    );
    let feed: Vec<Value> = app.get("/api/feed", token).await.json().await.unwrap();
    assert_eq!(feed.len(), 2, "bob still follows ann");
    // Tokens issued before the restart still work (the secret is kept).
    assert_eq!(
        app.get("/api/feed", &ann.token).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

/// The real binary, killed with SIGTERM.
struct Server {
    child: Child,
    url: String,
}

fn spawn_binary(data_dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minigram-server"))
        .args(["--port", "0", "--log-format", "text", "--log", "info"])
        .arg("--data-dir")
        .arg(data_dir)
        .env("MINIGRAM_HASH_MEMORY_KIB", "64")
        .env("MINIGRAM_HASH_ITERATIONS", "1")
        .env_remove("PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        if let Some((_, rest)) = line.split_once("listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn register(client: &Client, url: &str, name: &str) -> TestUser {
    let response = client
        .post(format!("{url}/api/register"))
        .json(&json!({ "username": name, "email": format!("{name}@example.com"), "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    TestUser {
        id: body["userId"].as_u64().unwrap(),
        username: name.to_owned(),
        token: body["token"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_drains_on_sigterm_exits_zero_and_keeps_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn_binary(dir.path());
    let client = Client::new();
    let ann = register(&client, &server.url, "ann").await;

    let (finish, upload) = slow_upload(
        &client,
        format!("{}/api/photos", server.url),
        &ann.token,
        png(5, 5),
    );
    // Wait until the server counts the upload in flight (plus this probe).
    let mut in_flight = 0;
    for _ in 0..500 {
        let metrics: Value = client
            .get(format!("{}/api/metrics", server.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        in_flight = metrics["http"]["in_flight"].as_i64().unwrap();
        if in_flight >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(in_flight >= 2, "the upload never showed as in flight");

    sigterm(&server.child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    finish.send(Bytes::new()).await.unwrap();
    let response = upload.await.unwrap().unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let status = tokio::task::spawn_blocking(move || server.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status:?}");

    let mut server = spawn_binary(dir.path());
    let photo: Value = client
        .get(format!("{}/api/photos/1", server.url))
        .bearer_auth(&ann.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(photo["caption"], "in flight");
    assert_eq!(photo["user_id"], ann.id);
    sigterm(&server.child);
    let status = tokio::task::spawn_blocking(move || server.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}
