//! What the journey measured: the `report.json` contents.

use serde::Serialize;

use super::ceiling::{HasherSample, sessions_per_s};
use super::prometheus::PrometheusReadback;
use super::stage::{Feed, Stage};
use crate::report::Report;

/// One level (user count) on one stage.
#[derive(Debug, Clone, Serialize)]
pub struct LevelRun {
    /// Simulated users, each running one origin session.
    pub users: usize,
    /// The scenario's report.
    pub report: Report,
}

impl LevelRun {
    /// Sessions completed per second.
    pub fn sessions_per_s(&self) -> f64 {
        sessions_per_s(self.users, self.report.duration_s)
    }
}

/// One stage's runs.
#[derive(Debug, Clone, Serialize)]
pub struct StageRun {
    /// Which stage.
    pub stage: Stage,
    /// Stage number (1-3).
    pub number: u8,
    /// What ran.
    pub description: String,
    /// Each level, in order.
    pub levels: Vec<LevelRun>,
    /// Password hasher counters over all the stage's instances.
    pub hasher: HasherSample,
    /// Stage 3: what its Prometheus scraped from the instances.
    pub prometheus: Option<PrometheusReadback>,
    /// Why the stage stopped early, if it did.
    pub error: Option<String>,
}

/// Stage 2 brought up afresh with one feed strategy, one level of the same
/// session scenario on it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedRun {
    /// The servers' `--feed`.
    pub feed: Feed,
    /// Simulated users, each running one origin session.
    pub users: usize,
    /// The scenario's report (`ops.feed` holds the home-feed reads), if it
    /// ran.
    pub report: Option<Report>,
    /// Why it did not run, if it did not.
    pub error: Option<String>,
}

/// The whole journey.
#[derive(Debug, Clone, Serialize)]
pub struct Journey {
    /// `--quick` levels.
    pub quick: bool,
    /// Cores of this machine (servers, databases, nginx and the load
    /// generator all share them).
    pub cores: usize,
    /// User levels run on every stage.
    pub levels: Vec<usize>,
    /// How rate limiting was handled.
    pub rate_limit: String,
    /// Per stage.
    pub stages: Vec<StageRun>,
    /// Stage 2 once per feed strategy, after the stages (empty when
    /// skipped).
    pub feeds: Vec<FeedRun>,
}

/// A row of the comparison table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelRow {
    /// Stage number.
    pub stage: u8,
    /// Users.
    pub users: usize,
    /// Succeeded / total.
    pub success_rate: f64,
    /// Operations per second.
    pub ops_per_s: f64,
    /// Sessions per second.
    pub sessions_per_s: f64,
    /// p99 over all operations, ms.
    pub p99_ms: f64,
}

impl Journey {
    /// Every level of every stage as table rows.
    pub fn rows(&self) -> Vec<LevelRow> {
        self.stages
            .iter()
            .flat_map(|stage| {
                stage.levels.iter().map(|level| LevelRow {
                    stage: stage.number,
                    users: level.users,
                    success_rate: level.report.success_rate,
                    ops_per_s: level.report.throughput_ops_per_s,
                    sessions_per_s: level.sessions_per_s(),
                    p99_ms: level.report.p99_ms,
                })
            })
            .collect()
    }

    /// The least inflated hash time: the smallest stage mean. Busy time is
    /// wall time on a hashing thread, so it grows when more threads hash
    /// than there are cores; the smallest mean is the closest upper bound
    /// on a hash's CPU time.
    pub fn hash_time_s(&self) -> Option<f64> {
        self.stages
            .iter()
            .filter_map(|stage| stage.hasher.hash_time_s())
            .reduce(f64::min)
    }
}
