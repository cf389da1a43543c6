//! How many requests a key may make.

use std::time::Duration;

/// A GCRA quota: a steady `count` requests per `period`, with bursts of up
/// to `burst` requests at once from idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Requests per `period` in the long run.
    pub count: u32,
    /// The period of `count`.
    pub period: Duration,
    /// Requests admitted at once from idle (at least 1).
    pub burst: u32,
}

impl Quota {
    /// `count` per minute, with bursts of `count`.
    pub fn per_minute(count: u32) -> Self {
        Self {
            count: count.max(1),
            period: Duration::from_secs(60),
            burst: count.max(1),
        }
    }

    /// `count` per second, with bursts of `count`.
    pub fn per_second(count: u32) -> Self {
        Self {
            count: count.max(1),
            period: Duration::from_secs(1),
            burst: count.max(1),
        }
    }

    /// The same rate with bursts of `burst`.
    pub fn with_burst(self, burst: u32) -> Self {
        Self {
            burst: burst.max(1),
            ..self
        }
    }

    /// The time one request costs (GCRA's emission interval), in µs.
    pub(crate) fn interval_micros(&self) -> u64 {
        (self.period.as_micros() as u64 / u64::from(self.count.max(1))).max(1)
    }

    /// How far ahead of now the theoretical arrival time may run, in µs.
    pub(crate) fn tolerance_micros(&self) -> u64 {
        self.interval_micros() * u64::from(self.burst.max(1))
    }
}

/// An admitted request, with what the `RateLimit-*` headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// `RateLimit-Limit`: the burst.
    pub limit: u32,
    /// `RateLimit-Remaining`: requests still admitted at once.
    pub remaining: u32,
    /// `RateLimit-Reset`: until the key is back to a full burst.
    pub reset: Duration,
}

/// A refused request: retry after this long (`Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate limited: retry after {retry_after:?}")]
pub struct RetryAfter {
    /// Until the next request would be admitted.
    pub retry_after: Duration,
    /// `RateLimit-Limit`: the burst.
    pub limit: u32,
    /// Until the key is back to a full burst (`RateLimit-Reset`).
    pub reset: Duration,
}

/// One GCRA step: given the key's theoretical arrival time `tat` (µs, 0
/// when unknown) and `now` (µs), the new `tat` when admitted, and the
/// answer. The Redis script does the same arithmetic.
pub(crate) fn gcra(
    quota: &Quota,
    tat: u64,
    now: u64,
) -> (Option<u64>, Result<Admitted, RetryAfter>) {
    let interval = quota.interval_micros();
    let tolerance = quota.tolerance_micros();
    let tat = tat.max(now);
    let new_tat = tat + interval;
    let allow_at = new_tat.saturating_sub(tolerance);
    if allow_at > now {
        let reset = Duration::from_micros(tat - now);
        return (
            None,
            Err(RetryAfter {
                retry_after: Duration::from_micros(allow_at - now),
                limit: quota.burst,
                reset,
            }),
        );
    }
    let remaining = ((now + tolerance - new_tat) / interval) as u32;
    (
        Some(new_tat),
        Ok(Admitted {
            limit: quota.burst,
            remaining,
            reset: Duration::from_micros(new_tat - now),
        }),
    )
}
