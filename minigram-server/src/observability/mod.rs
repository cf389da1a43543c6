//! Request metrics, the store and hasher collector, the origin's metric
//! fields and the process's memory, logging setup, error logging.

mod http_metrics;
pub(crate) mod library_collector;
mod log_errors;
mod metrics_history;
mod origin_metrics;
mod process_memory;
pub(crate) mod rate_limit_collector;
mod recent_rate;
mod telemetry;
mod track_requests;

pub use http_metrics::{
    HttpMetrics, IntervalLatency, MetricsSnapshot, RouteInterval, RouteSnapshot,
};
pub(crate) use log_errors::{ErrorCause, log_errors};
pub use metrics_history::{
    HISTORY_CAPACITY, HISTORY_INTERVAL, HistorySample, MetricsHistory, sample_every_second,
};
pub(crate) use origin_metrics::{OriginMetrics, OriginSources};
pub(crate) use process_memory::MemoryUsage;
pub use telemetry::init_logging;
pub use track_requests::track_requests;
