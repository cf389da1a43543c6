//! Rate limits: 429 with `Retry-After` and `RateLimit-*`, the GCRA bound
//! under a burst, sharing through Redis, the loopback exemption, trusted
//! proxies, and `--rate-limit off`.
//!
//! Every test client is on loopback, which is exempt by default: these
//! tests turn `--rate-limit-loopback` on unless they check the exemption.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use minigram_server::{ServerConfig, Switch};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_error, spawn_with};

/// Logins per minute and burst per username in these tests.
const PER_MINUTE: u32 = 60;
const BURST: u32 = 5;

fn small_login_quota(c: &mut ServerConfig) {
    c.rate_limits.include_loopback = true;
    c.rate_limits.auth_user_per_minute = PER_MINUTE;
    c.rate_limits.auth_user_burst = BURST;
    c.rate_limits.auth_ip_per_minute = 100_000;
    c.rate_limits.auth_ip_burst = 100_000;
}

async fn login(app: &TestApp, username: &str) -> Response {
    app.post_json(
        "/api/login",
        &json!({ "username": username, "password": "wrong password" }),
    )
    .await
}

/// Sends `count` logins for one username at once, spread over `apps`;
/// returns (admitted, elapsed).
async fn burst(apps: &[&TestApp], username: &str, count: usize) -> (usize, Duration) {
    let started = Instant::now();
    let responses = join_all((0..count).map(|i| login(apps[i % apps.len()], username))).await;
    let elapsed = started.elapsed();
    let mut admitted = 0;
    for response in responses {
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            check_429(response).await;
        } else {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert!(response.headers().contains_key("ratelimit-remaining"));
            admitted += 1;
        }
    }
    (admitted, elapsed)
}

