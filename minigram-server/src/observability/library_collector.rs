use std::sync::Arc;

use minigram::Minigram;
use minigram::feed::FanoutWorkerPool;
use minigram::store::{MetricKind, StoreMetric};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Reports the library's own figures on each scrape: the store's metrics
/// (writer queue depth, batch sizes, ...) and the password-hash pool.
#[derive(Debug)]
pub(crate) struct LibraryCollector {
    minigram: Minigram,
}

impl LibraryCollector {
    pub(crate) fn new(minigram: Minigram) -> Self {
        Self { minigram }
    }
}

pub(crate) fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: f64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

pub(crate) fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: f64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(value);
    // The encoder appends `_total` to counter names itself.
    let name = name.strip_suffix("_total").unwrap_or(name);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

/// Encodes the store's metrics, one descriptor per family: the series of
/// one name (one per replica, say) are written together under it, in the
/// order their names first appear. A name written twice would be an invalid
/// exposition.
fn encode_store_metrics(
    encoder: &mut DescriptorEncoder,
    metrics: &[StoreMetric],
) -> Result<(), std::fmt::Error> {
    let mut families: Vec<Vec<&StoreMetric>> = Vec::new();
    for metric in metrics {
        match families.iter_mut().find(|f| f[0].name == metric.name) {
            Some(family) => family.push(metric),
            None => families.push(vec![metric]),
        }
    }
    for family in families {
        let first = family[0];
        if first.kind == MetricKind::Histogram {
            // Histograms are written one series each (labels are not
            // supported on them; none has any).
            let metric = BucketCounts(first);
            metric.encode(encoder.encode_descriptor(
                first.name,
                first.help,
                None,
                metric.metric_type(),
            )?)?;
            continue;
        }
        let name = match first.kind {
            // The encoder appends `_total` to counter names itself.
            MetricKind::Counter => first.name.strip_suffix("_total").unwrap_or(first.name),
            MetricKind::Gauge | MetricKind::Histogram => first.name,
        };
        let metric_type = match first.kind {
            MetricKind::Counter => ConstCounter::new(0.0).metric_type(),
            MetricKind::Gauge | MetricKind::Histogram => ConstGauge::new(0.0).metric_type(),
        };
        let mut descriptor = encoder.encode_descriptor(name, first.help, None, metric_type)?;
        if first.labels.is_empty() {
            // A family of one unlabelled series (an empty label set would
            // be written as `{}`).
            match first.kind {
                MetricKind::Counter => ConstCounter::new(first.value).encode(descriptor)?,
                MetricKind::Gauge | MetricKind::Histogram => {
                    ConstGauge::new(first.value).encode(descriptor)?
                }
            }
            continue;
        }
        for series in family {
            let labels: Vec<(&str, &str)> = series
                .labels
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect();
            let sample = descriptor.encode_family(&labels)?;
            match series.kind {
                MetricKind::Counter => ConstCounter::new(series.value).encode(sample)?,
                MetricKind::Gauge | MetricKind::Histogram => {
                    ConstGauge::new(series.value).encode(sample)?
                }
            }
        }
    }
    Ok(())
}

/// A library histogram as prometheus-client encodes one.
#[derive(Debug)]
struct BucketCounts<'a>(&'a StoreMetric);

impl EncodeMetric for BucketCounts<'_> {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_histogram::<NoLabelSet>(self.0.value, self.0.count(), &self.0.buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

impl Collector for LibraryCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode_store_metrics(&mut encoder, &self.minigram.metrics())?;
        let hasher = self.minigram.hasher().stats();
        gauge(
            &mut encoder,
            "minigram_password_hash_running",
            "Password hashes or verifications running now.",
            hasher.running as f64,
        )?;
        gauge(
            &mut encoder,
            "minigram_password_hash_waiting",
            "Callers waiting for a password-hash slot.",
            hasher.waiting as f64,
        )?;
        gauge(
            &mut encoder,
            "minigram_password_hash_capacity",
            "Password hashes that may run at once.",
            hasher.capacity as f64,
        )?;
        gauge(
            &mut encoder,
            "minigram_password_hash_saturation",
            "Share of password-hash slots in use (1 = saturated).",
            hasher.running as f64 / hasher.capacity.max(1) as f64,
        )?;
        counter(
            &mut encoder,
            "minigram_password_hashes_total",
            "Password hashes and verifications completed.",
            hasher.completed as f64,
        )?;
        counter(
            &mut encoder,
            "minigram_password_hash_seconds_total",
            "Time spent hashing and verifying passwords.",
            hasher.busy_micros as f64 / 1e6,
        )?;
        Ok(())
    }
}

/// Reports a worker process's figures on each scrape: its store's and its
/// fan-out workers' (`minigram-server worker`).
#[derive(Debug)]
pub(crate) struct WorkerCollector {
    pool: Arc<FanoutWorkerPool>,
}

impl WorkerCollector {
    pub(crate) fn new(pool: Arc<FanoutWorkerPool>) -> Self {
        Self { pool }
    }
}

impl Collector for WorkerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        encode_store_metrics(&mut encoder, &self.pool.metrics())
    }
}
