//! Rate limiting (GCRA, through [`minigram::rate_limit::RateLimiter`]):
//! logins and registrations per client IP and per username, writes per
//! signed-in user. Refused requests get 429 with `Retry-After`; every
//! limited route also answers `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset`.
//!
//! - [`client_ip`]: who the client is (the socket peer, or
//!   `X-Forwarded-For` from a trusted proxy only);
//! - [`rate_limits`]: the limiter, the quotas and the loopback exemption;
//! - [`limit_headers`]: the `RateLimit-*` headers;
//! - [`auth_limit`] and [`write_limit`]: the middleware.

pub(crate) mod auth_limit;
pub(crate) mod client_ip;
pub(crate) mod limit_headers;
pub(crate) mod rate_limits;
pub(crate) mod write_limit;

pub(crate) use auth_limit::auth_limit;
pub use rate_limits::RateLimits;
pub(crate) use write_limit::write_limit;
