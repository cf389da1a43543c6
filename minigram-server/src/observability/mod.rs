//! Request metrics, the store and hasher collector, logging setup, error
//! logging.

mod http_metrics;
pub(crate) mod library_collector;
mod log_errors;
pub(crate) mod rate_limit_collector;
mod recent_rate;
mod telemetry;
mod track_requests;

pub use http_metrics::{HttpMetrics, MetricsSnapshot, RouteSnapshot};
pub(crate) use log_errors::{ErrorCause, log_errors};
pub use telemetry::init_logging;
pub use track_requests::track_requests;
