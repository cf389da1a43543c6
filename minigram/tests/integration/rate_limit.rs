//! The GCRA limiters: the admitted count under a burst, limits shared
//! through a real Redis, and the in-process fallback when Redis is down.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use minigram::rate_limit::{Quota, RateLimiter};

/// Offers requests at 10x the rate for `run`; returns (admitted, elapsed).
async fn burst(limiters: &[&RateLimiter], key: &str, quota: Quota, run: Duration) -> (u64, f64) {
    let started = Instant::now();
    let offer_every = quota.period / (quota.count * 10);
    let mut admitted = 0;
    let mut i = 0;
    while started.elapsed() < run {
        if limiters[i % limiters.len()].check(key, quota).await.is_ok() {
            admitted += 1;
        }
        i += 1;
        tokio::time::sleep(offer_every).await;
    }
    (admitted, started.elapsed().as_secs_f64())
}

fn bound(quota: Quota, seconds: f64) -> f64 {
    let rate = f64::from(quota.count) / quota.period.as_secs_f64();
    (f64::from(quota.burst) + rate * seconds) * 1.01
}

#[tokio::test]
async fn a_burst_at_ten_times_the_limit_admits_at_most_burst_plus_rate_in_process() {
    let limiter = RateLimiter::in_process();
    let quota = Quota::per_second(50).with_burst(10);
    let (admitted, seconds) = burst(&[&limiter], "k", quota, Duration::from_secs(2)).await;
    assert!(
        admitted as f64 <= bound(quota, seconds),
        "{admitted} in {seconds} s"
    );
    assert!(
        admitted as f64 >= bound(quota, seconds) * 0.7,
        "{admitted} in {seconds} s"
    );
}

#[tokio::test]
async fn refusals_say_when_to_retry_and_admissions_what_remains() {
    let limiter = RateLimiter::in_process();
    let quota = Quota::per_minute(3);
    let first = limiter.check("u", quota).await.unwrap();
    assert_eq!((first.limit, first.remaining), (3, 2));
    limiter.check("u", quota).await.unwrap();
    assert_eq!(limiter.check("u", quota).await.unwrap().remaining, 0);
    let refused = limiter.check("u", quota).await.unwrap_err();
    assert!(refused.retry_after > Duration::from_secs(19));
    assert!(refused.retry_after <= Duration::from_secs(20));
    assert!(limiter.check("other", quota).await.is_ok());
}

#[cfg(feature = "redis")]
mod shared {
    use super::*;
    use minigram_devcluster::RedisServer;

    async fn redis() -> RedisServer {
        RedisServer::start_new()
            .await
            .unwrap_or_else(|e| panic!("these tests need Redis and it could not be started: {e}"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn limits_hold_across_two_instances_sharing_redis() {
        let server = redis().await;
        let a = RateLimiter::redis(&server.url(), "rl:").unwrap();
        let b = RateLimiter::redis(&server.url(), "rl:").unwrap();
        let quota = Quota::per_second(50).with_burst(10);
        let (admitted, seconds) = burst(&[&a, &b], "k", quota, Duration::from_secs(2)).await;
        assert!(
            admitted as f64 <= bound(quota, seconds),
            "{admitted} in {seconds} s"
        );
        assert!(
            admitted as f64 >= bound(quota, seconds) * 0.7,
            "{admitted} in {seconds} s"
        );
        // Shared: a key spent through A is spent through B.
        let quota = Quota::per_minute(2);
        a.check("once", quota).await.unwrap();
        a.check("once", quota).await.unwrap();
        assert!(b.check("once", quota).await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn falls_back_to_in_process_limits_when_redis_is_down() {
        let server = redis().await;
        let limiter = RateLimiter::redis(&server.url(), "rl:").unwrap();
        let quota = Quota::per_minute(3);
        assert!(limiter.check("k", quota).await.is_ok());
        server.stop().await;
        let mut admitted = 0;
        for _ in 0..10 {
            if limiter.check("down", quota).await.is_ok() {
                admitted += 1;
            }
        }
        assert_eq!(
            admitted, 3,
            "the in-process limit holds while Redis is down"
        );
        server.start().await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let started = Instant::now();
        while limiter.redis_state() != Some(minigram::cache::BreakerState::Closed) {
            let _ = limiter.check("probe", quota).await;
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "Redis never used again"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
