use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, png, spawn_app};

/// The URL inside `Link: <url>; rel="next"`.
fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    Some(link.split_once('<')?.1.split_once('>')?.0.to_owned())
}

async fn ids_of(response: reqwest::Response) -> Vec<u64> {
    let page: Vec<Value> = response.json().await.unwrap();
    page.iter().map(|p| p["id"].as_u64().unwrap()).collect()
}

on_each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    paging_while_photos_are_posted_neither_repeats_nor_skips
);
async fn paging_while_photos_are_posted_neither_repeats_nor_skips(backend: Backend) {
    let app = spawn_app(backend).await;
    let reader = app.register("reader").await;
    let poster = app.register("poster").await;
    for n in 1..=30 {
        app.post_photo(&poster, png(n, 1), "").await;
    }

    let posting = {
        let app_url = app.url.clone();
        let token = poster.token.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 31..=50u32 {
                let form = reqwest::multipart::Form::new().part(
                    "photo",
                    reqwest::multipart::Part::bytes(png(n, 2)).file_name("p.png"),
                );
                let response = client
                    .post(format!("{app_url}/api/photos"))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
            }
        })
    };

    let mut seen = Vec::new();
    let mut url = app.at("/api/feed?scope=global&limit=7");
    let mut pages = 0;
    loop {
        let response = app
            .client
            .get(&url)
            .bearer_auth(&reader.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let next = next_link(&response);
        let cursor = response
            .headers()
            .get("x-next-cursor")
            .map(|c| c.to_str().unwrap().to_owned());
        assert_eq!(
            next.is_some(),
            cursor.is_some(),
            "Link and x-next-cursor go together"
        );
        if let (Some(next), Some(cursor)) = (&next, &cursor) {
            assert!(next.contains(&format!("cursor={cursor}")), "{next}");
        }
        let ids = ids_of(response).await;
        pages += 1;
        seen.extend(ids);
        match next {
            Some(next) => url = app.at(&next),
            None => break,
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    posting.await.unwrap();

    let newest = seen[0];
    assert!(newest >= 30);
    let expected: Vec<u64> = (1..=newest).rev().collect();
    assert_eq!(seen, expected, "newest first, no repeats, no gaps");
    assert_eq!(pages, newest.div_ceil(7));
}

async fn check_user_photos_pages(app: &TestApp, token: &str, author: u64, total: u64) {
    let mut url = app.at(&format!("/api/users/{author}/photos?limit=4"));
    let mut seen = Vec::new();
    loop {
        let response = app
            .client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let next = next_link(&response);
        seen.extend(ids_of(response).await);
        match next {
            Some(next) => url = app.at(&next),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, total);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "{seen:?}");
}

on_each_backend!(home_feed_and_user_photos_page_with_cursors);
async fn home_feed_and_user_photos_page_with_cursors(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    for n in 1..=9 {
        let author = if n % 2 == 0 { &ann } else { &bob };
        app.post_photo(author, png(n, 3), "").await;
    }
    app.post(&format!("/api/users/{}/follow", bob.id), &ann.token)
        .await;

    // Home feed of ann: all 9 (her own and bob's), two pages of 5 and 4.
    let first = app.get("/api/feed?limit=5", &ann.token).await;
    let cursor = first.headers()["x-next-cursor"]
        .to_str()
        .unwrap()
        .to_owned();
    let first = ids_of(first).await;
    assert_eq!(first, [9, 8, 7, 6, 5]);
    let second = app
        .get(&format!("/api/feed?limit=5&cursor={cursor}"), &ann.token)
        .await;
    assert!(second.headers().get("x-next-cursor").is_none());
    assert_eq!(ids_of(second).await, [4, 3, 2, 1]);

    check_user_photos_pages(&app, &ann.token, bob.id, 5).await;
}
