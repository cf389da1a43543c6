//! Which store holds the data: the flags choosing between the embedded
//! store and PostgreSQL (external servers or a local dev cluster), and the
//! store they resolve to.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use super::config_error::ConfigError;
use super::data_dir::DataDirFlags;
use super::parser_defaults::parser_defaults;
use super::secrets::parse_secret;

/// Which store holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// redb file under `--data-dir`, one group-committing writer.
    Embedded,
    /// PostgreSQL: `--database-url` (and `--replica-url`s), or without a
    /// URL a local dev cluster under `<data-dir>/postgres` (`--replicas`).
    Postgres,
}

/// What reads through the replica router are guaranteed to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReadConsistencyArg {
    /// A user's reads see their own writes of the last `--sticky-window-secs`;
    /// other users' writes may lag by up to `--max-replica-lag-ms`.
    ReadYourWrites,
    /// Every read sees every write acknowledged through this server before it
    /// started (most reads go to the primary under a steady write load).
    AllWrites,
}

/// The store flags (`--store`, `--database-url`, `--replica-url`,
/// `--replicas` and the PostgreSQL tuning flags).
///
/// The database URLs are [`SecretString`]s: libpq URLs may carry the
/// password (`postgres://user:pass@host/db`), so they never show in `Debug`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Storage")]
pub struct StoreFlags {
    /// Which store to use. Default: `postgres` when --database-url or --replicas is
    /// given, else `embedded`.
    #[arg(
        id = "store",
        long = "store",
        value_name = "STORE",
        env = "MINIGRAM_STORE",
        value_enum
    )]
    pub kind: Option<StoreKind>,

    /// PostgreSQL primary to use (`postgres://user:pass@host:port/db`). Without it,
    /// `--store postgres` starts a local dev cluster under `<data-dir>/postgres`.
    #[arg(
        long,
        env = "MINIGRAM_DATABASE_URL",
        hide_env_values = true,
        conflicts_with = "replicas",
        value_parser = parse_secret
    )]
    pub database_url: Option<SecretString>,

    /// A streaming replica of --database-url to send reads to (repeatable; in the
    /// variable, comma-separated).
    #[arg(
        long = "replica-url",
        env = "MINIGRAM_REPLICA_URLS",
        value_delimiter = ',',
        hide_env_values = true,
        requires = "database_url",
        value_parser = parse_secret
    )]
    pub replica_urls: Vec<SecretString>,

    /// Start a local PostgreSQL dev cluster (primary + N streaming replicas) under
    /// `<data-dir>/postgres`, kept across restarts, and serve from it. Needs the
    /// PostgreSQL server programs (Debian/Ubuntu: apt-get install postgresql).
    #[arg(long, env = "MINIGRAM_REPLICAS")]
    pub replicas: Option<usize>,

    /// With --replicas (or alone: 2 replicas), start a high-availability cluster instead:
    /// etcd and N+1 PostgreSQL nodes managed by Patroni with synchronous replication, so
    /// the primary fails over automatically. Needs Debian's `patroni` and `etcd-server`.
    #[arg(long, env = "MINIGRAM_HA", conflicts_with = "database_url")]
    pub ha: bool,

    /// A Patroni REST endpoint of the cluster behind --database-url (`http://host:8008`;
    /// repeatable, in the variable comma-separated): writes follow the leader through
    /// failovers and replicas are discovered. --database-url then gives only the user,
    /// password and database (a multi-host URL is fine).
    #[arg(
        long = "patroni-url",
        env = "MINIGRAM_PATRONI_URLS",
        value_delimiter = ',',
        requires = "database_url",
        conflicts_with = "replica_urls"
    )]
    pub patroni_urls: Vec<String>,

    /// Following Patroni: how long a write waits for a new primary during a failover
    /// before it gets 503 with Retry-After, in milliseconds.
    #[arg(long, env = "MINIGRAM_FAILOVER_WRITE_WAIT_MS", default_value_t = 5_000)]
    pub failover_write_wait_ms: u64,

    /// Most connections per PostgreSQL pool (one pool for the primary, one per replica).
    #[arg(long, env = "MINIGRAM_PG_POOL_SIZE", default_value_t = 16)]
    pub pg_pool_size: usize,

    /// What reads from replicas are guaranteed to see.
    #[arg(
        long,
        env = "MINIGRAM_READ_CONSISTENCY",
        value_enum,
        default_value_t = ReadConsistencyArg::ReadYourWrites
    )]
    pub read_consistency: ReadConsistencyArg,

    /// How long after a user's write their reads only go to replicas that have it, in seconds.
    #[arg(long, env = "MINIGRAM_STICKY_WINDOW_SECS", default_value_t = 30)]
    pub sticky_window_secs: u64,

    /// A replica further behind than this (age of its last replayed commit) stops
    /// taking reads until it catches up: the staleness bound for other users' writes.
    #[arg(long, env = "MINIGRAM_MAX_REPLICA_LAG_MS", default_value_t = 5_000)]
    pub max_replica_lag_ms: u64,

    /// Push and hybrid feeds on PostgreSQL: keep the timelines in this Redis
    /// (`redis://host:port`, sorted sets under `minigram:tl:{user}`) instead of
    /// PostgreSQL tables; the queue and the source of truth stay in PostgreSQL.
    /// Every server and `worker` of one database must pass the same.
    #[arg(
        long,
        env = "MINIGRAM_TIMELINE_REDIS_URL",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub timeline_redis_url: Option<SecretString>,

    /// Where the timelines' Redis keys start (with --timeline-redis-url).
    #[arg(
        long,
        env = "MINIGRAM_TIMELINE_REDIS_PREFIX",
        default_value = "minigram:"
    )]
    pub timeline_redis_prefix: String,
}

