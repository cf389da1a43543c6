//! The `minigram-server` command line: every flag group, each flag also
//! settable through a `MINIGRAM_*` environment variable (flags win).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::accounts::AccountFlags;
use super::cache::CacheFlags;
use super::config_error::ConfigError;
use super::data_dir::DataDirFlags;
use super::feed::FeedFlags;
use super::hashing::HashingFlags;
use super::http::HttpFlags;
use super::logging::LoggingFlags;
use super::parser_defaults::parser_defaults;
use super::rate_limits::RateLimitFlags;
use super::server_settings::ServerSettings;
use super::store::{StoreFlags, StoreKind};
use super::tokens::TokenFlags;
use super::worker::WorkerFlags;

/// The parsed flags of `minigram-server`, one group per concern.
///
/// [`resolve`](Self::resolve) turns them into the [`ServerSettings`] the
/// server runs with. Other front ends (`examples/single_server.rs`)
/// flatten the groups they take and build a `ServerConfig` from them, so
/// every front end shares flag names, variables, defaults and help.
///
/// `about` and `long_about` must stay explicit here: clap applies a
/// flattened group's doc comment as the command's about, and only an
/// explicit one set after the groups wins.
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
    /// Where to listen, request deadline, upload size.
    #[command(flatten)]
    pub http: HttpFlags,
    /// `--data-dir`.
    #[command(flatten)]
    pub data_dir: DataDirFlags,
    /// Embedded store or PostgreSQL.
    #[command(flatten)]
    pub store: StoreFlags,
    /// Cache tiers and Redis.
    #[command(flatten)]
    pub cache: CacheFlags,
    /// Rate limits.
    #[command(flatten)]
    pub rate_limits: RateLimitFlags,
    /// Login tokens.
    #[command(flatten)]
    pub tokens: TokenFlags,
    /// Password hashing.
    #[command(flatten)]
    pub hashing: HashingFlags,
    /// Accounts: the password policy.
    #[command(flatten)]
    pub accounts: AccountFlags,
    /// The home-feed strategy and its fan-out.
    #[command(flatten)]
    pub feed: FeedFlags,
    /// Logging and the instance name.
    #[command(flatten)]
    pub logging: LoggingFlags,
    /// Something other than serving HTTP (none: serve).
    #[command(subcommand)]
    pub command: Option<ServerCommand>,
}

/// What `minigram-server` can run instead of the HTTP server.
#[derive(Debug, Clone, Subcommand)]
pub enum ServerCommand {
    /// Apply the fan-out queue of a PostgreSQL deployment and nothing else: run beside
    /// servers started with --feed push|hybrid (and --fanout-workers 0 to leave the
    /// queue to workers). Any number of workers may share one queue.
    Worker(WorkerFlags),
}

