//! Reports: the JSON written by `--json` and the text table on stdout.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::recorder::Recorder;

/// One operation's line in a report.
#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    /// Operations run.
    pub count: u64,
    /// Operations failed.
    pub failed: u64,
    /// Latency percentiles and maximum, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

/// A group of identical failures.
#[derive(Debug, Clone, Serialize)]
pub struct FailureReport {
    /// Operation.
    pub op: String,
    /// Cause: `HTTP 404`, `timeout`, `transport: connect failed`, ...
    pub cause: String,
    /// How many.
    pub count: u64,
}

/// A scenario run's report (the `--json` file).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// All operations.
    pub total_ops: u64,
    /// Failed operations.
    pub failed_ops: u64,
    /// Succeeded / total.
    pub success_rate: f64,
    /// Operations per second over the run.
    pub throughput_ops_per_s: f64,
    /// Wall time of the run.
    pub duration_s: f64,
    /// p99 over all operations, ms.
    pub p99_ms: f64,
    /// Per operation.
    pub ops: BTreeMap<String, OpReport>,
    /// Failures by operation and cause.
    pub failures: Vec<FailureReport>,
    /// Retries after 429/503 with Retry-After.
    pub retries: u64,
    /// What was run, where.
    pub params: serde_json::Value,
}

impl Report {
    /// Builds a report from a run's recorder.
    pub fn new(recorder: &Recorder, duration: Duration, params: serde_json::Value) -> Self {
        let ops = recorder
            .ops
            .iter()
            .map(|(name, s)| {
                (
                    name.clone(),
                    OpReport {
                        count: s.count(),
                        failed: s.failed,
                        p50_ms: s.quantile_ms(0.50),
                        p90_ms: s.quantile_ms(0.90),
                        p99_ms: s.quantile_ms(0.99),
                        p999_ms: s.quantile_ms(0.999),
                        max_ms: s.max_ms(),
                    },
                )
            })
            .collect();
        let failures = recorder
            .failures
            .iter()
            .map(|((op, cause), count)| FailureReport {
                op: op.clone(),
                cause: cause.to_string(),
                count: *count,
            })
            .collect();
        let seconds = duration.as_secs_f64().max(1e-9);
        Self {
            total_ops: recorder.total(),
            failed_ops: recorder.failed(),
            success_rate: recorder.success_rate(),
            throughput_ops_per_s: recorder.total() as f64 / seconds,
            duration_s: duration.as_secs_f64(),
            p99_ms: recorder.overall().value_at_quantile(0.99) as f64 / 1000.0,
            ops,
            failures,
            retries: recorder.retries,
            params,
        }
    }

    /// The human-readable table.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{:<10} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "operation", "count", "failed", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"
        );
        for (name, op) in &self.ops {
            out += &format!(
                "{:<10} {:>8} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
                name, op.count, op.failed, op.p50_ms, op.p90_ms, op.p99_ms, op.p999_ms, op.max_ms
            );
        }
        out += &format!(
            "\n{} operations in {:.2} s: {:.1} ops/s, success {:.2}%, p99 {:.2} ms, {} retries after 429/503\n",
            self.total_ops,
            self.duration_s,
            self.throughput_ops_per_s,
            self.success_rate * 100.0,
            self.p99_ms,
            self.retries
        );
        if !self.failures.is_empty() {
            out += "failures:\n";
            for f in &self.failures {
                out += &format!("  {:<10} {:<28} {}\n", f.op, f.cause, f.count);
            }
        }
        out
    }

    /// Writes the JSON report.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }
}
