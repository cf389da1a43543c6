use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, png, spawn_app};

on_each_backend!(health_reports_each_component);
async fn health_reports_each_component(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.client.get(app.at("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["components"]["store"]["status"], "ok");
    assert_eq!(body["components"]["store"]["kind"], backend.store_name());
    assert_eq!(body["components"]["media"]["status"], "ok");
    assert!(
        body["components"]["password_hasher"]["capacity"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

on_each_backend!(instance_names_itself_its_store_cache_feed_and_hash_parameters);
async fn instance_names_itself_its_store_cache_feed_and_hash_parameters(backend: Backend) {
    let app = spawn_app(backend).await;
    let body: Value = app.get_json("/api/instance").await;
    assert!(body["instance"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["uptime_s"].is_u64());
    assert_eq!(body["store"], backend.store_name());
    // The embedded store defaults to the in-process cache, PostgreSQL to none.
    let cache = match backend.store_name() {
        "embedded" => "memory",
        _ => "none",
    };
    assert_eq!(body["cache"], cache);
    assert_eq!(body["rate_limit"]["enabled"], true);
    assert_eq!(body["rate_limit"]["loopback_exempt"], true);
    assert_eq!(body["feed"], "pull");
    assert_eq!(body["password_hash"]["algorithm"], "argon2id");
    assert_eq!(
        body["password_hash"]["memory_kib"],
        app.config.hashing.memory_kib
    );
}

on_each_backend!(prometheus_metrics_count_requests_by_route_and_status);
async fn prometheus_metrics_count_requests_by_route_and_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    app.post_photo(&user, png(1, 1), "").await;
    app.post("/api/photos/1/like", &user.token).await;
    app.post("/api/photos/1/like", &user.token).await;
    app.post("/api/photos/abc/like", &user.token).await;

    let response = app.client.get(app.at("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("text")
    );
    let text = response.text().await.unwrap();
    let like_ok = r#"minigram_http_requests_total{method="POST",route="/api/photos/{id}/like",status="200"} 2"#;
    assert!(text.contains(like_ok), "{text}");
    let like_bad = r#"minigram_http_requests_total{method="POST",route="/api/photos/{id}/like",status="400"} 1"#;
    assert!(text.contains(like_bad), "{text}");
    assert!(
        text.contains("minigram_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(
        text.contains("minigram_http_requests_in_flight 1"),
        "{text}"
    );
    match backend {
        Backend::Embedded => {
            assert!(text.contains("minigram_writer_queue_depth "), "{text}");
            assert!(text.contains("minigram_writer_max_batch_size "), "{text}");
        }
        #[cfg(feature = "devcluster")]
        Backend::Postgres | Backend::PostgresTiered => {
            assert!(
                text.contains("minigram_router_replica_reads_total "),
                "{text}"
            );
            assert!(
                text.contains(r#"minigram_router_replica_lag_bytes{replica="0"} "#),
                "{text}"
            );
            assert!(text.contains("minigram_router_primary_up 1"), "{text}");
        }
    }
    assert!(
        text.contains("minigram_password_hash_saturation "),
        "{text}"
    );
    // The registration's hash, plus the dummy hash the library computes
    // at start (for unknown users' logins).
    let hashes = text
        .lines()
        .find_map(|l| l.strip_prefix("minigram_password_hashes_total "))
        .and_then(|v| v.parse::<f64>().ok());
    assert!(hashes.is_some_and(|n| n >= 1.0), "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
}

on_each_backend!(json_metrics_give_percentiles_per_route);
async fn json_metrics_give_percentiles_per_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    for _ in 0..5 {
        app.get("/api/feed", &user.token).await;
    }
    let body: Value = app.get_json("/api/metrics").await;
    let routes = body["http"]["routes"].as_array().unwrap();
    let feed = routes
        .iter()
        .find(|r| r["route"] == "/api/feed" && r["method"] == "GET")
        .unwrap();
    assert_eq!(feed["count"], 5);
    assert_eq!(feed["statuses"]["200"], 5);
    let (p50, p99, max) = (
        feed["p50_ms"].as_f64().unwrap(),
        feed["p99_ms"].as_f64().unwrap(),
        feed["max_ms"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p50 <= p99 && p99 <= max * 1.001, "{feed}");
    assert!(body["http"]["requests_total"].as_u64().unwrap() >= 6);
    let store = &body["store"]["metrics"];
    match backend {
        Backend::Embedded => {
            assert!(store["minigram_writer_writes_total"].as_f64().unwrap() >= 1.0);
        }
        #[cfg(feature = "devcluster")]
        Backend::Postgres | Backend::PostgresTiered => {
            let reads = store["minigram_router_primary_reads_total"]
                .as_f64()
                .unwrap()
                + store["minigram_router_replica_reads_total"]
                    .as_f64()
                    .unwrap();
            assert!(reads >= 5.0, "{store}");
        }
    }
    assert!(body["password_hasher"]["capacity"].as_u64().unwrap() >= 1);
}

on_each_backend!(every_response_carries_a_request_id_and_given_ones_are_kept);
async fn every_response_carries_a_request_id_and_given_ones_are_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/", "/health", "/api/feed", "/nope"] {
        let response = app.client.get(app.at(path)).send().await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert!(!id.is_empty(), "{path}");
    }
    let response = app
        .client
        .get(app.at("/health"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
}

on_each_backend!(responses_are_compressed_on_request_and_cors_is_open);
async fn responses_are_compressed_on_request_and_cors_is_open(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.register("grace").await;
    for n in 1..=5 {
        app.post_photo(
            &user,
            png(n, n),
            "a caption long enough to be worth compressing",
        )
        .await;
    }
    let response = app
        .client
        .get(app.at("/api/feed"))
        .bearer_auth(&user.token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.at("/api/feed"))
        .header("origin", "https://example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
}

on_each_backend!(index_page_says_what_runs_and_links_the_endpoints);
async fn index_page_says_what_runs_and_links_the_endpoints(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.client.get(app.at("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    for link in [
        "href=\"/health\"",
        "href=\"/api/instance\"",
        "href=\"/metrics\"",
        "href=\"/api/metrics\"",
    ] {
        assert!(html.contains(link), "{link}");
    }
    assert!(html.contains("minigram-server"));
}

on_each_backend!(history_keeps_one_sample_a_second_with_rates_and_latency);
async fn history_keeps_one_sample_a_second_with_rates_and_latency(backend: Backend) {
    let app = spawn_app(backend).await;
    // Traffic spread over a few sampler ticks.
    for _ in 0..6 {
        for _ in 0..20 {
            app.client.get(app.at("/ping")).send().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    // A tick after the last ping, so every ping is in some sample.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let history = app.get_json("/api/metrics/history").await;
    assert_eq!(history["interval_ms"], 1000);
    assert_eq!(history["capacity"], 600);
    let samples = history["samples"].as_array().unwrap();
    assert!(samples.len() >= 2, "{} samples after 3 s", samples.len());
    let times: Vec<u64> = samples
        .iter()
        .map(|s| s["t_ms"].as_u64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {times:?}"
    );
    // Some second saw the pings: a rate, and /ping's own latency.
    let busy = samples
        .iter()
        .find(|s| s["requests_per_s"].as_f64().unwrap() > 0.0)
        .expect("a sample with requests");
    assert!(busy["p99_ms"].as_f64().is_some());
    let pinged: u64 = samples
        .iter()
        .flat_map(|s| s["routes"].as_array().unwrap())
        .filter(|r| r["route"] == "/ping")
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(pinged, 120, "every ping is in exactly one sample");
    assert!(samples.iter().all(|s| s["server_errors_per_s"] == 0.0));
    // `after` returns only what is newer.
    let last = *times.last().unwrap();
    let newer = app
        .get_json(&format!("/api/metrics/history?after={last}"))
        .await;
    assert!(
        newer["samples"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["t_ms"].as_u64().unwrap() > last)
    );
    // Not a time, negative, or beyond the spec's int64 (Schemathesis
    // found the last accepted when `after` was read as a u64).
    for after in ["soon", "-1", "9223372036854775808"] {
        let url = app.at(&format!("/api/metrics/history?after={after}"));
        let response = app.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "after={after}");
    }
}
