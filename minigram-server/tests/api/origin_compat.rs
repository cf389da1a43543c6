//! Where the origin's own clients broke against minigram-server, one test
//! each: its stress client reads `/api/metrics` fields minigram lacked, its
//! concurrent client makes 32-character usernames, and its clients and
//! seed user use the 7-character password `test123`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, assert_error, spawn_app, spawn_with};

/// Whether `text` is one or more ASCII digits.
fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// `^\d+\.\d{2}<suffix>$`: the origin's `toFixed(2)` figures.
fn two_decimals_then(text: &str, suffix: &str) -> bool {
    text.strip_suffix(suffix)
        .and_then(|number| number.split_once('.'))
        .is_some_and(|(whole, fraction)| digits(whole) && fraction.len() == 2 && digits(fraction))
}

#[test]
fn the_format_checks_match_what_they_should() {
    assert!(two_decimals_then("12.34", ""));
    assert!(two_decimals_then("0.00%", "%"));
    assert!(two_decimals_then("4.56ms", "ms"));
    for bad in ["12.3", "12.345", ".34", "12", "1e3.00", "-1.00", "12.34ms"] {
        assert!(!two_decimals_then(bad, ""), "{bad}");
    }
    assert!(digits("123") && !digits("") && !digits("12s"));
}

on_each_backend!(tiered metrics_carry_the_origins_fields_with_its_types_and_formats);
async fn metrics_carry_the_origins_fields_with_its_types_and_formats(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/feed", &user.token).await.status(),
            StatusCode::OK
        );
    }
    // An error for `totalErrors`, on the same route.
    assert_eq!(
        app.get("/api/feed", "not-a-token").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let body: Value = app.get_json("/api/metrics").await;

    // Everything minigram reported before is still there.
    for key in ["http", "store", "password_hasher", "cache", "rate_limit"] {
        assert!(body[key].is_object(), "{key} missing: {body}");
    }
    assert!(body["http"]["routes"].is_array(), "{body}");

    // The origin's fields, with its types and formats.
    let text = |key: &str| {
        body[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string: {body}"))
            .to_owned()
    };
    let number = |key: &str| {
        body[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} is not a whole number: {body}"))
    };
    let uptime = text("uptime");
    assert!(
        uptime.strip_suffix('s').is_some_and(digits),
        "uptime {uptime}"
    );
    for (key, suffix) in [
        ("requestsPerSecond", ""),
        ("errorRate", "%"),
        ("avgResponseTime", "ms"),
        ("dbQueriesPerSecond", ""),
    ] {
        let value = text(key);
        assert!(two_decimals_then(&value, suffix), "{key} {value}");
    }
    // Registration, three feeds and the refused one have been answered.
    assert!(number("totalRequests") >= 5, "{body}");
    assert!(number("totalErrors") >= 1, "{body}");
    // This very request is in flight.
    assert!(number("activeConnections") >= 1, "{body}");
    // Registration alone asked the store twice (the name, then the insert).
    let db_queries = number("dbQueries");
    assert!(db_queries >= 2, "{body}");
    assert_eq!(
        body["store"]["metrics"]["minigram_store_operations_total"].as_f64(),
        Some(db_queries as f64),
        "dbQueries is the store's operation counter"
    );

    let memory = &body["memoryUsage"];
    for key in ["rss", "heapTotal", "heapUsed", "external"] {
        assert!(memory[key].is_u64(), "memoryUsage.{key}: {memory}");
    }
    if cfg!(target_os = "linux") {
        let heap_used = memory["heapUsed"].as_u64().unwrap();
        assert!(heap_used > 0, "{memory}");
        assert!(
            heap_used <= memory["heapTotal"].as_u64().unwrap(),
            "{memory}"
        );
    }

    let endpoints = &body["endpoints"];
    assert_eq!(endpoints["GET /api/feed"], 4, "{endpoints}");
    assert_eq!(endpoints["POST /api/register"], 1, "{endpoints}");
}

on_each_backend!(the_origins_generated_usernames_register_up_to_fifty_characters);
async fn the_origins_generated_usernames_register_up_to_fifty_characters(backend: Backend) {
    let app = spawn_app(backend).await;
    // What the origin's concurrent client sends: `concurrent_user_${i}_${Date.now()}`.
    let origin_name = "concurrent_user_12_1764618000000";
    assert_eq!(origin_name.len(), 32);
    let response = app.register_response(origin_name).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], origin_name);
    let login = app.login(origin_name, "correct horse battery").await;
    assert_eq!(login.status(), StatusCode::OK);

    let fifty = format!("u{}", "x".repeat(49));
    assert_eq!(
        app.register_response(&fifty).await.status(),
        StatusCode::CREATED
    );
    let fifty_one = format!("u{}", "x".repeat(50));
    let refused = app.register_response(&fifty_one).await;
    let error = assert_error(refused, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(error["field"], "username", "{error}");
}

on_each_backend!(password_min_length_six_admits_the_origins_test123);
async fn password_min_length_six_admits_the_origins_test123(backend: Backend) {
    let origin_user = json!({
        "username": "testuser",
        "email": "test@example.com",
        "password": "test123",
    });

    // The default, 8 characters, refuses it, naming the field.
    let strict = spawn_app(backend).await;
    let refused = strict.post_json("/api/register", &origin_user).await;
    let error = assert_error(refused, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(error["field"], "password", "{error}");
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("at least 8")),
        "{error}"
    );

    // `--password-min-length 6` admits it, and it logs in.
    let lenient = spawn_with(backend, |config| config.accounts.password_min_length = 6).await;
    let response = lenient.post_json("/api/register", &origin_user).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let login = lenient.login("testuser", "test123").await;
    assert_eq!(login.status(), StatusCode::OK);
    // The new floor still holds.
    let five = lenient
        .post_json(
            "/api/register",
            &json!({ "username": "short_pw", "email": "s@example.com", "password": "12345" }),
        )
        .await;
    let error = assert_error(five, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(error["field"], "password", "{error}");
}
