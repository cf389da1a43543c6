use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, assert_error, png, spawn_app};

on_each_backend!(tiered like_and_unlike_are_idempotent_and_report_the_count);
async fn like_and_unlike_are_idempotent_and_report_the_count(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    app.post_photo(&ann, png(1, 1), "").await;

    let like = |token: String| {
        let app = &app;
        async move {
            app.post("/api/photos/1/like", &token)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let liked = json!({ "success": true, "liked": true, "like_count": 1 });
    assert_eq!(like(ann.token.clone()).await, liked);
    assert_eq!(like(ann.token.clone()).await, liked);
    assert_eq!(
        like(bob.token.clone()).await,
        json!({ "success": true, "liked": true, "like_count": 2 })
    );
    let photo: Value = app
        .get("/api/photos/1", &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (photo["like_count"].as_u64(), photo["user_liked"].as_bool()),
        (Some(2), Some(true))
    );

    let unliked = json!({ "success": true, "liked": false, "like_count": 1 });
    for _ in 0..2 {
        let response = app.delete("/api/photos/1/like", &bob.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.json::<Value>().await.unwrap(), unliked);
    }
    let photo: Value = app
        .get("/api/photos/1", &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(photo["user_liked"], false);
}

on_each_backend!(tiered follow_unfollow_profile_and_user_photos);
async fn follow_unfollow_profile_and_user_photos(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    app.post_photo(&ann, png(1, 1), "one").await;
    app.post_photo(&ann, png(1, 2), "two").await;

    for _ in 0..2 {
        let response = app
            .post(&format!("/api/users/{}/follow", ann.id), &bob.token)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({ "success": true, "following": true })
        );
    }
    let profile: Value = app
        .get(&format!("/api/users/{}", ann.id), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        profile,
        json!({ "id": ann.id, "username": "ann", "followers": 1, "following": 0, "photos": 2, "followed_by_me": true })
    );

    let photos: Vec<Value> = app
        .get(&format!("/api/users/{}/photos", ann.id), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    let captions: Vec<&str> = photos
        .iter()
        .map(|p| p["caption"].as_str().unwrap())
        .collect();
    assert_eq!(captions, ["two", "one"]);

    let response = app
        .delete(&format!("/api/users/{}/follow", ann.id), &bob.token)
        .await;
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "success": true, "following": false })
    );
    let profile: Value = app
        .get(&format!("/api/users/{}", ann.id), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            profile["followers"].as_u64(),
            profile["followed_by_me"].as_bool()
        ),
        (Some(0), Some(false))
    );
}

on_each_backend!(tiered home_feed_holds_own_and_followed_photos_global_holds_all);
async fn home_feed_holds_own_and_followed_photos_global_holds_all(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cid = app.register("cid").await;
    app.post_photo(&ann, png(1, 1), "ann").await;
    app.post_photo(&cid, png(1, 2), "cid").await;
    app.post_photo(&bob, png(1, 3), "bob").await;
    app.post(&format!("/api/users/{}/follow", ann.id), &bob.token)
        .await;

    let captions = |feed: Vec<Value>| -> Vec<String> {
        feed.iter()
            .map(|p| p["caption"].as_str().unwrap().to_owned())
            .collect()
    };
    let home: Vec<Value> = app.get("/api/feed", &bob.token).await.json().await.unwrap();
    assert_eq!(captions(home), ["bob", "ann"]);
    let home: Vec<Value> = app
        .get("/api/feed?scope=home", &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(captions(home), ["bob", "ann"]);
    let global: Vec<Value> = app
        .get("/api/feed?scope=global", &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(captions(global), ["bob", "cid", "ann"]);
}

on_each_backend!(self_follow_is_400);
async fn self_follow_is_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.register("ann").await;
    let response = app
        .post(&format!("/api/users/{}/follow", ann.id), &ann.token)
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "self_follow").await;
}

on_each_backend!(bad_ids_are_400_and_unknown_ids_are_404);
async fn bad_ids_are_400_and_unknown_ids_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.register("ann").await;
    for path in [
        "/api/photos/abc/like",
        "/api/photos/0/like",
        "/api/photos/-1/like",
    ] {
        let body = assert_error(
            app.post(path, &ann.token).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        )
        .await;
        assert_eq!(body["field"], "photo_id", "{path}");
    }
    let body = assert_error(
        app.post("/api/users/abc/follow", &ann.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(body["field"], "user_id");
    assert_error(
        app.get("/api/photos/abc", &ann.token).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;

    assert_error(
        app.post("/api/photos/999/like", &ann.token).await,
        StatusCode::NOT_FOUND,
        "photo_not_found",
    )
    .await;
    assert_error(
        app.delete("/api/photos/999/like", &ann.token).await,
        StatusCode::NOT_FOUND,
        "photo_not_found",
    )
    .await;
    assert_error(
        app.get("/api/photos/999", &ann.token).await,
        StatusCode::NOT_FOUND,
        "photo_not_found",
    )
    .await;
    assert_error(
        app.post("/api/users/999/follow", &ann.token).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    )
    .await;
    assert_error(
        app.delete("/api/users/999/follow", &ann.token).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    )
    .await;
    assert_error(
        app.get("/api/users/999", &ann.token).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    )
    .await;
    assert_error(
        app.get("/api/users/999/photos", &ann.token).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    )
    .await;
}
