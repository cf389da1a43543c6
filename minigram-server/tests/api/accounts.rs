use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, assert_error, spawn_app};

on_each_backend!(register_returns_201_with_the_origin_session_shape);
async fn register_returns_201_with_the_origin_session_shape(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.register_response("ada_lovelace").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.unwrap();
    assert!(
        body["token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert_eq!(body["userId"], 1);
    assert_eq!(body["username"], "ada_lovelace");
    assert_eq!(
        body["user"],
        json!({ "id": 1, "username": "ada_lovelace", "email": "ada_lovelace@example.com" })
    );
}

on_each_backend!(tiered login_returns_the_same_shape_and_a_working_token);
async fn login_returns_the_same_shape_and_a_working_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("grace").await;
    let response = app.login("grace", "correct horse battery").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["userId"], 1);
    assert_eq!(body["username"], "grace");
    assert_eq!(body["user"]["email"], "grace@example.com");
    let token = body["token"].as_str().unwrap();
    let feed = app.get("/api/feed", token).await;
    assert_eq!(feed.status(), StatusCode::OK);
}

on_each_backend!(wrong_password_and_unknown_user_get_the_same_401);
async fn wrong_password_and_unknown_user_get_the_same_401(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("grace").await;
    let wrong = app.login("grace", "not the password").await;
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");
    let wrong = assert_error(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let unknown = app.login("nobody_here", "correct horse battery").await;
    let unknown = assert_error(unknown, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    assert_eq!(wrong, unknown);
    // Input that could never be valid is just wrong credentials too.
    let short = app.login("x", "y").await;
    assert_eq!(
        assert_error(short, StatusCode::UNAUTHORIZED, "invalid_credentials").await,
        wrong
    );
}

on_each_backend!(duplicate_username_and_email_are_409_naming_the_field);
async fn duplicate_username_and_email_are_409_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("grace").await;
    let same_name = app
        .post_json(
            "/api/register",
            &json!({ "username": "GRACE", "email": "other@example.com", "password": "correct horse" }),
        )
        .await;
    let body = assert_error(same_name, StatusCode::CONFLICT, "username_taken").await;
    assert_eq!(body["field"], "username");
    let same_email = app
        .post_json(
            "/api/register",
            &json!({ "username": "grace2", "email": "Grace@Example.com", "password": "correct horse" }),
        )
        .await;
    let body = assert_error(same_email, StatusCode::CONFLICT, "email_taken").await;
    assert_eq!(body["field"], "email");
}

on_each_backend!(invalid_fields_are_400_naming_the_field);
async fn invalid_fields_are_400_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (
            json!({ "username": "ab", "email": "a@example.com", "password": "correct horse" }),
            "username",
        ),
        (
            json!({ "username": "bad name!", "email": "a@example.com", "password": "correct horse" }),
            "username",
        ),
        (
            json!({ "username": "alice", "email": "not-an-email", "password": "correct horse" }),
            "email",
        ),
        (
            json!({ "username": "alice", "email": "a@example.com", "password": "short" }),
            "password",
        ),
    ];
    for (body, field) in cases {
        let response = app.post_json("/api/register", &body).await;
        let error = assert_error(response, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert_eq!(error["field"], field, "{body}");
    }
}

on_each_backend!(malformed_json_missing_and_mistyped_fields_are_400_json);
async fn malformed_json_missing_and_mistyped_fields_are_400_json(backend: Backend) {
    let app = spawn_app(backend).await;
    let malformed = app
        .client
        .post(app.at("/api/register"))
        .header("content-type", "application/json")
        .body(r#"{"username": "ada""#)
        .send()
        .await
        .unwrap();
    assert_error(malformed, StatusCode::BAD_REQUEST, "malformed_json").await;

    let missing = app
        .post_json("/api/register", &json!({ "username": "ada" }))
        .await;
    let body = assert_error(missing, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert_eq!(body["field"], "email");

    let mistyped = app
        .post_json(
            "/api/login",
            &json!({ "username": 5, "password": "correct horse" }),
        )
        .await;
    let body = assert_error(mistyped, StatusCode::BAD_REQUEST, "invalid_json").await;
    assert_eq!(body["field"], "username");

    let not_json = app
        .client
        .post(app.at("/api/login"))
        .header("content-type", "text/plain")
        .body("username=ada")
        .send()
        .await
        .unwrap();
    assert_error(not_json, StatusCode::BAD_REQUEST, "invalid_content_type").await;
}

on_each_backend!(logout_revokes_the_token_and_is_idempotent);
async fn logout_revokes_the_token_and_is_idempotent(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    let response = app.post("/api/logout", &user.token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let after = app.get("/api/feed", &user.token).await;
    assert_eq!(after.headers()["www-authenticate"], "Bearer");
    assert_error(after, StatusCode::UNAUTHORIZED, "token_revoked").await;
    let again = app.post("/api/logout", &user.token).await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    // A fresh login still works.
    let login = app.login("grace", "correct horse battery").await;
    assert_eq!(login.status(), StatusCode::OK);
}
