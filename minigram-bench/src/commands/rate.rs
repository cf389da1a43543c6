//! `rate`: open-loop constant arrival rate.
//!
//! Requests are sent on a fixed schedule whatever the server's latency.
//! Latency is reported twice: from the intended send time (corrected for
//! coordinated omission — what a user arriving on schedule would see) and
//! from the actual send (uncorrected).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use serde::Serialize;

use crate::cli::{RateArgs, RateOp};
use crate::client::{ApiClient, Failure};
use crate::recorder::new_histogram;
use crate::schedule::{intended_offset, latencies};

/// A send more than this late counts as late.
const LATE_AFTER: Duration = Duration::from_millis(10);

/// Percentiles of one latency view, ms.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyReport {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

impl LatencyReport {
    fn from(h: &Histogram<u64>) -> Self {
        let ms = |v: u64| v as f64 / 1000.0;
        Self {
            p50_ms: ms(h.value_at_quantile(0.5)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// The `rate` report.
#[derive(Debug, Clone, Serialize)]
pub struct RateReport {
    /// Operation sent.
    pub op: String,
    /// Requested rate.
    pub target_rps: f64,
    /// Completed requests per second.
    pub achieved_rps: f64,
    /// Requests scheduled.
    pub scheduled: u64,
    /// Requests completed successfully.
    pub succeeded: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Requests sent more than 10 ms after their intended time.
    pub late: u64,
    /// Requests not sent because `max_in_flight` were outstanding.
    pub dropped: u64,
    /// From the intended send time (coordinated omission corrected).
    pub corrected: LatencyReport,
    /// From the actual send time.
    pub uncorrected: LatencyReport,
    /// Failures by cause.
    pub failures: Vec<(String, u64)>,
}

/// Runs the open-loop test and prints/writes its report.
pub async fn run(args: RateArgs) -> anyhow::Result<()> {
    let report = measure(&args).await?;
    println!(
        "{} at {:.0} req/s target: {:.0} req/s achieved; {} ok, {} failed, {} late, {} dropped",
        report.op,
        report.target_rps,
        report.achieved_rps,
        report.succeeded,
        report.failed,
        report.late,
        report.dropped
    );
    for (label, l) in [
        ("corrected (from intended send)", &report.corrected),
        ("uncorrected (from actual send)", &report.uncorrected),
    ] {
        println!(
            "  {label:<32} p50 {:>8.2} ms  p99 {:>8.2} ms  p99.9 {:>8.2} ms  max {:>8.2} ms",
            l.p50_ms, l.p99_ms, l.p999_ms, l.max_ms
        );
    }
    for (cause, count) in &report.failures {
        println!("  failure {cause}: {count}");
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(())
}

struct Shared {
    corrected: Mutex<Histogram<u64>>,
    uncorrected: Mutex<Histogram<u64>>,
    failures: Mutex<std::collections::BTreeMap<Failure, u64>>,
    succeeded: AtomicU64,
    in_flight: AtomicUsize,
}

/// Runs the schedule and returns the report.
pub async fn measure(args: &RateArgs) -> anyhow::Result<RateReport> {
    anyhow::ensure!(
        args.rps > 0.0 && args.duration > 0.0,
        "--rps and --duration must be positive"
    );
    let client = ApiClient::new(&args.target.url, Duration::from_secs(args.target.timeout_s))?;
    let name = format!("rate{:x}", rand::random::<u32>());
    let session = client
        .register(
            &name,
            &format!("{name}@bench.example"),
            "benchmark-password",
        )
        .await
        .map_err(|e| anyhow::anyhow!("registering the rate user failed: {}", e.failure))?
        .value;
    if args.op == RateOp::Like
        && !client
            .photo_exists(&session.token, 1)
            .await
            .map_err(|e| anyhow::anyhow!("checking photo 1 failed: {}", e.failure))?
    {
        client
            .upload(
                &session.token,
                &crate::client::tiny_png(64, 64),
                "rate photo",
            )
            .await
            .map_err(|e| anyhow::anyhow!("posting photo 1 failed: {}", e.failure))?;
    }
    let shared = Arc::new(Shared {
        corrected: Mutex::new(new_histogram()),
        uncorrected: Mutex::new(new_histogram()),
        failures: Mutex::new(Default::default()),
        succeeded: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let scheduled = (args.rps * args.duration).round() as u64;
    let progress = ProgressBar::new(scheduled);
    let (mut late, mut dropped) = (0u64, 0u64);
    let start = Instant::now();
    let token: Arc<str> = session.token.into();
    for index in 0..scheduled {
        let intended = intended_offset(index, args.rps);
        tokio::time::sleep_until((start + intended).into()).await;
        if shared.in_flight.load(Ordering::Relaxed) >= args.max_in_flight {
            dropped += 1;
            continue;
        }
        let sent = start.elapsed();
        if sent.saturating_sub(intended) > LATE_AFTER {
            late += 1;
        }
        if index % 256 == 0 {
            progress.set_position(index);
        }
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let (client, shared, token, op) = (
            client.clone(),
            Arc::clone(&shared),
            Arc::clone(&token),
            args.op,
        );
        tokio::spawn(async move {
            let result = match op {
                RateOp::Feed => client.feed(&token, 20).await.map(|_| ()),
                RateOp::Health => client.health().await.map(|_| ()),
                RateOp::Like => client.like(&token, 1, index % 2 == 0).await.map(|_| ()),
            };
            let l = latencies(intended, sent, start.elapsed());
            let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
            match result {
                Ok(()) => {
                    shared.succeeded.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    *shared
                        .failures
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(e.failure)
                        .or_insert(0) += 1;
                }
            }
            shared
                .corrected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .saturating_record(micros(l.corrected));
            shared
                .uncorrected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .saturating_record(micros(l.uncorrected));
            shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    // Let outstanding requests finish (each is bounded by the client timeout).
    let deadline = Instant::now() + Duration::from_secs(args.target.timeout_s + 1);
    while shared.in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    progress.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();
    let succeeded = shared.succeeded.load(Ordering::Relaxed);
    let failures: Vec<(String, u64)> = shared
        .failures
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(f, n)| (f.to_string(), *n))
        .collect();
    let failed = failures.iter().map(|(_, n)| n).sum();
    let corrected =
        LatencyReport::from(&shared.corrected.lock().unwrap_or_else(|p| p.into_inner()));
    let uncorrected =
        LatencyReport::from(&shared.uncorrected.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(RateReport {
        op: format!("{:?}", args.op).to_lowercase(),
        target_rps: args.rps,
        achieved_rps: succeeded as f64 / elapsed,
        scheduled,
        succeeded,
        failed,
        late,
        dropped,
        corrected,
        uncorrected,
        failures,
    })
}
