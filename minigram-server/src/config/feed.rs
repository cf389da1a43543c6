//! The home-feed strategy and its fan-out settings.

use std::time::Duration;

use clap::{Args, ValueEnum};
use minigram::feed::{DEFAULT_CELEBRITY_FOLLOWERS, FeedStrategy};
use minigram::store::{DEFAULT_FANOUT_LEASE, DEFAULT_TIMELINE_CAP};

/// `--feed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeedMode {
    /// Merge the followees' photos at read time.
    Pull,
    /// Fan out on write into per-user timelines.
    Push,
    /// Push, except authors with at least --celebrity-followers followers,
    /// merged at read time.
    Hybrid,
}

/// The feed flags.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Home feed")]
pub struct FeedFlags {
    /// How home feeds are built. push and hybrid keep per-user timelines fed by
    /// a durable fan-out queue and workers (in this process, or `minigram-server
    /// worker` processes on PostgreSQL).
    #[arg(
        id = "feed",
        long = "feed",
        value_name = "FEED",
        env = "MINIGRAM_FEED",
        value_enum,
        default_value_t = FeedMode::Pull
    )]
    pub mode: FeedMode,
    /// Hybrid: authors with at least this many followers are not fanned out; their
    /// photos are merged into followers' feeds at read time.
    #[arg(
        long = "celebrity-followers",
        value_name = "N",
        env = "MINIGRAM_CELEBRITY_FOLLOWERS",
        default_value_t = DEFAULT_CELEBRITY_FOLLOWERS
    )]
    pub celebrity_followers: u64,
    /// Push and hybrid: most photos a timeline holds; older pages come from the pull
    /// path.
    #[arg(
        long = "timeline-cap",
        value_name = "N",
        env = "MINIGRAM_TIMELINE_CAP",
        default_value_t = DEFAULT_TIMELINE_CAP as u64,
        value_parser = clap::value_parser!(u64).range(1..=100_000)
    )]
    pub timeline_cap: u64,
    /// Push and hybrid: fan-out workers in this process (0: leave the queue to
    /// others).
    #[arg(
        long = "fanout-workers",
        value_name = "N",
        env = "MINIGRAM_FANOUT_WORKERS",
        default_value_t = 2,
        value_parser = clap::value_parser!(u64).range(0..=64)
    )]
    pub fanout_workers: u64,
    /// Push and hybrid: followers a worker fans one photo out to per database
    /// transaction, so one large follower set does not hold the queue.
    #[arg(
        long = "fanout-batch",
        value_name = "N",
        env = "MINIGRAM_FANOUT_BATCH",
        default_value_t = 500,
        value_parser = clap::value_parser!(u64).range(1..=100_000)
    )]
    pub fanout_batch: u64,
    /// Push and hybrid: how long a worker's claim on a job lasts without progress, in
    /// milliseconds; a job whose worker died is taken over once it runs out.
    #[arg(
        long = "fanout-lease-ms",
        value_name = "MS",
        env = "MINIGRAM_FANOUT_LEASE_MS",
        default_value_t = DEFAULT_FANOUT_LEASE.as_millis() as u64,
        value_parser = clap::value_parser!(u64).range(100..=3_600_000)
    )]
    pub fanout_lease_ms: u64,
    /// Push and hybrid: a user without a login or home-feed read for this many days
    /// is inactive: fan-out skips them and drops their timeline, rebuilt when they
    /// return (their reads use pull meanwhile). 0: nobody becomes inactive.
    #[arg(
        long = "inactive-days",
        value_name = "DAYS",
        env = "MINIGRAM_INACTIVE_DAYS",
        default_value_t = 7,
        value_parser = clap::value_parser!(u64).range(0..=36_500)
    )]
    pub inactive_days: u64,
}

/// What the feed flags resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedSettings {
    /// The strategy.
    pub strategy: FeedStrategy,
    /// Most photos a timeline holds.
    pub timeline_cap: usize,
    /// In-process fan-out workers.
    pub fanout_workers: usize,
    /// Followers per fan-out transaction.
    pub fanout_batch: usize,
    /// How long a claim lasts without progress.
    pub fanout_lease: Duration,
    /// After how long without activity a user is inactive (`None`: never).
    pub inactive_after: Option<Duration>,
}

impl FeedFlags {
    /// The settings.
    pub fn resolve(&self) -> FeedSettings {
        let strategy = match self.mode {
            FeedMode::Pull => FeedStrategy::Pull,
            FeedMode::Push => FeedStrategy::Push,
            FeedMode::Hybrid => FeedStrategy::Hybrid {
                celebrity_followers: self.celebrity_followers,
            },
        };
        FeedSettings {
            strategy,
            // Bounded by the parsers above.
            timeline_cap: usize::try_from(self.timeline_cap).unwrap_or(DEFAULT_TIMELINE_CAP),
            fanout_workers: usize::try_from(self.fanout_workers).unwrap_or(2),
            fanout_batch: usize::try_from(self.fanout_batch).unwrap_or(500),
            fanout_lease: Duration::from_millis(self.fanout_lease_ms),
            inactive_after: (self.inactive_days > 0)
                .then(|| Duration::from_secs(self.inactive_days * 24 * 3600)),
        }
    }
}
