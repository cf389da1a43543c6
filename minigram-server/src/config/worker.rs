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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::Parser as _;

    use super::*;
    use crate::config::{ServerCommand, ServerConfig};

    fn worker(args: &[&str]) -> Result<WorkerSettings, ConfigError> {
        let args = ["minigram-server", "worker"]
            .into_iter()
            .chain(args.iter().copied());
        match ServerConfig::try_parse_from(args).map(|c| c.command) {
            Ok(Some(ServerCommand::Worker(flags))) => flags.resolve(),
            other => panic!("not a worker command: {other:?}"),
        }
    }

    const URL: &str = "postgres://minigram@127.0.0.1:5432/minigram";

    #[test]
    fn a_worker_takes_the_servers_store_and_feed_flags() {
        let settings = worker(&[
            "--database-url",
            URL,
            "--feed",
            "hybrid",
            "--celebrity-followers",
            "50",
            "--fanout-workers",
            "4",
            "--fanout-batch",
            "100",
            "--inactive-days",
            "0",
            "--metrics-port",
            "9100",
            "--timeline-redis-url",
            "redis://127.0.0.1:6379",
            "--timeline-redis-prefix",
            "mg-tl:",
        ])
        .unwrap();
        assert!(settings.postgres.timeline_redis_url.is_some());
        assert_eq!(settings.postgres.timeline_redis_prefix, "mg-tl:");
        assert_eq!(
            settings.feed.strategy,
            minigram::feed::FeedStrategy::Hybrid {
                celebrity_followers: 50
            }
        );
        assert_eq!(settings.feed.fanout_workers, 4);
        assert_eq!(settings.feed.fanout_batch, 100);
        assert_eq!(settings.feed.inactive_after, None);
        assert_eq!(settings.metrics_listen.map(|a| a.port()), Some(9100));
    }

    #[test]
    fn a_worker_needs_a_database_a_push_feed_and_workers() {
        assert_eq!(
            worker(&["--feed", "push"]).err(),
            Some(ConfigError::WorkerNeedsDatabaseUrl)
        );
        assert_eq!(
            worker(&["--database-url", URL]).err(),
            Some(ConfigError::WorkerNeedsPushFeed)
        );
        assert_eq!(
            worker(&[
                "--database-url",
                URL,
                "--feed",
                "push",
                "--fanout-workers",
                "0"
            ])
            .err(),
            Some(ConfigError::WorkerNeedsWorkers)
        );
    }

    #[test]
    fn inactive_users_default_to_a_week() {
        let settings = worker(&["--database-url", URL, "--feed", "push"]).unwrap();
        assert_eq!(
            settings.feed.inactive_after,
            Some(std::time::Duration::from_secs(7 * 24 * 3600))
        );
        assert_eq!(settings.feed.fanout_batch, 500);
        assert_eq!(settings.metrics_listen, None);
        assert!(settings.postgres.timeline_redis_url.is_none());
        assert_eq!(settings.postgres.timeline_redis_prefix, "minigram:");
    }
}
