use reqwest::StatusCode;

use crate::helpers::{Backend, assert_error, png, spawn_app};

on_each_backend!(uploads_serve_the_bytes_with_type_etag_and_immutable_caching);
async fn uploads_serve_the_bytes_with_type_etag_and_immutable_caching(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    let bytes = png(4, 4);
    let photo = app.post_photo(&user, bytes.clone(), "").await;
    let url = photo["url"].as_str().unwrap();

    let response = app.client.get(app.at(url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let revalidate = app
        .client
        .get(app.at(url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidate.status(), StatusCode::NOT_MODIFIED);
}

on_each_backend!(names_that_are_not_media_keys_are_404);
async fn names_that_are_not_media_keys_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let unknown_key = format!("/uploads/{}.png", "a".repeat(64));
    for path in [
        "/uploads/x.png",
        "/uploads/..%2F..%2Fetc%2Fpasswd",
        "/uploads/..%2Fminigram.redb",
        "/uploads/minigram.redb",
        unknown_key.as_str(),
    ] {
        let response = app.client.get(app.at(path)).send().await.unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "media_not_found").await;
    }
    // Paths with more segments match no route at all.
    let response = app
        .client
        .get(app.at("/uploads/../minigram.redb"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
