//! Per-operation latency histograms and failure counts.
//!
//! Each simulated user records into its own `Recorder`; they are merged at
//! the end, so recording takes no lock.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::client::{CallError, Failure};

/// Latencies are recorded in microseconds, from 1 µs to 1 hour, with 3
/// significant digits.
const MAX_MICROS: u64 = 3_600_000_000;

/// One operation's figures.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Latency of every attempt that ended (success or failure), in µs.
    pub latency: Histogram<u64>,
    /// Operations that succeeded.
    pub succeeded: u64,
    /// Operations that failed.
    pub failed: u64,
}

impl OpStats {
    fn new() -> Self {
        Self {
            latency: new_histogram(),
            succeeded: 0,
            failed: 0,
        }
    }

    /// All operations, succeeded or failed.
    pub fn count(&self) -> u64 {
        self.succeeded + self.failed
    }

    /// The latency at `quantile` (0-1) in milliseconds.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    /// The largest latency in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

/// A histogram with the range every recorder uses.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3)
        .expect("constant bounds within HdrHistogram's limits")
}

/// Records operations.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Figures per operation name.
    pub ops: BTreeMap<String, OpStats>,
    /// Failures per (operation, cause).
    pub failures: BTreeMap<(String, Failure), u64>,
    /// Retries after 429/503 across all operations.
    pub retries: u64,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one operation that took `elapsed` and ended with `result`.
    pub fn record<T>(
        &mut self,
        op: &str,
        elapsed: Duration,
        result: &Result<crate::client::Answer<T>, CallError>,
    ) {
        let stats = self.ops.entry(op.to_owned()).or_insert_with(OpStats::new);
        stats.latency.saturating_record(
            u64::try_from(elapsed.as_micros())
                .unwrap_or(MAX_MICROS)
                .max(1),
        );
        match result {
            Ok(answer) => {
                stats.succeeded += 1;
                self.retries += u64::from(answer.retries);
            }
            Err(error) => {
                stats.failed += 1;
                self.retries += u64::from(error.retries);
                *self
                    .failures
                    .entry((op.to_owned(), error.failure.clone()))
                    .or_insert(0) += 1;
            }
        }
    }

    /// Adds another recorder's figures to this one.
    pub fn merge(&mut self, other: &Recorder) {
        for (op, stats) in &other.ops {
            let mine = self.ops.entry(op.clone()).or_insert_with(OpStats::new);
            // Same bounds on both sides, so adding cannot fail.
            let _ = mine.latency.add(&stats.latency);
            mine.succeeded += stats.succeeded;
            mine.failed += stats.failed;
        }
        for (key, count) in &other.failures {
            *self.failures.entry(key.clone()).or_insert(0) += count;
        }
        self.retries += other.retries;
    }

    /// Operations recorded.
    pub fn total(&self) -> u64 {
        self.ops.values().map(OpStats::count).sum()
    }

    /// Operations that failed.
    pub fn failed(&self) -> u64 {
        self.ops.values().map(|s| s.failed).sum()
    }

    /// Succeeded / total (1 when nothing ran).
    pub fn success_rate(&self) -> f64 {
        match self.total() {
            0 => 1.0,
            total => (total - self.failed()) as f64 / total as f64,
        }
    }

    /// All operations' latencies together.
    pub fn overall(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for stats in self.ops.values() {
            let _ = all.add(&stats.latency);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::client::Answer;

    fn ok() -> Result<Answer<()>, CallError> {
        Ok(Answer {
            value: (),
            retries: 0,
        })
    }

    #[test]
    fn percentiles_come_from_the_recorded_distribution() {
        let mut recorder = Recorder::new();
        for ms in 1..=100 {
            recorder.record("feed", Duration::from_millis(ms), &ok());
        }
        let feed = &recorder.ops["feed"];
        assert_eq!(feed.count(), 100);
        assert!(
            (feed.quantile_ms(0.5) - 50.0).abs() < 0.1,
            "{}",
            feed.quantile_ms(0.5)
        );
        assert!(
            (feed.quantile_ms(0.99) - 99.0).abs() < 0.1,
            "{}",
            feed.quantile_ms(0.99)
        );
        assert!((feed.max_ms() - 100.0).abs() < 0.1);
    }

    #[test]
    fn failures_are_grouped_by_operation_and_cause_and_merged() {
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        let not_found: Result<Answer<()>, CallError> = Err(CallError {
            failure: Failure::Status(404),
            retries: 2,
        });
        a.record("like", Duration::from_millis(1), &not_found);
        b.record("like", Duration::from_millis(1), &not_found);
        b.record("like", Duration::from_millis(1), &ok());
        a.merge(&b);
        assert_eq!(a.total(), 3);
        assert_eq!(a.failed(), 2);
        assert_eq!(a.failures[&("like".to_owned(), Failure::Status(404))], 2);
        assert_eq!(a.retries, 4);
        assert!((a.success_rate() - 1.0 / 3.0).abs() < 1e-9);
    }
}
