//! The limiter, the quotas and who is exempt.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{Extensions, HeaderMap};
use axum::response::{IntoResponse as _, Response};
use minigram::rate_limit::{Quota, RateLimiter, RetryAfter};

use super::client_ip::ClientIp;
use super::limit_headers::LimitState;
use crate::ApiError;
use crate::config::RateLimitSettings;

/// The server's rate limits (`--rate-limit on`, the default).
///
/// | scope | key | default |
/// | --- | --- | --- |
/// | `POST /api/login`, `POST /api/register` | client IP | 60/min, burst 30 |
/// | the same | username (case-folded) | 10/min, burst 10 |
/// | likes, follows, uploads (and their undo) | signed-in user | 600/min, burst 100 |
///
/// Login and register share the budgets. Clients on loopback are exempt
/// unless `--rate-limit-loopback`.
#[derive(Debug)]
pub struct RateLimits {
    limiter: RateLimiter,
    backend: &'static str,
    pub(crate) auth_ip: Quota,
    pub(crate) auth_user: Quota,
    pub(crate) write: Quota,
    include_loopback: bool,
    client_ip: ClientIp,
    admitted: AtomicU64,
    limited: AtomicU64,
}

impl RateLimits {
    /// The limits `settings` describe over `limiter` (`backend` names it:
    /// `redis` or `in_process`).
    pub(crate) fn new(
        settings: &RateLimitSettings,
        limiter: RateLimiter,
        backend: &'static str,
    ) -> Self {
        Self {
            limiter,
            backend,
            auth_ip: settings.auth_ip,
            auth_user: settings.auth_user,
            write: settings.write,
            include_loopback: settings.include_loopback,
            client_ip: ClientIp::new(settings.trusted_proxies.clone()),
            admitted: AtomicU64::new(0),
            limited: AtomicU64::new(0),
        }
    }

    /// `redis` or `in_process`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Whether loopback clients are limited too.
    pub fn includes_loopback(&self) -> bool {
        self.include_loopback
    }

    /// The limiter's Redis circuit breaker, or `None` when limits are kept
    /// in this process.
    pub fn redis_state(&self) -> Option<minigram::cache::BreakerState> {
        #[cfg(feature = "redis")]
        {
            self.limiter.redis_state()
        }
        #[cfg(not(feature = "redis"))]
        None
    }

    /// Requests admitted and refused by the limits so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.admitted.load(Ordering::Relaxed),
            self.limited.load(Ordering::Relaxed),
        )
    }

    /// The client's address when the request is subject to limits; `None`
    /// for exempt (loopback) clients.
    pub(crate) fn client(&self, extensions: &Extensions, headers: &HeaderMap) -> Option<Limited> {
        let ip = self.client_ip.resolve(extensions, headers);
        match ip {
            Some(ip) if ip.is_loopback() && !self.include_loopback => None,
            ip => Some(Limited { ip }),
        }
    }

    /// Checks every key; the first refusal wins. Returns the state for the
    /// headers, or the 429 to send.
    pub(crate) async fn check(
        &self,
        keys: &[(String, Quota)],
    ) -> Result<Option<LimitState>, Response> {
        let mut state: Option<LimitState> = None;
        for (key, quota) in keys {
            match self.limiter.check(key, *quota).await {
                Ok(admitted) => {
                    let now = LimitState::from(admitted);
                    state = Some(state.map_or(now, |s| s.tighter(now)));
                }
                Err(refused) => {
                    self.limited.fetch_add(1, Ordering::Relaxed);
                    return Err(too_many(refused));
                }
            }
        }
        self.admitted.fetch_add(1, Ordering::Relaxed);
        Ok(state)
    }
}

/// A request subject to the limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limited {
    /// The client's address (`None`: unknown, no per-IP limit).
    pub(crate) ip: Option<IpAddr>,
}

/// The 429: `Retry-After`, the `RateLimit-*` headers, the API's error body.
fn too_many(refused: RetryAfter) -> Response {
    let mut response = ApiError::RateLimited {
        retry_after: refused.retry_after,
    }
    .into_response();
    LimitState::from(refused).write(response.headers_mut());
    response
}