/// The store in effect, with everything needed to open it.
#[derive(Debug, Clone)]
pub enum StoreSettings {
    /// The embedded store.
    Embedded {
        /// Its redb file.
        database_path: PathBuf,
    },
    /// PostgreSQL.
    Postgres(PostgresSettings),
}

/// How the server uses PostgreSQL.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresSettings {
    /// Where the servers come from.
    pub source: PostgresSource,
    /// Most connections per pool; at least 1.
    pub pool_size: usize,
    /// What reads through the replica router see (with replicas).
    pub read_consistency: ReadConsistencyArg,
    /// How long a user's reads stay on replicas that have their writes.
    pub sticky_window: Duration,
    /// The lag past which a replica stops taking reads; at least 1 ms.
    pub max_replica_lag: Duration,
    /// Following Patroni: how long writes wait for a primary in a failover.
    pub failover_write_wait: Duration,
    /// The Redis holding push/hybrid timelines (`None`: PostgreSQL tables).
    pub timeline_redis_url: Option<SecretString>,
    /// The prefix of its keys.
    pub timeline_redis_prefix: String,
}

/// Where the PostgreSQL store's servers come from.
#[derive(Debug, Clone)]
pub enum PostgresSource {
    /// Servers someone else runs.
    External {
        /// The primary's URL (may carry a password).
        primary_url: SecretString,
        /// Its streaming replicas' URLs (reads go there).
        replica_urls: Vec<SecretString>,
        /// Patroni REST endpoints: when given, the primary and replicas are
        /// whatever Patroni says now, and `primary_url` only supplies the
        /// credentials and database.
        patroni_urls: Vec<String>,
    },
    /// A local dev cluster this server starts and stops.
    DevCluster {
        /// Its directory, kept across restarts.
        dir: PathBuf,
        /// How many streaming replicas to start.
        replicas: usize,
        /// Start etcd and Patroni-managed nodes (`--ha`) instead of plain
        /// streaming replication.
        ha: bool,
    },
}

