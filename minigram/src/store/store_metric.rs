use std::fmt;

/// Whether a metric only grows, goes up and down, or is a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only grows (Prometheus counter).
    Counter,
    /// Goes up and down (Prometheus gauge).
    Gauge,
    /// Observations counted in buckets (Prometheus histogram):
    /// [`StoreMetric::value`] is their sum, [`StoreMetric::buckets`] the
    /// counts.
    Histogram,
}

/// One figure about a store, named in Prometheus style.
///
/// Metrics of one family share a `name` and differ by `labels` (for
/// example one `minigram_router_replica_lag_bytes` per replica, labelled
/// `replica="0"`, `replica="1"`): names are fixed strings, never built at
/// run time.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreMetric {
    /// Metric name, e.g. `minigram_writer_queue_depth`.
    pub name: &'static str,
    /// One sentence saying what it counts.
    pub help: &'static str,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// Label pairs that tell this series from the others of its family;
    /// empty for a family of one.
    pub labels: Vec<(&'static str, String)>,
    /// Current value (a histogram's: the sum of its observations).
    pub value: f64,
    /// A histogram's buckets: upper bound and the observations above the
    /// previous bound up to it (not cumulative); the last bound is
    /// `f64::INFINITY`. Empty for counters and gauges.
    pub buckets: Vec<(f64, u64)>,
}

impl StoreMetric {
    /// A counter without labels.
    pub fn counter(name: &'static str, help: &'static str, value: u64) -> Self {
        Self::new(name, help, MetricKind::Counter, value as f64)
    }

    /// A counter of a fractional quantity (seconds), without labels.
    pub fn float_counter(name: &'static str, help: &'static str, value: f64) -> Self {
        Self::new(name, help, MetricKind::Counter, value)
    }

    /// A gauge without labels.
    pub fn gauge(name: &'static str, help: &'static str, value: f64) -> Self {
        Self::new(name, help, MetricKind::Gauge, value)
    }

    /// A histogram without labels: the `sum` of the observations and
    /// their counts by bucket (see [`StoreMetric::buckets`]).
    pub fn histogram(
        name: &'static str,
        help: &'static str,
        sum: f64,
        buckets: Vec<(f64, u64)>,
    ) -> Self {
        Self {
            buckets,
            ..Self::new(name, help, MetricKind::Histogram, sum)
        }
    }

    /// A histogram's number of observations (0 for other kinds).
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|(_, n)| n).sum()
    }

    fn new(name: &'static str, help: &'static str, kind: MetricKind, value: f64) -> Self {
        Self {
            name,
            help,
            kind,
            labels: Vec::new(),
            value,
            buckets: Vec::new(),
        }
    }

    /// The same metric with one more label.
    #[must_use]
    pub fn with_label(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.labels.push((key, value.into()));
        self
    }

    /// The series in Prometheus text style: the name, then the labels in
    /// braces when there are any (`minigram_router_replica_healthy{replica="0"}`).
    pub fn series(&self) -> MetricSeries<'_> {
        MetricSeries(self)
    }
}

/// A [`StoreMetric`]'s name and labels, displayed in Prometheus text style.
#[derive(Debug)]
pub struct MetricSeries<'a>(&'a StoreMetric);

impl fmt::Display for MetricSeries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)?;
        if self.0.labels.is_empty() {
            return Ok(());
        }
        f.write_str("{")?;
        for (i, (key, value)) in self.0.labels.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{key}={value:?}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_shows_its_labels_in_prometheus_style() {
        let plain = StoreMetric::gauge("minigram_x", "x", 1.0);
        assert_eq!(plain.series().to_string(), "minigram_x");
        let labelled = StoreMetric::counter("minigram_y_total", "y", 2)
            .with_label("replica", "0")
            .with_label("role", "replica");
        assert_eq!(
            labelled.series().to_string(),
            r#"minigram_y_total{replica="0",role="replica"}"#
        );
    }
}
