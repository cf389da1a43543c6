//! # minigram-server
//!
//! The HTTP shell around the [`minigram`] library: the MiniGram API (see
//! `API.md`) on axum, with request ids, tracing, timeouts, body limits,
//! compression, CORS, Prometheus metrics and graceful shutdown.
//!
//! - [`app`] builds the [`axum::Router`] over an [`AppState`]; tests can
//!   drive it without a socket.
//! - [`Application::build`] opens the store, binds (port 0 in tests) and
//!   [`Application::run_until_stopped`] serves until a shutdown future
//!   resolves, drains in-flight requests and closes the store.
//! - [`ServerConfig`] is the clap configuration shared by the binary and
//!   `examples/single_server.rs`.
//!
//! Stores: the embedded store by default; `--store postgres --database-url
//! URL [--replica-url URL]...` for PostgreSQL (a replica router when there
//! are replicas); `--replicas N` starts a local PostgreSQL primary and N
//! streaming replicas under `<data-dir>/postgres` (features `postgres` and
//! `devcluster`, on by default in this crate) and stops them at shutdown.
//! Media always stay on the local filesystem under `--data-dir`.

mod api_error;
mod application;
mod body;
mod config;
mod error_bodies;
mod extract;
mod observability;
mod router;
mod routes;
mod shutdown;
mod state;
mod store_backend;

pub use api_error::{ApiError, ErrorBody};
pub use application::{Application, ServeError, StartError};
pub use config::{
    DEFAULT_PORT, LogFormat, PostgresSource, ReadConsistencyArg, ServerConfig, StoreKind,
};
pub use observability::{HttpMetrics, MetricsSnapshot, RouteSnapshot, init_logging};
pub use router::app;
pub use shutdown::shutdown_signal;
pub use state::{AppState, StateSettings};

/// A random instance name, `mg-` and 8 hex digits.
pub fn instance_id() -> String {
    format!("mg-{:08x}", rand::random::<u32>())
}
