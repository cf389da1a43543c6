//! Server configuration: command-line flags, each also settable through a
//! `MINIGRAM_*` environment variable (flags win).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use minigram::auth::HasherConfig;
use minigram::media::DEFAULT_MAX_UPLOAD_BYTES;

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

/// Which cache tiers sit in front of the store (`docs/cache.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacheMode {
    /// No cache: every read goes to the store.
    None,
    /// In-process (L1, moka) only. Coherent for one instance; other
    /// instances sharing the store see its writes within the L1 TTL (10 s).
    Memory,
    /// Redis (L2) only, shared by every instance using that Redis.
    Redis,
    /// L1 in front of L2, with cross-instance invalidation over pub/sub.
    Tiered,
}

impl CacheMode {
    /// The name `/api/instance` reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Memory => "memory",
            Self::Redis => "redis",
            Self::Tiered => "tiered",
        }
    }

    /// Whether this mode uses Redis.
    pub fn uses_redis(self) -> bool {
        matches!(self, Self::Redis | Self::Tiered)
    }
}

/// A switch flag: `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Everything the server needs to start.
///
/// Shared by the `minigram-server` binary and `examples/single_server.rs`, so
/// both take the same flags.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "minigram-server",
    version,
    about = "The minigram HTTP server: the MiniGram API over the minigram library.",
    long_about = "The minigram HTTP server: the MiniGram API (register, login, photos, likes, \
                  follows, feeds) over the minigram library. Every flag can also be set with \
                  the environment variable shown; a flag given on the command line wins."
)]
pub struct ServerConfig {
    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines.
    #[arg(long, env = "MINIGRAM_BIND", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,

    /// TCP port to listen on (0 picks a free port). Falls back to $PORT, then 3000.
    #[arg(long, env = "MINIGRAM_PORT")]
    pub port: Option<u16>,

    /// The port platforms such as Heroku or Cloud Run hand out; used when --port is not given.
    #[arg(long = "platform-port", env = "PORT", hide = true)]
    pub platform_port: Option<u16>,

    /// Directory for the database file (minigram.redb), uploaded media (media/) and,
    /// with --replicas, the PostgreSQL dev cluster (postgres/).
    #[arg(long, env = "MINIGRAM_DATA_DIR", default_value = "./minigram-data")]
    pub data_dir: PathBuf,

    /// Which store to use. Default: `postgres` when --database-url or --replicas is
    /// given, else `embedded`.
    #[arg(long, env = "MINIGRAM_STORE", value_enum)]
    pub store: Option<StoreKind>,