impl StoreFlags {
    /// The store flags as `--store embedded` with every other flag at its
    /// default: for front ends that serve the embedded store only and so
    /// do not take these flags.
    pub fn embedded() -> Self {
        Self {
            kind: Some(StoreKind::Embedded),
            ..parser_defaults()
        }
    }

    /// The store these flags select: `--store`, else `postgres` when a
    /// database URL or `--replicas` is given, else `embedded`. Refuses
    /// contradictory flags, and PostgreSQL in a build without it.
    pub fn resolve(&self, data_dir: &DataDirFlags) -> Result<StoreSettings, ConfigError> {
        // The parser already refuses the first two when the flags come from
        // the command line or the environment; these checks cover configs
        // assembled or changed in code.
        if self.database_url.is_some() && (self.replicas.is_some() || self.ha) {
            return Err(ConfigError::DatabaseUrlWithReplicas);
        }
        if !self.patroni_urls.is_empty() && self.database_url.is_none() {
            return Err(ConfigError::PatroniUrlWithoutDatabaseUrl);
        }
        if !self.replica_urls.is_empty() && self.database_url.is_none() {
            return Err(ConfigError::ReplicaUrlWithoutDatabaseUrl);
        }
        let wants_postgres = self.database_url.is_some() || self.replicas.is_some() || self.ha;
        let kind = match self.kind {
            Some(StoreKind::Embedded) if wants_postgres => {
                return Err(ConfigError::EmbeddedWithPostgresFlags);
            }
            Some(kind) => kind,
            None if wants_postgres => StoreKind::Postgres,
            None => StoreKind::Embedded,
        };
        if kind == StoreKind::Embedded {
            return Ok(StoreSettings::Embedded {
                database_path: data_dir.database_path(),
            });
        }
        if !cfg!(feature = "postgres") {
            return Err(ConfigError::PostgresNotBuilt);
        }
        let source = match &self.database_url {
            Some(url) => PostgresSource::External {
                primary_url: url.clone(),
                replica_urls: self.replica_urls.clone(),
                patroni_urls: self.patroni_urls.clone(),
            },
            None if !cfg!(feature = "devcluster") => return Err(ConfigError::DevClusterNotBuilt),
            None if self.ha => PostgresSource::DevCluster {
                dir: data_dir.postgres_ha_dir(),
                // A failover needs somewhere to go: at least one replica.
                replicas: self.replicas.unwrap_or(2).max(1),
                ha: true,
            },
            None => PostgresSource::DevCluster {
                dir: data_dir.postgres_dir(),
                replicas: self.replicas.unwrap_or(0),
                ha: false,
            },
        };
        Ok(StoreSettings::Postgres(PostgresSettings {
            source,
            pool_size: self.pg_pool_size.max(1),
            read_consistency: self.read_consistency,
            sticky_window: Duration::from_secs(self.sticky_window_secs),
            max_replica_lag: Duration::from_millis(self.max_replica_lag_ms.max(1)),
            failover_write_wait: Duration::from_millis(self.failover_write_wait_ms),
            timeline_redis_url: self.timeline_redis_url.clone(),
            timeline_redis_prefix: self.timeline_redis_prefix.clone(),
        }))
    }
}

impl StoreSettings {
    /// Which store this is.
    pub fn kind(&self) -> StoreKind {
        match self {
            Self::Embedded { .. } => StoreKind::Embedded,
            Self::Postgres(_) => StoreKind::Postgres,
        }
    }

    /// The embedded store's file, or `None` on PostgreSQL.
    pub fn database_path(&self) -> Option<&Path> {
        match self {
            Self::Embedded { database_path } => Some(database_path),
            Self::Postgres(_) => None,
        }
    }

    /// Where the PostgreSQL servers come from, or `None` for the embedded
    /// store.
    pub fn postgres_source(&self) -> Option<&PostgresSource> {
        match self {
            Self::Embedded { .. } => None,
            Self::Postgres(postgres) => Some(&postgres.source),
        }
    }
}
