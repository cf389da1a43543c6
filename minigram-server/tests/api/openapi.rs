//! `GET /api/openapi.json`: the spec is OpenAPI 3.1, describes exactly the
//! routes the router serves (with their methods), and carries the error
//! vocabulary, the bearer scheme and the pagination headers.

use std::collections::{BTreeMap, BTreeSet};

use minigram_server::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_with};

/// The methods a route could be served on.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

async fn spec(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.at("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

/// Path template -> methods, as the spec lists them.
fn operations(spec: &Value) -> BTreeMap<String, BTreeSet<String>> {
    spec["paths"]
        .as_object()
        .expect("the spec has paths")
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter(|key| METHODS.iter().any(|m| m.as_str().eq_ignore_ascii_case(key)))
                .map(|key| key.to_ascii_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// The path templates the router holds. axum has no route listing; its
/// router's `Debug` shows each route's path as a quoted string, which is
/// what this reads. Should axum stop printing them, the set comes back
/// empty and the test fails rather than passing vacuously.
fn router_paths(app: &TestApp) -> BTreeSet<String> {
    let debug = format!("{:?}", minigram_server::app(app.state.clone()));
    debug
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|quoted| quoted.starts_with('/'))
        // The catch-all axum adds for the fallback, not a route.
        .filter(|path| !path.contains("__private__axum"))
        .map(str::to_owned)
        .collect()
}

/// A concrete URL path for a template: `1` for ids, a file name for media
/// and assets, `0` for the asset version.
fn concrete(template: &str) -> String {
    template
        .replace("{id}", "1")
        .replace("{file}", "nothing.jpg")
        .replace("{version}", "0")
}

#[tokio::test]
async fn the_spec_is_openapi_3_1_and_covers_exactly_the_routes_served() {
    let app = spawn_app(Backend::Embedded).await;
    let spec = spec(&app).await;
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));
    let described = operations(&spec);
    let served = router_paths(&app);
    assert!(
        served.contains("/api/feed") && served.len() > 10,
        "could not read the router's routes from its Debug output: {served:?}"
    );
    let described_paths: BTreeSet<String> = described.keys().cloned().collect();
    assert_eq!(served, described_paths, "router paths vs spec paths");

    // Each method of each path: described ⇔ routed (an undescribed method
    // is axum's 405; a described one reaches its handler, whatever the
    // handler then answers).
    for (template, methods) in &described {
        let url = app.at(&concrete(template));
        for method in METHODS {
            let response = app
                .client
                .request(method.clone(), &url)
                .send()
                .await
                .unwrap();
            let status = response.status();
            if methods.contains(method.as_str()) {
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template}"
                );
                if status == StatusCode::NOT_FOUND {
                    let body: Value = response.json().await.unwrap();
                    assert_ne!(
                        body["code"], "not_found",
                        "{method} {template} hit no route"
                    );
                }
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_error_code_and_the_error_body_are_in_the_spec() {
    let app = spawn_app(Backend::Embedded).await;
    let spec = spec(&app).await;
    let schemas = &spec["components"]["schemas"];
    let in_spec: BTreeSet<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum of strings")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let in_code: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(in_spec, in_code);
    let error = &schemas["Error"];
    assert_eq!(
        error["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let required: BTreeSet<&str> = error["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, BTreeSet::from(["code", "error"]));
}

#[tokio::test]
async fn operations_describe_their_auth_errors_and_pages() {
    let app = spawn_app(Backend::Embedded).await;
    let spec = spec(&app).await;
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut authenticated = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if secured {
                authenticated += 1;
                let unauthorized = &responses["401"];
                assert_eq!(
                    unauthorized["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{method} {path}"
                );
                assert!(unauthorized["headers"].get("WWW-Authenticate").is_some());
            }
            if operation.get("requestBody").is_some() {
                assert!(responses.contains_key("400"), "{method} {path}: no 400");
                assert!(responses.contains_key("413"), "{method} {path}: no 413");
            }
            if path.contains("{id}") {
                assert!(responses.contains_key("400"), "{method} {path}: bad id");
                assert!(responses.contains_key("404"), "{method} {path}: unknown id");
            }
        }
    }
    assert!(
        authenticated >= 10,
        "{authenticated} authenticated operations"
    );
    for list in ["/api/feed", "/api/users/{id}/photos"] {
        let ok = &spec["paths"][list]["get"]["responses"]["200"];
        assert!(ok["headers"].get("x-next-cursor").is_some(), "{list}");
        assert!(ok["headers"].get("Link").is_some(), "{list}");
        assert_eq!(
            ok["content"]["application/json"]["schema"]["items"]["$ref"],
            "#/components/schemas/Photo"
        );
    }
}

#[tokio::test]
async fn the_password_minimum_in_the_spec_is_the_configured_one() {
    let app = spawn_with(Backend::Embedded, |c| c.accounts.password_min_length = 6).await;
    let spec = spec(&app).await;
    let password = &spec["components"]["schemas"]["RegisterRequest"]["properties"]["password"];
    assert_eq!(password["minLength"], 6);
    assert_eq!(password["maxLength"], 1024);
}