    /// PostgreSQL primary to use (`postgres://user:pass@host:port/db`). Without it,
    /// `--store postgres` starts a local dev cluster under `<data-dir>/postgres`.
    #[arg(
        long,
        env = "MINIGRAM_DATABASE_URL",
        hide_env_values = true,
        conflicts_with = "replicas"
    )]
    pub database_url: Option<String>,

    /// A streaming replica of --database-url to send reads to (repeatable; in the
    /// variable, comma-separated).
    #[arg(
        long = "replica-url",
        env = "MINIGRAM_REPLICA_URLS",
        value_delimiter = ',',
        hide_env_values = true,
        requires = "database_url"
    )]
    pub replica_urls: Vec<String>,

    /// Start a local PostgreSQL dev cluster (primary + N streaming replicas) under
    /// `<data-dir>/postgres`, kept across restarts, and serve from it. Needs the
    /// PostgreSQL server programs (Debian/Ubuntu: apt-get install postgresql).
    #[arg(long, env = "MINIGRAM_REPLICAS")]
    pub replicas: Option<usize>,

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

    /// Cache tiers in front of the store: none, memory (in-process), redis (shared),
    /// tiered (both). Default: `memory` on the embedded store (one process owns the
    /// file, so an in-process cache is always coherent), `none` on PostgreSQL (several
    /// instances may share it; use `tiered` with a shared Redis there).
    #[arg(long, env = "MINIGRAM_CACHE", value_enum)]
    pub cache: Option<CacheMode>,

    /// Redis for `--cache redis|tiered` and the shared rate limits
    /// (`redis://host:port`). Without it, `--cache redis|tiered` starts a local
    /// throwaway redis-server (Debian/Ubuntu: apt-get install redis-server).
    #[arg(long, env = "MINIGRAM_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel this server uses (cache `<prefix>`,
    /// rate limits `<prefix>rl:`), so several deployments can share one Redis.
    #[arg(long, env = "MINIGRAM_REDIS_PREFIX", default_value = "mg:")]
    pub redis_prefix: String,

    /// Rate limiting of login, register and writes (429 with Retry-After).
    #[arg(long, env = "MINIGRAM_RATE_LIMIT", value_enum, default_value_t = Switch::On)]
    pub rate_limit: Switch,

    /// Also rate-limit clients on loopback (127.0.0.0/8, ::1), which are exempt by default.
    #[arg(long, env = "MINIGRAM_RATE_LIMIT_LOOPBACK")]
    pub rate_limit_loopback: bool,

    /// A reverse proxy whose `X-Forwarded-For` names the client (repeatable; in the
    /// variable, comma-separated). Other peers' X-Forwarded-For is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "MINIGRAM_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<IpAddr>,

    /// Logins and registrations per minute per client IP.
    #[arg(long, env = "MINIGRAM_AUTH_IP_PER_MINUTE", default_value_t = 60)]
    pub auth_ip_per_minute: u32,

    /// Logins and registrations a client IP may make at once (burst).
    #[arg(long, env = "MINIGRAM_AUTH_IP_BURST", default_value_t = 30)]
    pub auth_ip_burst: u32,

    /// Logins and registrations per minute per username.
    #[arg(long, env = "MINIGRAM_AUTH_USER_PER_MINUTE", default_value_t = 10)]
    pub auth_user_per_minute: u32,

    /// Logins and registrations for one username at once (burst).
    #[arg(long, env = "MINIGRAM_AUTH_USER_BURST", default_value_t = 10)]
    pub auth_user_burst: u32,

    /// Writes (likes, follows, uploads) per minute per signed-in user.
    #[arg(long, env = "MINIGRAM_WRITE_PER_MINUTE", default_value_t = 600)]
    pub write_per_minute: u32,

    /// Writes a signed-in user may make at once (burst).
    #[arg(long, env = "MINIGRAM_WRITE_BURST", default_value_t = 100)]
    pub write_burst: u32,

    /// Token signing secret (at least 32 bytes). When absent, one is generated on first
    /// start and kept in the store, so tokens survive restarts.
    #[arg(long, env = "MINIGRAM_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// How long a login token stays valid, in seconds.
    #[arg(long, env = "MINIGRAM_TOKEN_TTL_SECS", default_value_t = 24 * 60 * 60)]
    pub token_ttl_secs: u64,

    /// argon2id memory cost in KiB (OWASP: 19456 = 19 MiB).
    #[arg(long, env = "MINIGRAM_HASH_MEMORY_KIB", default_value_t = 19_456)]
    pub hash_memory_kib: u32,

    /// argon2id passes over memory (OWASP: 2).
    #[arg(long, env = "MINIGRAM_HASH_ITERATIONS", default_value_t = 2)]
    pub hash_iterations: u32,

    /// argon2id lanes (OWASP: 1).
    #[arg(long, env = "MINIGRAM_HASH_PARALLELISM", default_value_t = 1)]
    pub hash_parallelism: u32,

    /// Most password hashes computed at once (default: number of cores); more wait.
    #[arg(long, env = "MINIGRAM_HASH_MAX_CONCURRENT")]
    pub hash_max_concurrent: Option<usize>,

    /// Largest accepted photo upload, in bytes; bigger uploads get 413.
    #[arg(long, env = "MINIGRAM_MAX_UPLOAD_BYTES", default_value_t = DEFAULT_MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: usize,

    /// Longest a request may take, in seconds, before it is answered with 503.
    #[arg(long, env = "MINIGRAM_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Log line format: `text` for people, `json` for machines.
    #[arg(long, env = "MINIGRAM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter in tracing's EnvFilter syntax, e.g. `info` or `minigram=debug,info`.
    #[arg(long, env = "MINIGRAM_LOG", default_value = "info")]
    pub log: String,

    /// Name of this instance in /api/instance and logs (default: random).
    #[arg(long, env = "MINIGRAM_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

