//! Rate limiting with GCRA (the generic cell rate algorithm): in-process,
//! or shared through Redis (feature `redis`) with an in-process fallback.
//!
//! ```
//! use minigram::rate_limit::{Quota, RateLimiter};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let limiter = RateLimiter::in_process();
//! let quota = Quota::per_minute(5);
//! for _ in 0..5 {
//!     assert!(limiter.check("login:ip:203.0.113.7", quota).await.is_ok());
//! }
//! let refused = limiter.check("login:ip:203.0.113.7", quota).await.unwrap_err();
//! assert!(refused.retry_after.as_secs() > 0);
//! # }
//! ```

mod local_limiter;
mod quota;
mod rate_limiter;

pub use local_limiter::LocalLimiter;
pub use quota::{Admitted, Quota, RetryAfter};
pub use rate_limiter::RateLimiter;
