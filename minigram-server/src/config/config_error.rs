//! Why parsed flags do not make a configuration the server can run.

use clap::error::ErrorKind;

use super::cache::CacheMode;

/// Flags that contradict each other, or ask for something this build
/// cannot do. Each message names the flags and says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `--database-url` and `--replicas` (or `--ha`) both given.
    #[error(
        "--database-url and --replicas/--ha contradict each other: --database-url serves from \
         PostgreSQL servers you run, --replicas and --ha start a local cluster; pass only one \
         (for a Patroni cluster you run, give --database-url with --patroni-url)"
    )]
    DatabaseUrlWithReplicas,
    /// `--replica-url` without `--database-url`.
    #[error(
        "--replica-url needs --database-url (the primary the replicas follow): add \
         --database-url, or use --replicas N for a local dev cluster with N replicas"
    )]
    ReplicaUrlWithoutDatabaseUrl,
    /// `--patroni-url` without `--database-url`.
    #[error(
        "--patroni-url needs --database-url (the user, password and database to reach the \
         cluster's members with): add --database-url, or use --ha for a local Patroni cluster"
    )]
    PatroniUrlWithoutDatabaseUrl,
    /// `--store embedded` with `--database-url` or `--replicas`.
    #[error(
        "--store embedded cannot be combined with --database-url or --replicas: drop \
         --store embedded (or pass --store postgres) to serve from PostgreSQL, or drop \
         --database-url/--replicas to keep the embedded store"
    )]
    EmbeddedWithPostgresFlags,
    /// `minigram-server worker` without an external PostgreSQL.
    #[error(
        "minigram-server worker applies the fan-out queue of a PostgreSQL deployment: give \
         the servers' --database-url (with --patroni-url to follow failovers); the embedded \
         store is one process, whose own --fanout-workers apply its queue"
    )]
    WorkerNeedsDatabaseUrl,
    /// `minigram-server worker` with `--feed pull`.
    #[error(
        "minigram-server worker needs --feed push or --feed hybrid (the servers' setting, \
         with the same --timeline-cap and --celebrity-followers): pull feeds have no queue"
    )]
    WorkerNeedsPushFeed,
    /// `minigram-server worker --fanout-workers 0`.
    #[error("minigram-server worker --fanout-workers 0 would apply nothing: pass 1 or more")]
    WorkerNeedsWorkers,
    /// PostgreSQL asked for in a build without the `postgres` feature.
    #[error(
        "this minigram-server was built without the `postgres` feature, which --store \
         postgres, --database-url and --replicas need: rebuild with \
         `--features postgres,devcluster` (on by default), or use the embedded store"
    )]
    PostgresNotBuilt,
    /// A dev cluster asked for in a build without the `devcluster` feature.
    #[error(
        "--replicas (or --store postgres without --database-url) starts a local PostgreSQL \
         dev cluster, which needs the `devcluster` feature this build lacks: pass \
         --database-url, or rebuild with `--features devcluster` (on by default)"
    )]
    DevClusterNotBuilt,
    /// A Redis cache mode in a build without the `redis` feature.
    #[error(
        "--cache {} needs the `redis` feature this build lacks: rebuild with \
         `--features redis` (on by default), or use --cache memory or --cache none",
        mode.as_str()
    )]
    RedisNotBuilt {
        /// The mode asked for.
        mode: CacheMode,
    },
    /// A Redis cache mode without `--redis-url` in a build that cannot
    /// start a local redis-server.
    #[error(
        "--cache {} without --redis-url starts a local redis-server, which needs the \
         `devcluster` feature this build lacks: pass --redis-url, or rebuild with \
         `--features devcluster` (on by default)",
        mode.as_str()
    )]
    LocalRedisNotBuilt {
        /// The mode asked for.
        mode: CacheMode,
    },
    /// `--password-min-length` below the library's floor
    /// ([`PasswordPolicy::LOWEST_MIN_CHARS`](minigram::PasswordPolicy::LOWEST_MIN_CHARS)).
    #[error(
        "--password-min-length {asked} is below the lowest allowed, {lowest}: pass \
         --password-min-length {lowest} or more (the default is {default}; the origin's \
         clients need 6)",
        lowest = minigram::PasswordPolicy::LOWEST_MIN_CHARS,
        default = minigram::PasswordPolicy::DEFAULT_MIN_CHARS
    )]
    PasswordMinLengthTooLow {
        /// The minimum asked for.
        asked: usize,
    },
    /// `--password-min-length` above what any password could meet.
    #[error(
        "--password-min-length {asked} is above {highest}, the most bytes a password may \
         have, so no password could meet it: pass {highest} or less",
        highest = minigram::PasswordPolicy::HIGHEST_MIN_CHARS
    )]
    PasswordMinLengthTooHigh {
        /// The minimum asked for.
        asked: usize,
    },
}

impl ConfigError {
    /// The kind of command-line error this is, for reporting it the way
    /// clap reports its own (`error: ...`, usage, exit status 2).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::DatabaseUrlWithReplicas | Self::EmbeddedWithPostgresFlags => {
                ErrorKind::ArgumentConflict
            }
            Self::ReplicaUrlWithoutDatabaseUrl | Self::PatroniUrlWithoutDatabaseUrl => {
                ErrorKind::MissingRequiredArgument
            }
            Self::WorkerNeedsDatabaseUrl => ErrorKind::MissingRequiredArgument,
            Self::WorkerNeedsPushFeed | Self::WorkerNeedsWorkers => ErrorKind::InvalidValue,
            Self::PostgresNotBuilt
            | Self::DevClusterNotBuilt
            | Self::RedisNotBuilt { .. }
            | Self::LocalRedisNotBuilt { .. }
            | Self::PasswordMinLengthTooLow { .. }
            | Self::PasswordMinLengthTooHigh { .. } => ErrorKind::InvalidValue,
        }
    }

    /// This error as clap would report it for `command` (the front end's
    /// parser, for its name and usage line); `.exit()` prints it and ends
    /// the process with status 2.
    pub fn into_clap_error(self, command: &mut clap::Command) -> clap::Error {
        command.error(self.kind(), self)
    }
}