/// The port used when neither --port, MINIGRAM_PORT nor PORT is given.
pub const DEFAULT_PORT: u16 = 3000;

impl ServerConfig {
    /// A configuration for tests: loopback, port 0, data under `data_dir`,
    /// and the cheapest password hashing argon2 allows.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        let fast = HasherConfig::insecure_fast_for_tests();
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: Some(0),
            platform_port: None,
            data_dir: data_dir.into(),
            store: Some(StoreKind::Embedded),
            database_url: None,
            replica_urls: Vec::new(),
            replicas: None,
            pg_pool_size: 8,
            read_consistency: ReadConsistencyArg::ReadYourWrites,
            sticky_window_secs: 30,
            max_replica_lag_ms: 5_000,
            cache: None,
            redis_url: None,
            redis_prefix: "mg:".into(),
            rate_limit: Switch::On,
            rate_limit_loopback: false,
            trusted_proxies: Vec::new(),
            auth_ip_per_minute: 60,
            auth_ip_burst: 30,
            auth_user_per_minute: 10,
            auth_user_burst: 10,
            write_per_minute: 600,
            write_burst: 100,
            token_secret: None,
            token_ttl_secs: 3600,
            hash_memory_kib: fast.memory_kib,
            hash_iterations: fast.iterations,
            hash_parallelism: fast.parallelism,
            hash_max_concurrent: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            request_timeout_secs: 30,
            log_format: LogFormat::Text,
            log: "warn".into(),
            instance_id: None,
        }
    }

    /// The address to bind: `--port`, else `$PORT`, else 3000.
    pub fn socket_addr(&self) -> SocketAddr {
        let port = self.port.or(self.platform_port).unwrap_or(DEFAULT_PORT);
        SocketAddr::new(self.bind, port)
    }

    /// The argon2id settings.
    pub fn hasher(&self) -> HasherConfig {
        let defaults = HasherConfig::default();
        HasherConfig {
            memory_kib: self.hash_memory_kib,
            iterations: self.hash_iterations,
            parallelism: self.hash_parallelism,
            max_concurrent: self.hash_max_concurrent.unwrap_or(defaults.max_concurrent),
        }
    }

    /// The request deadline.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }

    /// The database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("minigram.redb")
    }

    /// The media directory.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// The directory of the local PostgreSQL dev cluster (`--replicas`).
    pub fn postgres_dir(&self) -> PathBuf {
        self.data_dir.join("postgres")
    }

    /// The store in effect: `--store`, else `postgres` when a database URL or
    /// `--replicas` is given, else `embedded`.
    pub fn store_kind(&self) -> StoreKind {
        match self.store {
            Some(kind) => kind,
            None if self.database_url.is_some() || self.replicas.is_some() => StoreKind::Postgres,
            None => StoreKind::Embedded,
        }
    }

    /// The cache in effect: `--cache`, else `memory` on the embedded store
    /// and `none` on PostgreSQL.
    pub fn cache_mode(&self) -> CacheMode {
        match (self.cache, self.store_kind()) {
            (Some(mode), _) => mode,
            (None, StoreKind::Embedded) => CacheMode::Memory,
            (None, StoreKind::Postgres) => CacheMode::None,
        }
    }

    /// Where the PostgreSQL store comes from, or `None` for the embedded
    /// store; an error names contradictory flags.
    pub fn postgres_source(&self) -> Result<Option<PostgresSource>, String> {
        match (self.store_kind(), &self.database_url) {
            (StoreKind::Embedded, None) if self.replicas.is_none() => Ok(None),
            (StoreKind::Embedded, _) => {
                Err("--store embedded cannot be combined with --database-url or --replicas".into())
            }
            (StoreKind::Postgres, Some(url)) => Ok(Some(PostgresSource::External {
                primary_url: url.clone(),
                replica_urls: self.replica_urls.clone(),
            })),
            (StoreKind::Postgres, None) if !self.replica_urls.is_empty() => {
                Err("--replica-url needs --database-url".into())
            }
            (StoreKind::Postgres, None) => Ok(Some(PostgresSource::DevCluster {
                dir: self.postgres_dir(),
                replicas: self.replicas.unwrap_or(0),
            })),
        }
    }
}

