use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use super::library_collector::{counter, gauge};
use crate::RateLimits;

/// Reports the rate limits on each scrape: requests admitted and refused
/// (429) by the limits, and the Redis breaker when they are shared.
#[derive(Debug)]
pub(crate) struct RateLimitCollector {
    limits: Arc<RateLimits>,
}

impl RateLimitCollector {
    pub(crate) fn new(limits: Arc<RateLimits>) -> Self {
        Self { limits }
    }
}

impl Collector for RateLimitCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (admitted, limited) = self.limits.counts();
        counter(
            &mut encoder,
            "minigram_rate_limit_admitted_total",
            "Requests checked against the rate limits and admitted.",
            admitted as f64,
        )?;
        counter(
            &mut encoder,
            "minigram_rate_limit_limited_total",
            "Requests refused with 429 by the rate limits.",
            limited as f64,
        )?;
        if let Some(state) = self.limits.redis_state() {
            gauge(
                &mut encoder,
                "minigram_rate_limit_redis_breaker_state",
                "The rate limiter's Redis circuit breaker: 0 closed, 1 open, 2 half-open.",
                state.as_gauge(),
            )?;
        }
        Ok(())
    }
}