impl ServerConfig {
    /// The parser's defaults with what tests need: loopback, port 0, the
    /// embedded store under `data_dir`, and the cheapest password hashing
    /// argon2 allows. The environment is ignored, so `MINIGRAM_*` variables
    /// in the shell running the tests change nothing.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        let mut config: Self = parser_defaults();
        config.http.port = Some(0);
        config.data_dir.path = data_dir.into();
        config.store.kind = Some(StoreKind::Embedded);
        // API tests run many servers at once against one shared dev
        // cluster; smaller pools keep them under its connection limit.
        config.store.pg_pool_size = 8;
        config.hashing.make_insecure_fast_for_tests();
        config
    }

    /// The settings these flags describe, or why they do not make sense
    /// together. Resolve once, at start: each resolution without
    /// `--instance-id` picks a new random instance name.
    pub fn resolve(&self) -> Result<ServerSettings, ConfigError> {
        let store = self.store.resolve(&self.data_dir)?;
        let cache = self.cache.resolve(store.kind())?;
        Ok(ServerSettings {
            http: self.http.resolve(),
            data_dir: self.data_dir.path.clone(),
            media_dir: self.data_dir.media_dir(),
            store,
            cache,
            rate_limits: self.rate_limits.resolve(),
            tokens: self.tokens.resolve(),
            hasher: self.hashing.resolve(),
            password_policy: self.accounts.resolve()?,
            feed: self.feed.resolve(),
            logging: self.logging.resolve(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use secrecy::ExposeSecret as _;

    use super::*;
    use crate::config::{CacheMode, Switch};

    /// `args` (after the program name) parsed, then resolved; `None` when
    /// the parser refuses them.
    fn resolution(args: &[&str]) -> Option<Result<ServerSettings, ConfigError>> {
        let args = std::iter::once("s").chain(args.iter().copied());
        ServerConfig::try_parse_from(args).ok().map(|c| c.resolve())
    }

    /// `args` parsed and resolved; `None` when either refuses them.
    fn settings(args: &[&str]) -> Option<ServerSettings> {
        resolution(args).and_then(Result::ok)
    }

    #[test]
    fn port_flag_wins_over_platform_port() {
        let resolved = settings(&["--port", "8080", "--platform-port", "9090"]);
        assert_eq!(resolved.map(|s| s.http.listen.port()), Some(8080));
        let resolved = settings(&["--platform-port", "9090"]);
        assert_eq!(resolved.map(|s| s.http.listen.port()), Some(9090));
    }

    #[test]
    fn defaults_match_the_documentation() {
        let config = ServerConfig::try_parse_from(["s"]).ok();
        let config = config.as_ref();
        let resolved = config.and_then(|c| c.resolve().ok());
        let resolved = resolved.as_ref();
        assert_eq!(
            config.map(|c| c.data_dir.path.clone()),
            Some(PathBuf::from("./minigram-data"))
        );
        assert_eq!(resolved.map(|s| s.store.kind()), Some(StoreKind::Embedded));
        assert_eq!(
            resolved.map(|s| s.store.postgres_source().is_none()),
            Some(true)
        );
        assert_eq!(config.map(|c| c.hashing.memory_kib), Some(19_456));
        assert_eq!(
            resolved.map(|s| s.password_policy.min_chars()),
            Some(8),
            "--password-min-length defaults to 8"
        );
        assert_eq!(resolved.map(|s| s.cache.mode), Some(CacheMode::Memory));
        assert_eq!(config.map(|c| c.rate_limits.enabled), Some(Switch::On));
        assert_eq!(config.map(|c| c.rate_limits.include_loopback), Some(false));
        // Resolving PostgreSQL flags needs a build that has PostgreSQL.
        if cfg!(feature = "devcluster") {
            let postgres = settings(&["--replicas", "2"]);
            assert_eq!(postgres.map(|s| s.cache.mode), Some(CacheMode::None));
        }
        // A Redis cache without --redis-url needs a build that can start one.
        if cfg!(all(feature = "redis", feature = "devcluster")) {
            let tiered = settings(&["--cache", "tiered"]);
            assert_eq!(tiered.map(|s| s.cache.mode), Some(CacheMode::Tiered));
        }
    }

    #[cfg(feature = "devcluster")]
    #[test]
    fn replicas_start_a_dev_cluster_under_the_data_dir() {
        use crate::config::PostgresSource;
        use std::path::Path;

        let resolved = settings(&["--replicas", "2", "--data-dir", "/d"]);
        assert!(matches!(
            resolved.as_ref().map(|s| s.store.postgres_source()),
            Some(Some(PostgresSource::DevCluster { dir, replicas: 2, ha: false }))
                if dir == Path::new("/d/postgres")
        ));
        let resolved = settings(&["--store", "postgres"]);
        assert!(matches!(
            resolved.as_ref().map(|s| s.store.postgres_source()),
            Some(Some(PostgresSource::DevCluster { replicas: 0, .. }))
        ));
    }

    #[cfg(feature = "devcluster")]
    #[test]
    fn ha_starts_a_patroni_cluster_with_at_least_one_replica() {
        use crate::config::PostgresSource;
        use std::path::Path;

        let resolved = settings(&["--replicas", "2", "--ha", "--data-dir", "/d"]);
        assert!(matches!(
            resolved.as_ref().map(|s| s.store.postgres_source()),
            Some(Some(PostgresSource::DevCluster { dir, replicas: 2, ha: true }))
                if dir == Path::new("/d/postgres-ha")
        ));
        let resolved = settings(&["--ha"]);
        assert!(matches!(
            resolved.as_ref().map(|s| s.store.postgres_source()),
            Some(Some(PostgresSource::DevCluster {
                replicas: 2,
                ha: true,
                ..
            }))
        ));
        let resolved = settings(&["--ha", "--replicas", "0"]);
        assert!(matches!(
            resolved.as_ref().map(|s| s.store.postgres_source()),
            Some(Some(PostgresSource::DevCluster {
                replicas: 1,
                ha: true,
                ..
            }))
        ));
        assert!(
            ServerConfig::try_parse_from([
                "minigram-server",
                "--ha",
                "--database-url",
                "postgres://p/db"
            ])
            .is_err()
        );
        assert!(
            ServerConfig::try_parse_from(["minigram-server", "--patroni-url", "http://h:8008"])
                .is_err()
        );
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn database_urls_select_external_servers() {
        use crate::config::PostgresSource;

        let resolved = settings(&[
            "--database-url",
            "postgres://p/db",
            "--replica-url",
            "postgres://r1/db",
            "--replica-url",
            "postgres://r2/db",
        ]);
        let urls = match resolved.as_ref().map(|s| s.store.postgres_source()) {
            Some(Some(PostgresSource::External {
                primary_url,
                replica_urls,
                ..
            })) => Some((
                primary_url.expose_secret(),
                replica_urls
                    .iter()
                    .map(|url| url.expose_secret())
                    .collect::<Vec<_>>(),
            )),
            _ => None,
        };
        assert_eq!(
            urls,
            Some((
                "postgres://p/db",
                vec!["postgres://r1/db", "postgres://r2/db"]
            ))
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
        assert!(matches!(
            resolution(&["--store", "embedded", "--replicas", "2"]),
            Some(Err(ConfigError::EmbeddedWithPostgresFlags))
        ));
    }

    #[test]
    fn contradictions_made_in_code_are_refused_too() {
        let mut both = ServerConfig::for_tests("/d");
        both.store.kind = None;
        both.store.database_url = Some("postgres://p".into());
        both.store.replicas = Some(1);
        assert!(matches!(
            both.resolve(),
            Err(ConfigError::DatabaseUrlWithReplicas)
        ));
        let mut orphan = ServerConfig::for_tests("/d");
        orphan.store.kind = Some(StoreKind::Postgres);
        orphan.store.replica_urls = vec!["postgres://r".into()];
        assert!(matches!(
            orphan.resolve(),
            Err(ConfigError::ReplicaUrlWithoutDatabaseUrl)
        ));
    }

    #[cfg(not(feature = "postgres"))]
    #[test]
    fn postgres_is_refused_by_a_build_without_it() {
        assert!(matches!(
            resolution(&["--replicas", "2"]),
            Some(Err(ConfigError::PostgresNotBuilt))
        ));
    }

    #[test]
    fn password_min_length_is_resolved_and_refused_below_six() {
        let six = settings(&["--password-min-length", "6"]);
        assert_eq!(six.map(|s| s.password_policy.min_chars()), Some(6));
        let refused = resolution(&["--password-min-length", "5"]);
        let Some(Err(error)) = refused else {
            panic!("5 must be refused at resolution, got {refused:?}");
        };
        assert_eq!(error, ConfigError::PasswordMinLengthTooLow { asked: 5 });
        let message = error.to_string();
        assert!(message.contains("--password-min-length"), "{message}");
        assert!(message.contains("lowest allowed, 6"), "{message}");
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
        // Not a number at all is the parser's to refuse.
        assert!(resolution(&["--password-min-length", "six"]).is_none());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        const TOKEN_SECRET: &str = "token-secret-token-secret-token-secret";
        let secrets = [
            TOKEN_SECRET,
            "pg-primary-password",
            "pg-replica-password",
            "redis-password",
        ];
        let config = ServerConfig::try_parse_from([
            "s",
            "--token-secret",
            TOKEN_SECRET,
            "--database-url",
            "postgres://ada:pg-primary-password@db/minigram",
            "--replica-url",
            "postgres://ada:pg-replica-password@replica/minigram",
            "--redis-url",
            "redis://:redis-password@cache:6379",
        ])
        .expect("the flags parse");
        let mut shown = vec![format!("{config:?}"), format!("{config:#?}")];
        // Without PostgreSQL in the build, resolve the same secrets on the
        // embedded store.
        let resolvable = if cfg!(feature = "postgres") {
            config.clone()
        } else {
            let mut embedded = config.clone();
            embedded.store.database_url = None;
            embedded.store.replica_urls.clear();
            embedded
        };
        let settings = resolvable.resolve().expect("the flags resolve");
        shown.push(format!("{settings:?}"));
        shown.push(format!("{settings:#?}"));
        for debug in &shown {
            for secret in secrets {
                assert!(!debug.contains(secret), "{secret} shown in {debug}");
            }
        }
        // They are kept, only not shown.
        assert_eq!(
            settings.tokens.secret.as_ref().map(|s| s.expose_secret()),
            Some(TOKEN_SECRET)
        );
        assert!(shown[2].contains("REDACTED"), "{}", shown[2]);
    }
}
