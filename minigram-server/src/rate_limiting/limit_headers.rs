//! The `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! headers (IETF draft `ratelimit-headers`, the form GitHub and Mastodon
//! clients read), in whole seconds rounded up.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use minigram::rate_limit::{Admitted, RetryAfter};

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// What the headers say: the tightest of the keys checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LimitState {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset: Duration,
}

impl From<Admitted> for LimitState {
    fn from(a: Admitted) -> Self {
        Self {
            limit: a.limit,
            remaining: a.remaining,
            reset: a.reset,
        }
    }
}

impl From<RetryAfter> for LimitState {
    fn from(r: RetryAfter) -> Self {
        Self {
            limit: r.limit,
            remaining: 0,
            reset: r.reset,
        }
    }
}

impl LimitState {
    /// The tighter of two states (fewer remaining).
    pub(crate) fn tighter(self, other: Self) -> Self {
        if other.remaining < self.remaining {
            other
        } else {
            self
        }
    }

    /// Writes the three headers.
    pub(crate) fn write(self, headers: &mut HeaderMap) {
        headers.insert(LIMIT, HeaderValue::from(self.limit));
        headers.insert(REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RESET, HeaderValue::from(ceil_secs(self.reset)));
    }
}

/// Whole seconds, rounded up.
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}
