//! Stops calling a failing dependency for a while, then probes it.

#[cfg(feature = "redis")]
use parking_lot::Mutex;
#[cfg(feature = "redis")]
use std::time::{Duration, Instant};

/// The breaker's state, as reported in metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are skipped until the cool-down ends.
    Open,
    /// One probe call is in flight; the others are skipped.
    HalfOpen,
}

impl BreakerState {
    /// 0 closed, 1 open, 2 half-open: the metric's value.
    pub fn as_gauge(self) -> f64 {
        match self {
            Self::Closed => 0.0,
            Self::Open => 1.0,
            Self::HalfOpen => 2.0,
        }
    }
}

/// When a breaker opens and how long it stays open.
#[cfg(feature = "redis")]
#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    /// Consecutive failures (errors or timeouts) that open the breaker.
    pub failures_to_open: u32,
    /// How long the breaker stays open before one probe call.
    pub cool_down: Duration,
}

#[cfg(feature = "redis")]
impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures_to_open: 3,
            cool_down: Duration::from_millis(500),
        }
    }
}

#[cfg(feature = "redis")]
#[derive(Debug)]
struct Inner {
    state: BreakerState,
    failures: u32,
    opened_at: Instant,
}

/// A circuit breaker: closed, open after `failures_to_open` consecutive
/// failures, half-open (one probe) after the cool-down, closed again on the
/// probe's success.
#[cfg(feature = "redis")]
#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

/// What [`CircuitBreaker::allow`] decided.
#[cfg(feature = "redis")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permit {
    /// Make the call; report its outcome.
    Call,
    /// Make the call as the probe; report its outcome.
    Probe,
    /// Skip the call.
    Skip,
}

#[cfg(feature = "redis")]
impl CircuitBreaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                failures: 0,
                opened_at: Instant::now(),
            }),
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        self.inner.lock().state
    }

    /// Whether to make a call now.
    pub(crate) fn allow(&self) -> Permit {
        let mut inner = self.inner.lock();
        match inner.state {
            BreakerState::Closed => Permit::Call,
            BreakerState::HalfOpen => Permit::Skip,
            BreakerState::Open => {
                if inner.opened_at.elapsed() >= self.config.cool_down {
                    inner.state = BreakerState::HalfOpen;
                    Permit::Probe
                } else {
                    Permit::Skip
                }
            }
        }
    }

    /// Reports a successful call; returns `true` when it closed the breaker.
    pub(crate) fn succeeded(&self) -> bool {
        let mut inner = self.inner.lock();
        inner.failures = 0;
        let reopened = inner.state != BreakerState::Closed;
        inner.state = BreakerState::Closed;
        reopened
    }

    /// Reports a failed call.
    pub(crate) fn failed(&self) {
        let mut inner = self.inner.lock();
        inner.failures = inner.failures.saturating_add(1);
        if inner.state == BreakerState::HalfOpen || inner.failures >= self.config.failures_to_open {
            inner.state = BreakerState::Open;
            inner.opened_at = Instant::now();
        }
    }
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;

    #[test]
    fn opens_after_failures_and_closes_after_a_good_probe() {
        let breaker = CircuitBreaker::new(BreakerConfig {
            failures_to_open: 2,
            cool_down: Duration::ZERO,
        });
        assert_eq!(breaker.allow(), Permit::Call);
        breaker.failed();
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.failed();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.allow(), Permit::Probe);
        assert_eq!(breaker.allow(), Permit::Skip);
        breaker.failed();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert_eq!(breaker.allow(), Permit::Probe);
        assert!(breaker.succeeded());
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
