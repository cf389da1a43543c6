//! Command-line interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Load generator for minigram servers (and any server speaking the MiniGram API).
#[derive(Debug, Parser)]
#[command(name = "minigram-bench", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create deterministic seed data through the API: users, photos and a
    /// power-law follow graph.
    Seed(SeedArgs),
    /// Closed-loop simulated users, all starting together, each running a mix
    /// (the origin's 9-operation session by default).
    Scenario(ScenarioArgs),
    /// Open-loop constant arrival rate, latency corrected for coordinated
    /// omission.
    Rate(RateArgs),
    /// Ramp users until success drops below 99% or p99 exceeds the SLO.
    BreakingPoint(BreakingPointArgs),
    /// The scaling journey on loopback: stage 1 (one server, embedded
    /// store), stage 2 (PostgreSQL + tiered cache), stage 3 (nginx over 3
    /// servers, a primary with 2 replicas, shared Redis), the same session
    /// ramp on each, one report with tables and SVG charts.
    Journey(JourneyArgs),
    /// What high availability costs and buys: starts a Patroni cluster
    /// (etcd + 3 PostgreSQL nodes), measures like throughput through the
    /// Patroni-following router with synchronous and asynchronous
    /// replication (interleaved rounds), then kills the leader's postmaster
    /// repeatedly under the same load and reports each failover's write
    /// unavailability.
    Ha(HaArgs),
}

/// `ha` options.
#[derive(Debug, Clone, Args)]
pub struct HaArgs {
    /// Concurrent writers (each toggles likes on its own photos).
    #[arg(long, default_value_t = 8)]
    pub writers: usize,
    /// Seconds per throughput round.
    #[arg(long, default_value_t = 5)]
    pub round_s: u64,
    /// Rounds of each replication mode, interleaved (sync, async, async,
    /// sync, …).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Leader postmaster kills for the failover figures (0: none).
    #[arg(long, default_value_t = 5)]
    pub kills: usize,
    /// Turn fsync off on the nodes (faster, and says nothing about a real
    /// deployment; off only to compare).
    #[arg(long)]
    pub no_fsync: bool,
    /// Write the figures as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Options shared by every command that talks to a server.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Base URL of the server.
    #[arg(
        long,
        default_value = "http://127.0.0.1:3000",
        env = "MINIGRAM_BENCH_URL"
    )]
    pub url: String,
    /// An operation that has not succeeded within this many seconds (retries
    /// included) is a failure.
    #[arg(long, default_value_t = 60)]
    pub timeout_s: u64,
}

/// `seed` options.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub target: Target,
    /// Users to create.
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Photos each user posts.
    #[arg(long, default_value_t = 3)]
    pub photos_per_user: usize,
    /// Most users one user follows; follow targets are drawn with a
    /// power-law (Zipf, s = 1) popularity, so a few users have many followers.
    #[arg(long, default_value_t = 50)]
    pub max_follows: usize,
    /// RNG seed: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Requests in flight at once while seeding.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

/// Named operation mixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mix {
    /// The origin's session: register, login, 3 × home feed, like photos
    /// 1-3, follow user (i % 10) + 1.
    Session,
    /// register, login, then per iteration 9 × home feed and 1 like.
    ReadHeavy,
    /// register, login, then per iteration like, unlike, follow, unfollow,
    /// post a photo.
    WriteHeavy,
}

impl Mix {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::ReadHeavy => "read-heavy",
            Self::WriteHeavy => "write-heavy",
        }
    }
}

/// `scenario` options.
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    #[command(flatten)]
    pub target: Target,
    /// Simulated users, all running at once.
    #[arg(long, default_value_t = 50)]
    pub users: usize,
    /// Operation mix.
    #[arg(long, value_enum, default_value_t = Mix::Session)]
    pub mix: Mix,
    /// Iterations per user for the read-heavy and write-heavy mixes.
    #[arg(long, default_value_t = 5)]
    pub iterations: usize,
    /// Spread user starts over this many seconds (0: all together, like the
    /// origin's test).
    #[arg(long, default_value_t = 0.0)]
    pub ramp_s: f64,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Operations the open-loop mode can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateOp {
    /// `GET /api/feed`.
    Feed,
    /// `POST /api/photos/{id}/like` then alternate with unlike.
    Like,
    /// `GET /health`.
    Health,
}

/// `rate` options.
#[derive(Debug, Clone, Args)]
pub struct RateArgs {
    #[command(flatten)]
    pub target: Target,
    /// Requests per second to send, on schedule, whatever the latency.
    #[arg(long, default_value_t = 1000.0)]
    pub rps: f64,
    /// Seconds to run.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Operation to send.
    #[arg(long, value_enum, default_value_t = RateOp::Feed)]
    pub op: RateOp,
    /// Most requests in flight; a request due while this many are in flight
    /// is dropped and counted.
    #[arg(long, default_value_t = 10_000)]
    pub max_in_flight: usize,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `breaking-point` options.
#[derive(Debug, Clone, Args)]
pub struct BreakingPointArgs {
    #[command(flatten)]
    pub target: Target,
    /// Operation mix per simulated user.
    #[arg(long, value_enum, default_value_t = Mix::Session)]
    pub mix: Mix,
    /// p99 latency objective in milliseconds.
    #[arg(long, default_value_t = 1000.0)]
    pub slo_p99_ms: f64,
    /// Lowest acceptable success rate (0-1).
    #[arg(long, default_value_t = 0.99)]
    pub min_success: f64,
    /// Stop after this many users even if the server holds.
    #[arg(long, default_value_t = 2000)]
    pub max_users: usize,
    /// Write every level's report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `journey` options.
#[derive(Debug, Clone, Args)]
pub struct JourneyArgs {
    /// Levels 5, 50, 200, 1000 users (a few minutes on 2 cores) instead of
    /// the breaking-point levels up to 2000.
    #[arg(long)]
    pub quick: bool,
    /// Where report.md, report.json, the SVG charts, the nginx config and
    /// the servers' data and logs go.
    #[arg(long, default_value = "journey-report")]
    pub out: PathBuf,
    /// After stage 2's levels, bring stage 2 up again once per feed
    /// strategy (`--feed pull`, `push`, `hybrid`) and run this many users
    /// on each (0: skip the comparison).
    #[arg(long, default_value_t = 50)]
    pub feed_users: usize,
    /// The `minigram-server` binary (default: next to this program).
    #[arg(long, env = "MINIGRAM_SERVER_BIN")]
    pub server_bin: Option<PathBuf>,
    /// An operation that has not succeeded within this many seconds is a
    /// failure.
    #[arg(long, default_value_t = 60)]
    pub timeout_s: u64,
}
