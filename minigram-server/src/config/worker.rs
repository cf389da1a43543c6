//! `minigram-server worker`: the flags of a process that only applies the
//! fan-out queue of a PostgreSQL deployment, and what they resolve to.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Args;

use super::config_error::ConfigError;
use super::data_dir::DataDirFlags;
use super::feed::{FeedFlags, FeedSettings};
use super::logging::{LoggingFlags, LoggingSettings};
use super::parser_defaults::parser_defaults;
use super::store::{PostgresSettings, PostgresSource, StoreFlags, StoreSettings};

/// The flags of `minigram-server worker`: the servers' store and feed
/// flags (the values must match theirs), logging, and where to serve
/// `/health` and `/metrics`.
#[derive(Debug, Clone, Args)]
pub struct WorkerFlags {
    /// The PostgreSQL deployment whose queue to work (`--database-url`, with
    /// `--patroni-url` to follow failovers).
    #[command(flatten)]
    pub store: StoreFlags,
    /// The feed: push or hybrid, with the servers' timeline cap and threshold.
    #[command(flatten)]
    pub feed: FeedFlags,
    /// Logging and the instance name.
    #[command(flatten)]
    pub logging: LoggingFlags,
    /// Serve `GET /health` and `GET /metrics` (Prometheus) on this port (0 picks a
    /// free one); without it the worker serves nothing.
    #[arg(long, env = "MINIGRAM_WORKER_METRICS_PORT")]
    pub metrics_port: Option<u16>,
    /// Address the metrics port listens on.
    #[arg(
        long,
        env = "MINIGRAM_WORKER_METRICS_BIND",
        default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST)
    )]
    pub metrics_bind: IpAddr,
}

/// What a worker runs with.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// The PostgreSQL servers (never a dev cluster: a worker joins a
    /// deployment, it does not start one).
    pub postgres: PostgresSettings,
    /// Strategy, timeline cap and worker count.
    pub feed: FeedSettings,
    /// Log format and filter.
    pub logging: LoggingSettings,
    /// Where `/health` and `/metrics` are served, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
}

impl WorkerFlags {
    /// The flags as parsed from nothing: for tests to fill in.
    pub fn defaults() -> Self {
        parser_defaults()
    }

    /// The settings, or why the flags cannot make a worker.
    pub fn resolve(&self) -> Result<WorkerSettings, ConfigError> {
        let StoreSettings::Postgres(postgres) =
            self.store.resolve(&parser_defaults::<DataDirFlags>())?
        else {
            return Err(ConfigError::WorkerNeedsDatabaseUrl);
        };
        if !matches!(postgres.source, PostgresSource::External { .. }) {
            return Err(ConfigError::WorkerNeedsDatabaseUrl);
        }
        let feed = self.feed.resolve();
        if !feed.strategy.uses_timelines() {
            return Err(ConfigError::WorkerNeedsPushFeed);
        }
        if feed.fanout_workers == 0 {
            return Err(ConfigError::WorkerNeedsWorkers);
        }
        Ok(WorkerSettings {
            postgres,
            feed,
            logging: self.logging.resolve(),
            metrics_listen: self
                .metrics_port
                .map(|port| SocketAddr::new(self.metrics_bind, port)),
        })
    }
}
