use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, assert_error, spawn_app};

on_each_backend!(unknown_route_is_404_json_and_wrong_method_is_405_json);
async fn unknown_route_is_404_json_and_wrong_method_is_405_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.at("/api/nothing/here"))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.client.put(app.at("/api/feed")).send().await.unwrap();
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

on_each_backend!(a_closed_store_is_503_with_retry_after_and_the_request_id);
async fn a_closed_store_is_503_with_retry_after_and_the_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    assert_eq!(
        app.client
            .get(app.at("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // Break the store on purpose.
    app.state.minigram().close().await.unwrap();

    let health = app.client.get(app.at("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["components"]["store"]["status"], "down");

    let response = app.get("/api/feed", &user.token).await;
    assert!(response.headers().contains_key("retry-after"));
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = assert_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert_eq!(body["request_id"], request_id);
    // Generic: no store detail leaks.
    assert!(
        !body["error"].as_str().unwrap().contains("closed"),
        "{body}"
    );

    let register = app.register_response("newcomer").await;
    assert_error(register, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
}

on_each_backend!(pagination_parameters_are_checked);
async fn pagination_parameters_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=-3", "limit"),
        // Beyond the spec's int64 (found by Schemathesis: it was capped).
        ("limit=9223372036854775808", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("scope=everything", "scope"),
    ] {
        let response = app.get(&format!("/api/feed?{query}"), &user.token).await;
        let body = assert_error(response, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert_eq!(body["field"], field, "{query}");
    }
    // Over the cap is capped, not refused; an empty cursor is the first page.
    for query in ["limit=1000", "limit=9223372036854775807", "cursor="] {
        let response = app.get(&format!("/api/feed?{query}"), &user.token).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
    }
}
