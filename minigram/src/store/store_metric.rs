/// Whether a metric only grows or goes up and down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only grows (Prometheus counter).
    Counter,
    /// Goes up and down (Prometheus gauge).
    Gauge,
}

/// One figure about a store, named in Prometheus style.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreMetric {
    /// Metric name, e.g. `minigram_writer_queue_depth`.
    pub name: &'static str,
    /// One sentence saying what it counts.
    pub help: &'static str,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// Current value.
    pub value: f64,
}
