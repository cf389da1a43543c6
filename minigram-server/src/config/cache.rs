//! The cache tiers in front of the store and the Redis they (and the
//! shared rate limits) use.

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use super::config_error::ConfigError;
use super::secrets::parse_secret;
use super::store::StoreKind;

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

/// The cache flags (`--cache`, `--redis-url`, `--redis-prefix`).
///
/// The Redis URL is a [`SecretString`]: `redis://:password@host` carries
/// the password, so it never shows in `Debug`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Cache")]
pub struct CacheFlags {
    /// Cache tiers in front of the store: none, memory (in-process), redis (shared),
    /// tiered (both). Default: `memory` on the embedded store (one process owns the
    /// file, so an in-process cache is always coherent), `none` on PostgreSQL (several
    /// instances may share it; use `tiered` with a shared Redis there).
    #[arg(
        id = "cache",
        long = "cache",
        value_name = "CACHE",
        env = "MINIGRAM_CACHE",
        value_enum
    )]
    pub mode: Option<CacheMode>,

    /// Redis for `--cache redis|tiered` and the shared rate limits
    /// (`redis://host:port`). Without it, `--cache redis|tiered` starts a local
    /// throwaway redis-server (Debian/Ubuntu: apt-get install redis-server).
    #[arg(
        long,
        env = "MINIGRAM_REDIS_URL",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub redis_url: Option<SecretString>,

    /// Prefix of every Redis key and channel this server uses (cache `<prefix>`,
    /// rate limits `<prefix>rl:`), so several deployments can share one Redis.
    #[arg(long, env = "MINIGRAM_REDIS_PREFIX", default_value = "mg:")]
    pub redis_prefix: String,
}

/// The cache in effect, and the Redis the server uses.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CacheSettings {
    /// The cache tiers.
    pub mode: CacheMode,
    /// `--redis-url`: the Redis for the cache and the shared rate limits.
    /// `None` with a Redis mode: the server starts a local redis-server.
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key and channel (rate limits add `rl:`).
    pub redis_prefix: String,
}

impl CacheFlags {
    /// The cache these flags ask for on a `store` store: `--cache`, else
    /// `memory` on the embedded store and `none` on PostgreSQL. Refuses a
    /// Redis mode this build cannot serve.
    pub fn resolve(&self, store: StoreKind) -> Result<CacheSettings, ConfigError> {
        let mode = match (self.mode, store) {
            (Some(mode), _) => mode,
            (None, StoreKind::Embedded) => CacheMode::Memory,
            (None, StoreKind::Postgres) => CacheMode::None,
        };
        if mode.uses_redis() && !cfg!(feature = "redis") {
            return Err(ConfigError::RedisNotBuilt { mode });
        }
        if mode.uses_redis() && self.redis_url.is_none() && !cfg!(feature = "devcluster") {
            return Err(ConfigError::LocalRedisNotBuilt { mode });
        }
        Ok(CacheSettings {
            mode,
            redis_url: self.redis_url.clone(),
            redis_prefix: self.redis_prefix.clone(),
        })
    }
}
