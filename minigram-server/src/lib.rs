//! # minigram-server
//!
//! The HTTP shell around the [`minigram`] library: the MiniGram API (see
//! `docs/api.md`) on axum, with request ids, tracing, timeouts, body limits,
//! compression, CORS, Prometheus metrics and graceful shutdown.
//!
//! - [`app`] builds the [`axum::Router`] over an [`AppState`]; tests can
//!   drive it without a socket.
//! - [`Application::build`] opens the store, binds (port 0 in tests) and
//!   [`Application::run_until_stopped`] serves until a shutdown future
//!   resolves, drains in-flight requests and closes the store.
//! - [`ServerConfig`] is the clap command line, one flag group per concern
//!   ([`config`]); the binary and `examples/single_server.rs` share the
//!   groups. [`ServerConfig::resolve`] turns the flags, once, into the
//!   validated [`ServerSettings`] that [`Application::build`] takes, or a
//!   [`ConfigError`] naming the flags to change.
//!
//! Stores: the embedded store by default; `--store postgres --database-url
//! URL [--replica-url URL]...` for PostgreSQL (a replica router when there
//! are replicas); `--replicas N` starts a local PostgreSQL primary and N
//! streaming replicas under `<data-dir>/postgres` (features `postgres` and
//! `devcluster`, on by default in this crate) and stops them at shutdown.
//! Media always stay on the local filesystem under `--data-dir`.
//!
//! Cache (`--cache none|memory|redis|tiered`, `docs/cache.md`): `memory` by
//! default on the embedded store, `none` on PostgreSQL; `redis` and
//! `tiered` use `--redis-url`, or without it start a local `redis-server`
//! for the server's life. `/health` shows the Redis breaker (down: status
//! `degraded`, still 200), `/api/instance` the mode and staleness bounds,
//! `/metrics` and `/api/metrics` the figures per tier.
//!
//! Rate limits ([`RateLimits`], `--rate-limit on|off`, on by default):
//! login and register per client IP (60/min, burst 30) and per username
//! (10/min, burst 10), writes per signed-in user (600/min, burst 100); 429
//! with `Retry-After` and `RateLimit-*` headers. Shared through Redis when
//! one is in use. Loopback clients are exempt unless
//! `--rate-limit-loopback`; `X-Forwarded-For` counts only from a
//! `--trusted-proxy`.
//!
//! The web app (`docs/web-app.md`): `/` serves an HTML shell and
//! `/assets/{version}/{file}` its CSS and JavaScript modules, compiled in
//! (`web_assets`). Register and login also set an `HttpOnly`,
//! `SameSite=Strict` session cookie holding the token, accepted when no
//! bearer header is sent; writes signed in by it must carry this host's
//! `Origin` (else 403 `csrf_rejected`). Every response carries a strict
//! Content-Security-Policy, `nosniff` and `Referrer-Policy: same-origin`.
//!
//! Accounts (`--password-min-length`, default 8, at least 6): the minimum
//! new passwords need; logins check none. `/api/metrics` also carries the
//! origin's fields (`requestsPerSecond`, `memoryUsage`, ...), mapped in
//! `docs/api.md`, so the origin's own clients run against this server.

mod api_error;
mod application;
mod body;
pub mod config;
mod error_bodies;
mod error_code;
mod extract;
mod observability;
mod openapi;
mod rate_limiting;
mod router;
mod routes;
mod security_headers;
mod shutdown;
mod state;
mod store_backend;
mod web_assets;
mod worker;

pub use api_error::{ApiError, ErrorBody};
pub use application::{Application, ServeError, StartError};
pub use config::{
    CacheMode, ConfigError, DEFAULT_PORT, LogFormat, PostgresSource, ReadConsistencyArg,
    ServerCommand, ServerConfig, ServerSettings, StoreKind, Switch, WorkerFlags, WorkerSettings,
};
pub use error_code::ErrorCode;
pub use observability::{
    HistorySample, HttpMetrics, IntervalLatency, MetricsHistory, MetricsSnapshot, RouteInterval,
    RouteSnapshot, init_logging,
};
pub use rate_limiting::RateLimits;
pub use router::app;
pub use shutdown::shutdown_signal;
pub use state::{AppState, StateSettings};
pub use worker::run_worker;

/// A random instance name, `mg-` and 8 hex digits.
pub fn instance_id() -> String {
    format!("mg-{:08x}", rand::random::<u32>())
}
