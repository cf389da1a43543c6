use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{Backend, GIF_1X1, assert_error, png, spawn_app, spawn_with};

const PHOTO_KEYS: [&str; 11] = [
    "id",
    "user_id",
    "username",
    "caption",
    "url",
    "filename",
    "created_at",
    "like_count",
    "user_liked",
    "width",
    "height",
];

on_each_backend!(upload_on_both_paths_returns_201_and_the_photo_shape);
async fn upload_on_both_paths_returns_201_and_the_photo_shape(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    let response = app
        .upload_to("/api/photos", &user.token, png(3, 2), "first light")
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let photo: Value = response.json().await.unwrap();
    let keys: Vec<&str> = photo
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), PHOTO_KEYS.len(), "{photo}");
    for key in PHOTO_KEYS {
        assert!(photo.get(key).is_some(), "missing {key} in {photo}");
    }
    assert_eq!(photo["id"], 1);
    assert_eq!(photo["user_id"], user.id);
    assert_eq!(photo["username"], "grace");
    assert_eq!(photo["caption"], "first light");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(photo["like_count"], 0);
    assert_eq!(photo["user_liked"], false);
    let filename = photo["filename"].as_str().unwrap();
    assert!(filename.ends_with(".png"));
    assert_eq!(photo["url"], format!("/uploads/{filename}"));
    let created_at = photo["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );

    let gif = app
        .upload_to("/api/upload", &user.token, GIF_1X1.to_vec(), "")
        .await;
    assert_eq!(gif.status(), StatusCode::CREATED);
    let gif: Value = gif.json().await.unwrap();
    assert_eq!(gif["id"], 2);
    assert!(gif["filename"].as_str().unwrap().ends_with(".gif"));

    let fetched: Value = app
        .get("/api/photos/1", &user.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, photo);
}

on_each_backend!(upload_without_caption_field_has_an_empty_caption);
async fn upload_without_caption_field_has_an_empty_caption(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(png(1, 1)).file_name("a.png"),
    );
    let response = app
        .client
        .post(app.at("/api/photos"))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let photo: Value = response.json().await.unwrap();
    assert_eq!(photo["caption"], "");
}

on_each_backend!(non_image_upload_is_415);
async fn non_image_upload_is_415(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    let text = b"#!/bin/sh\necho this is not an image\n".to_vec();
    let response = app
        .upload_to("/api/photos", &user.token, text, "nope")
        .await;
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // Nothing was recorded.
    let feed: Vec<Value> = app
        .get("/api/feed?scope=global", &user.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(feed.is_empty());
}

on_each_backend!(upload_without_a_file_or_not_multipart_is_400);
async fn upload_without_a_file_or_not_multipart_is_400(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    let form = reqwest::multipart::Form::new().text("caption", "no photo here");
    let response = app
        .client
        .post(app.at("/api/photos"))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = assert_error(response, StatusCode::BAD_REQUEST, "missing_file").await;
    assert_eq!(body["field"], "photo");

    let json = app
        .client
        .post(app.at("/api/upload"))
        .bearer_auth(&user.token)
        .json(&serde_json::json!({ "photo": "x" }))
        .send()
        .await
        .unwrap();
    assert_error(json, StatusCode::BAD_REQUEST, "invalid_multipart").await;

    let long_caption = "a".repeat(2201);
    let response = app
        .upload_to("/api/photos", &user.token, png(1, 1), &long_caption)
        .await;
    let body = assert_error(response, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(body["field"], "caption");
}

on_each_backend!(upload_requires_a_token);
async fn upload_requires_a_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(png(1, 1)).file_name("a.png"),
    );
    let response = app
        .client
        .post(app.at("/api/photos"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}

const LIMIT: usize = 64 * 1024;

/// A PNG padded to exactly `len` bytes.
fn png_of_len(len: usize) -> Vec<u8> {
    let mut bytes = png(10, 10);
    bytes.resize(len, 0);
    bytes
}

on_each_backend!(upload_at_the_limit_is_accepted_and_one_byte_more_is_413);
async fn upload_at_the_limit_is_accepted_and_one_byte_more_is_413(backend: Backend) {
    let app = spawn_with(backend, |c| c.http.max_upload_bytes = LIMIT).await;
    let user = app.register("grace").await;
    let at_limit = app
        .upload_to("/api/photos", &user.token, png_of_len(LIMIT), "")
        .await;
    assert_eq!(at_limit.status(), StatusCode::CREATED);
    let over = app
        .upload_to("/api/photos", &user.token, png_of_len(LIMIT + 1), "")
        .await;
    assert_error(over, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

/// Sends a request head and part of a body over raw TCP, never finishing
/// the body, and returns the status line the server answers with.
async fn answer_to_unfinished_upload(
    addr: &str,
    token: &str,
    head_extra: &str,
    body: &[u8],
) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/photos HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
         content-type: multipart/form-data; boundary=XyZ\r\n{head_extra}\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Write what fits; the server may stop reading (and close) at any point.
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server answered while the body was unfinished"
    );
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

on_each_backend!(oversized_streamed_upload_is_413_before_the_body_ends);
async fn oversized_streamed_upload_is_413_before_the_body_ends(backend: Backend) {
    let app = spawn_with(backend, |c| c.http.max_upload_bytes = LIMIT).await;
    let user = app.register("grace").await;
    let addr = app.url.trim_start_matches("http://").to_owned();

    // Chunked body: the multipart preamble, then 1.5x the limit of image
    // bytes, and never the final chunk or closing boundary. A server that
    // buffered the whole body would wait forever.
    let mut part =
        b"--XyZ\r\ncontent-disposition: form-data; name=\"photo\"; filename=\"big.png\"\r\n\
                     content-type: image/png\r\n\r\n"
            .to_vec();
    // More than the limit but less than the whole-request backstop (limit +
    // 64 KiB), so only the streaming check can answer before the body ends.
    part.extend_from_slice(&png_of_len(LIMIT + LIMIT / 2));
    let mut chunked = Vec::new();
    for chunk in part.chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    let status = answer_to_unfinished_upload(
        &addr,
        &user.token,
        "transfer-encoding: chunked\r\n",
        &chunked,
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");

    // A declared length far over the limit is refused without reading the body.
    let status =
        answer_to_unfinished_upload(&addr, &user.token, "content-length: 50000000\r\n", b"").await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");

    // The server is fine afterwards.
    let ok = app
        .upload_to("/api/photos", &user.token, png(2, 2), "")
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
}
