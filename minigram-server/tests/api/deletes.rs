//! `DELETE /api/photos/{id}`: the author only, and afterwards the photo is
//! in no feed, page, cache or media URL.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, TestUser, assert_error, png, spawn_app};

/// The photo ids of a feed page.
async fn feed_ids(app: &TestApp, user: &TestUser, query: &str) -> Vec<u64> {
    let response = app.get(&format!("/api/feed?{query}"), &user.token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Vec<Value> = response.json().await.unwrap();
    page.iter().map(|p| p["id"].as_u64().unwrap()).collect()
}

on_each_backend!(tiered the_author_deletes_a_photo_and_it_is_gone_everywhere);
async fn the_author_deletes_a_photo_and_it_is_gone_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let grace = app.register("grace").await;
    let alan = app.register("alan").await;
    let doomed = app.post_photo(&grace, png(3, 2), "doomed").await;
    let kept = app.post_photo(&grace, png(4, 4), "kept").await;
    let (doomed_id, kept_id) = (doomed["id"].as_u64().unwrap(), kept["id"].as_u64().unwrap());
    let follow = app
        .post(&format!("/api/users/{}/follow", grace.id), &alan.token)
        .await;
    assert_eq!(follow.status(), StatusCode::OK);
    let like = app
        .post(&format!("/api/photos/{doomed_id}/like"), &alan.token)
        .await;
    assert_eq!(like.status(), StatusCode::OK);
    // Read first, so a cache tier holds the photo, the feeds and the count.
    assert_eq!(
        feed_ids(&app, &alan, "scope=home").await,
        [kept_id, doomed_id]
    );
    let path = format!("/api/photos/{doomed_id}");
    assert_eq!(app.get(&path, &alan.token).await.status(), StatusCode::OK);

    let refused = app.delete(&path, &alan.token).await;
    assert_error(refused, StatusCode::FORBIDDEN, "not_author").await;
    assert_eq!(app.get(&path, &alan.token).await.status(), StatusCode::OK);
    let anonymous = app.client.delete(app.at(&path)).send().await.unwrap();
    assert_error(anonymous, StatusCode::UNAUTHORIZED, "missing_token").await;

    let deleted = app.delete(&path, &grace.token).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(deleted.bytes().await.unwrap().is_empty());

    for user in [&grace, &alan] {
        assert_error(
            app.get(&path, &user.token).await,
            StatusCode::NOT_FOUND,
            "photo_not_found",
        )
        .await;
        assert_eq!(feed_ids(&app, user, "scope=home").await, [kept_id]);
        assert_eq!(feed_ids(&app, user, "scope=global").await, [kept_id]);
        let profile = app
            .get(&format!("/api/users/{}", grace.id), &user.token)
            .await;
        let profile: Value = profile.json().await.unwrap();
        assert_eq!(profile["photos"], 1, "{profile}");
    }
    let file = app
        .client
        .get(app.at(doomed["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_error(file, StatusCode::NOT_FOUND, "media_not_found").await;
    let other = app
        .client
        .get(app.at(kept["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    let like_again = app
        .post(&format!("/api/photos/{doomed_id}/like"), &alan.token)
        .await;
    assert_error(like_again, StatusCode::NOT_FOUND, "photo_not_found").await;
    let again = app.delete(&path, &grace.token).await;
    assert_error(again, StatusCode::NOT_FOUND, "photo_not_found").await;
    // The next photo gets a new id, never the deleted one's.
    let next = app.post_photo(&grace, png(5, 5), "next").await;
    assert!(next["id"].as_u64().unwrap() > kept_id, "{next}");
}

on_each_backend!(bad_and_unknown_ids_are_refused);
async fn bad_and_unknown_ids_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let grace = app.register("grace").await;
    let bad = app.delete("/api/photos/abc", &grace.token).await;
    let body = assert_error(bad, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(body["field"], "photo_id");
    let zero = app.delete("/api/photos/0", &grace.token).await;
    assert_error(zero, StatusCode::BAD_REQUEST, "invalid_input").await;
    let unknown = app.delete("/api/photos/4242", &grace.token).await;
    assert_error(unknown, StatusCode::NOT_FOUND, "photo_not_found").await;
}

/// Two photos of the same bytes share one file: it stays until the last
/// of them is deleted.
#[tokio::test]
async fn a_shared_media_file_stays_until_its_last_photo_is_deleted() {
    let app = spawn_app(Backend::Embedded).await;
    let grace = app.register("grace").await;
    let first = app.post_photo(&grace, png(6, 6), "one").await;
    let second = app.post_photo(&grace, png(6, 6), "two").await;
    assert_eq!(first["url"], second["url"]);
    let url = first["url"].as_str().unwrap();
    let delete = |photo: &Value| format!("/api/photos/{}", photo["id"]);
    assert_eq!(
        app.delete(&delete(&first), &grace.token).await.status(),
        StatusCode::NO_CONTENT
    );
    let file = app.client.get(app.at(url)).send().await.unwrap();
    assert_eq!(
        file.status(),
        StatusCode::OK,
        "the second photo still uses it"
    );
    assert_eq!(
        app.delete(&delete(&second), &grace.token).await.status(),
        StatusCode::NO_CONTENT
    );
    let file = app.client.get(app.at(url)).send().await.unwrap();
    assert_error(file, StatusCode::NOT_FOUND, "media_not_found").await;
}