async fn check_429(response: Response) {
    let headers = response.headers().clone();
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(headers["ratelimit-limit"], BURST.to_string().as_str());
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert!(headers.contains_key("ratelimit-reset"));
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

/// GCRA: at most the burst plus the rate times the time taken (+1 %).
fn bound(elapsed: Duration) -> usize {
    let rate = f64::from(PER_MINUTE) / 60.0;
    ((f64::from(BURST) + rate * elapsed.as_secs_f64()) * 1.01).floor() as usize
}

#[tokio::test]
async fn a_burst_at_ten_times_the_limit_admits_at_most_burst_plus_rate_times_time() {
    let app = spawn_with(Backend::Embedded, small_login_quota).await;
    let (admitted, elapsed) = burst(&[&app], "ann", 10 * BURST as usize).await;
    eprintln!("admitted {admitted} of {} in {elapsed:?}", 10 * BURST);
    assert!(
        admitted >= BURST as usize,
        "the burst itself is admitted: {admitted}"
    );
    assert!(
        admitted <= bound(elapsed),
        "{admitted} > {}",
        bound(elapsed)
    );
    // Another username has its own budget.
    assert_eq!(login(&app, "bob").await.status(), StatusCode::UNAUTHORIZED);
    let metrics: Value = app.get_json("/api/metrics").await;
    assert!(metrics["rate_limit"]["limited"].as_u64().unwrap() > 0);
    let text = app.metrics_text().await;
    assert!(
        text.contains("minigram_rate_limit_limited_total "),
        "{text}"
    );
}

#[cfg(feature = "devcluster")]
#[tokio::test]
async fn the_limit_holds_across_two_instances_sharing_redis() {
    let redis = crate::redis_shared::shared().await;
    let prefix = crate::redis_shared::fresh_prefix();
    let configure = |c: &mut ServerConfig| {
        small_login_quota(c);
        c.cache.redis_url = Some(redis.url().into());
        c.cache.redis_prefix = prefix.clone();
    };
    let a = spawn_with(Backend::Embedded, configure).await;
    let b = spawn_with(Backend::Embedded, configure).await;
    let instance: Value = a.get_json("/api/instance").await;
    assert_eq!(instance["rate_limit"]["backend"], "redis", "{instance}");
    // Connect both limiters to Redis (and load the script) first: a call
    // that misses the limiter's Redis deadline is answered by that
    // instance's own limits (by design), which would let each instance
    // admit its own burst.
    for app in [&a, &b] {
        assert_eq!(
            login(app, "warm-up").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let (admitted, elapsed) = burst(&[&a, &b], "ann", 10 * BURST as usize).await;
    eprintln!(
        "two instances admitted {admitted} of {} in {elapsed:?}",
        10 * BURST
    );
    assert!(
        admitted <= bound(elapsed),
        "{admitted} > {}",
        bound(elapsed)
    );
}

#[tokio::test]
async fn rate_limit_off_limits_nothing() {
    let app = spawn_with(Backend::Embedded, |c| {
        small_login_quota(c);
        c.rate_limits.enabled = Switch::Off;
    })
    .await;
    let (admitted, _) = burst_unchecked(&app, 10 * BURST as usize).await;
    assert_eq!(admitted, 10 * BURST as usize);
    let instance: Value = app.get_json("/api/instance").await;
    assert_eq!(instance["rate_limit"]["enabled"], false);
}

#[tokio::test]
async fn loopback_clients_are_exempt_by_default() {
    let app = spawn_with(Backend::Embedded, |c| {
        small_login_quota(c);
        c.rate_limits.include_loopback = false;
    })
    .await;
    let (admitted, _) = burst_unchecked(&app, 10 * BURST as usize).await;
    assert_eq!(admitted, 10 * BURST as usize);
}

async fn burst_unchecked(app: &TestApp, count: usize) -> (usize, Duration) {
    let started = Instant::now();
    let responses = join_all((0..count).map(|_| login(app, "ann"))).await;
    let admitted = responses
        .iter()
        .filter(|r| r.status() != StatusCode::TOO_MANY_REQUESTS)
        .count();
    (admitted, started.elapsed())
}

/// Logins for distinct usernames, each "from" the given forwarded address.
async fn logins_from(app: &TestApp, forwarded: impl Fn(usize) -> String) -> usize {
    let mut limited = 0;
    for i in 0..10 {
        let response = app
            .client
            .post(app.at("/api/login"))
            .header("x-forwarded-for", forwarded(i))
            .json(&json!({ "username": format!("user{i}"), "password": "wrong password" }))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    limited
}

fn small_ip_quota(c: &mut ServerConfig) {
    c.rate_limits.include_loopback = true;
    c.rate_limits.auth_ip_per_minute = 1;
    c.rate_limits.auth_ip_burst = 3;
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_proxy_is_trusted() {
    // Untrusted peer: every request is 127.0.0.1, whatever it claims.
    let app = spawn_with(Backend::Embedded, small_ip_quota).await;
    assert_eq!(logins_from(&app, |i| format!("198.51.100.{i}")).await, 7);

    // Trusted proxy: the forwarded address is the client.
    let app = spawn_with(Backend::Embedded, |c| {
        small_ip_quota(c);
        c.rate_limits.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(logins_from(&app, |i| format!("198.51.100.{i}")).await, 0);
    assert_eq!(logins_from(&app, |_| "198.51.100.200".into()).await, 7);
    // A client cannot pick its address by prepending one: the rightmost
    // untrusted entry counts.
    assert_eq!(
        logins_from(&app, |i| format!("10.9.9.{i}, 198.51.100.201")).await,
        7
    );
}

#[tokio::test]
async fn writes_are_limited_per_user() {
    let app = spawn_with(Backend::Embedded, |c| {
        c.rate_limits.include_loopback = true;
        c.rate_limits.write_per_minute = 1;
        c.rate_limits.write_burst = 3;
    })
    .await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = app
            .post(&format!("/api/users/{}/follow", bob.id), &ann.token)
            .await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
        } else {
            assert_eq!(response.headers()["ratelimit-limit"], "3");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // Bob's budget is his own; a bad token is 401, not limited.
    assert_eq!(
        app.post(&format!("/api/users/{}/follow", ann.id), &bob.token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post("/api/photos/1/like", "bad-token").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
