//! The origin's "realistic user", unchanged in shape: register, login,
//! 3 x feed, like photos 1, 2, 3, follow user (i % 10) + 1.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, png, spawn_app};

const USERS: usize = 50;

async fn origin_user(client: Client, base: String, i: usize) -> Vec<(String, StatusCode)> {
    let mut log = Vec::new();
    let username = format!("sim_user_{i}");
    let register = client
        .post(format!("{base}/api/register"))
        .json(&json!({ "username": username, "email": format!("{username}@example.com"), "password": "password123" }))
        .send()
        .await
        .unwrap();
    log.push(("register".to_owned(), register.status()));
    let login = client
        .post(format!("{base}/api/login"))
        .json(&json!({ "username": username, "password": "password123" }))
        .send()
        .await
        .unwrap();
    log.push(("login".to_owned(), login.status()));
    let token = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        let feed = client
            .get(format!("{base}/api/feed"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        log.push(("feed".to_owned(), feed.status()));
    }
    for photo in 1..=3 {
        let like = client
            .post(format!("{base}/api/photos/{photo}/like"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        log.push((format!("like {photo}"), like.status()));
    }
    let followee = (i % 10) + 1;
    let follow = client
        .post(format!("{base}/api/users/{followee}/follow"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    log.push((format!("follow {followee}"), follow.status()));
    log
}

on_each_backend!(
    tiered
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    fifty_concurrent_origin_users_all_succeed
);
async fn fifty_concurrent_origin_users_all_succeed(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut seed_users = Vec::new();
    for n in 1..=10 {
        seed_users.push(app.register(&format!("seed_{n}")).await);
    }
    for n in 1..=3 {
        app.post_photo(&seed_users[0], png(n, n), "seed").await;
    }

    let tasks: Vec<_> = (0..USERS)
        .map(|i| tokio::spawn(origin_user(app.client.clone(), app.url.clone(), i)))
        .collect();
    let mut operations = 0;
    for task in tasks {
        for (operation, status) in task.await.unwrap() {
            assert!(status.is_success(), "{operation}: {status}");
            operations += 1;
        }
    }
    assert_eq!(operations, USERS * 9);

    let viewer = &seed_users[1].token;
    for photo in 1..=3 {
        let body: Value = app
            .get(&format!("/api/photos/{photo}"), viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["like_count"], USERS as u64);
    }
    let mut followers = 0;
    for user in 1..=10 {
        let body: Value = app
            .get(&format!("/api/users/{user}"), viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["followers"], (USERS / 10) as u64);
        followers += body["followers"].as_u64().unwrap();
    }
    assert_eq!(followers, USERS as u64);
}