/// Where the PostgreSQL store's servers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostgresSource {
    /// Servers someone else runs.
    External {
        /// The primary's URL.
        primary_url: String,
        /// Its streaming replicas' URLs (reads go there).
        replica_urls: Vec<String>,
    },
    /// A local dev cluster this server starts and stops.
    DevCluster {
        /// Its directory, kept across restarts.
        dir: PathBuf,
        /// How many streaming replicas to start.
        replicas: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_flag_wins_over_platform_port() {
        let config =
            ServerConfig::try_parse_from(["s", "--port", "8080", "--platform-port", "9090"]);
        assert_eq!(config.map(|c| c.socket_addr().port()).ok(), Some(8080));
        let config = ServerConfig::try_parse_from(["s", "--platform-port", "9090"]);
        assert_eq!(config.map(|c| c.socket_addr().port()).ok(), Some(9090));
    }

    #[test]
    fn defaults_match_the_documentation() {
        let config = ServerConfig::try_parse_from(["s"]).ok();
        let config = config.as_ref();
        assert_eq!(
            config.map(|c| c.data_dir.clone()),
            Some(PathBuf::from("./minigram-data"))
        );
        assert_eq!(config.map(|c| c.store_kind()), Some(StoreKind::Embedded));
        assert_eq!(config.map(|c| c.postgres_source()), Some(Ok(None)));
        assert_eq!(config.map(|c| c.hash_memory_kib), Some(19_456));
        assert_eq!(config.map(|c| c.cache_mode()), Some(CacheMode::Memory));
        assert_eq!(config.map(|c| c.rate_limit), Some(Switch::On));
        assert_eq!(config.map(|c| c.rate_limit_loopback), Some(false));
        let postgres = ServerConfig::try_parse_from(["s", "--replicas", "2"]).ok();
        assert_eq!(postgres.map(|c| c.cache_mode()), Some(CacheMode::None));
        let tiered = ServerConfig::try_parse_from(["s", "--cache", "tiered"]).ok();
        assert_eq!(tiered.map(|c| c.cache_mode()), Some(CacheMode::Tiered));
    }

    #[test]
    fn replicas_start_a_dev_cluster_under_the_data_dir() {
        let config = ServerConfig::try_parse_from(["s", "--replicas", "2", "--data-dir", "/d"]);
        let config = config.ok();
        assert_eq!(
            config.as_ref().map(|c| c.postgres_source()),
            Some(Ok(Some(PostgresSource::DevCluster {
                dir: PathBuf::from("/d/postgres"),
                replicas: 2
            })))
        );
        let config = ServerConfig::try_parse_from(["s", "--store", "postgres"]).ok();
        assert!(matches!(
            config.map(|c| c.postgres_source()),
            Some(Ok(Some(PostgresSource::DevCluster { replicas: 0, .. })))
        ));
    }

    #[test]
    fn database_urls_select_external_servers() {
        let config = ServerConfig::try_parse_from([
            "s",
            "--database-url",
            "postgres://p/db",
            "--replica-url",
            "postgres://r1/db",
            "--replica-url",
            "postgres://r2/db",
        ])
        .ok();
        assert_eq!(
            config.map(|c| c.postgres_source()),
            Some(Ok(Some(PostgresSource::External {
                primary_url: "postgres://p/db".into(),
                replica_urls: vec!["postgres://r1/db".into(), "postgres://r2/db".into()],
            })))
        );
    }

    #[test]
    fn contradictory_store_flags_are_refused() {
        assert!(
            ServerConfig::try_parse_from([
                "s",
                "--replicas",
                "1",
                "--database-url",
                "postgres://p"
            ])
            .is_err()
        );
        assert!(ServerConfig::try_parse_from(["s", "--replica-url", "postgres://r"]).is_err());
        let config =
            ServerConfig::try_parse_from(["s", "--store", "embedded", "--replicas", "2"]).ok();
        assert!(matches!(config.map(|c| c.postgres_source()), Some(Err(_))));
    }
}
