use minigram::Minigram;
use minigram::store::MetricKind;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
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

impl Collector for LibraryCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for metric in self.minigram.store().metrics() {
            match metric.kind {
                MetricKind::Counter => {
                    counter(&mut encoder, metric.name, metric.help, metric.value)?
                }
                MetricKind::Gauge => gauge(&mut encoder, metric.name, metric.help, metric.value)?,
            }
        }
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
