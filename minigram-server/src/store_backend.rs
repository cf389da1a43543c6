//! Opening the store the configuration asks for: the embedded store, a
//! PostgreSQL primary (with a [`ReplicaRouter`] over its replicas), or a
//! local PostgreSQL dev cluster started under `<data-dir>/postgres`.

use std::sync::Arc;
#[cfg(feature = "devcluster")]
use std::time::Duration;

use minigram::cache::{CacheConfig, CachedStore};
use minigram::store::{CountingStore, Store};
use minigram::store::{EmbeddedConfig, EmbeddedStore};
#[cfg(feature = "postgres")]
use minigram::store::{
    PostgresConfig, PostgresStore, ReadConsistency, ReplicaRouter, RouterConfig,
};
#[cfg(feature = "devcluster")]
use minigram_devcluster::{DevCluster, HaCluster};
use secrecy::{ExposeSecret as _, SecretString};

use crate::application::StartError;
use crate::config::{
    CacheMode, PostgresSettings, ServerSettings, StoreKind, StoreSettings, redacted_url,
};
#[cfg(feature = "postgres")]
use crate::config::{PostgresSource, ReadConsistencyArg};

/// The database the server uses on a dev cluster it starts.
#[cfg(feature = "devcluster")]
pub(crate) const DEV_DATABASE: &str = "minigram";

/// How long a fresh dev cluster's replicas may take to receive the new
/// database before the router starts.
#[cfg(feature = "devcluster")]
const REPLICA_CATCH_UP: Duration = Duration::from_secs(30);

/// An open store and what the server must keep beside it.
pub(crate) struct StoreBackend {
    /// What the library runs on: the cache when there is one, over a
    /// [`CountingStore`] over the store itself.
    pub store: Arc<dyn Store>,
    /// The same store when it is a replica router, for `/health`.
    #[cfg(feature = "postgres")]
    pub router: Option<Arc<ReplicaRouter>>,
    /// The dev cluster this server started; stopped after the store closes.
    #[cfg(feature = "devcluster")]
    pub cluster: Option<DevCluster>,
    /// The Patroni cluster this server started (`--ha`); stopped likewise.
    #[cfg(feature = "devcluster")]
    pub ha_cluster: Option<HaCluster>,
    /// The cache in front of the store (`store` is then this cache).
    pub cache: Option<Arc<CachedStore>>,
    /// The Redis in use (`--redis-url`, or the one this server started).
    pub redis_url: Option<SecretString>,
    /// The local Redis this server started; stopped at shutdown.
    #[cfg(feature = "devcluster")]
    pub redis_server: Option<minigram_devcluster::RedisServer>,
}

impl StoreBackend {
    /// Opens the store `settings` describe, counting the operations asked
    /// of it (`/api/metrics`' `dbQueries`).
    pub(crate) async fn open(settings: &ServerSettings) -> Result<Self, StartError> {
        let mut backend = match &settings.store {
            StoreSettings::Embedded { database_path } => {
                let store = EmbeddedStore::open(database_path, EmbeddedConfig::default()).await?;
                Self::plain(Arc::new(store))
            }
            StoreSettings::Postgres(postgres) => open_postgres(postgres).await?,
        };
        // Directly around the store, beneath the cache `add_cache` puts in
        // front later: reads the cache answers are no database work and
        // are not counted.
        backend.store = Arc::new(CountingStore::new(backend.store));
        Ok(backend)
    }

    /// Connects to a PostgreSQL deployment someone else runs (never starts
    /// a dev cluster): what `minigram-server worker` works on.
    pub(crate) async fn open_postgres(settings: &PostgresSettings) -> Result<Self, StartError> {
        open_postgres(settings).await
    }

    fn plain(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            #[cfg(feature = "postgres")]
            router: None,
            #[cfg(feature = "devcluster")]
            cluster: None,
            #[cfg(feature = "devcluster")]
            ha_cluster: None,
            cache: None,
            redis_url: None,
            #[cfg(feature = "devcluster")]
            redis_server: None,
        }
    }

    /// Puts the cache `settings` ask for in front of the store, starting a
    /// local Redis for `--cache redis|tiered` without `--redis-url`.
    pub(crate) async fn add_cache(&mut self, settings: &ServerSettings) -> Result<(), StartError> {
        let mode = settings.cache.mode;
        self.redis_url = settings.cache.redis_url.clone();
        if mode.uses_redis() && self.redis_url.is_none() {
            self.redis_url = Some(SecretString::from(self.start_redis().await?));
        }
        let url = self
            .redis_url
            .as_ref()
            .map(|url| url.expose_secret().to_owned())
            .unwrap_or_default();
        #[cfg(feature = "redis")]
        let prefixed = |mut c: CacheConfig| {
            if let Some(redis) = c.redis.as_mut() {
                redis.key_prefix = settings.cache.redis_prefix.clone();
            }
            c
        };
        let cache_config = match mode {
            CacheMode::None => return Ok(()),
            CacheMode::Memory => CacheConfig::memory(),
            #[cfg(feature = "redis")]
            CacheMode::Redis => prefixed(CacheConfig::redis(url)),
            #[cfg(feature = "redis")]
            CacheMode::Tiered => prefixed(CacheConfig::tiered(url)),
            #[cfg(not(feature = "redis"))]
            CacheMode::Redis | CacheMode::Tiered => {
                let _ = url;
                return Err(StartError::Config(
                    "--cache redis|tiered needs the `redis` feature (on by default)".into(),
                ));
            }
        };
        if mode == CacheMode::Memory && settings.store.kind() == StoreKind::Postgres {
            tracing::warn!(
                "--cache memory on PostgreSQL: other instances sharing the database see this \
                 instance's writes only within the in-process TTL (10 s); use --cache tiered"
            );
        }
        let cached = CachedStore::new(self.store.clone(), cache_config)
            .await
            .map_err(|e| StartError::Config(e.to_string()))?;
        let cached = Arc::new(cached);
        tracing::info!(
            cache = mode.as_str(),
            redis = self
                .redis_url
                .as_ref()
                .map_or_else(|| "-".to_owned(), |url| redacted_url(url.expose_secret())),
            "cache in front of the store"
        );
        self.store = cached.clone();
        self.cache = Some(cached);
        Ok(())
    }

    #[cfg(feature = "devcluster")]
    async fn start_redis(&mut self) -> Result<String, StartError> {
        let redis = minigram_devcluster::RedisServer::start_new().await?;
        redis.stop_when_process_exits()?;
        let url = redis.url();
        tracing::info!("started a local redis-server at {url} (no --redis-url given)");
        self.redis_server = Some(redis);
        Ok(url)
    }

    #[cfg(not(feature = "devcluster"))]
    async fn start_redis(&mut self) -> Result<String, StartError> {
        Err(StartError::Config(
            "--cache redis|tiered needs --redis-url (this build cannot start a local Redis: \
             rebuild with the `devcluster` feature)"
                .into(),
        ))
    }

    /// Stops the dev cluster, if this server started one (after the store
    /// is closed).
    pub(crate) async fn stop_cluster(&mut self) -> Result<(), StartError> {
        #[cfg(feature = "devcluster")]
        if let Some(cluster) = self.cluster.take() {
            tracing::info!("stopping the PostgreSQL dev cluster");
            cluster.stop().await?;
        }
        #[cfg(feature = "devcluster")]
        if let Some(cluster) = self.ha_cluster.take() {
            tracing::info!("stopping the Patroni HA cluster");
            cluster.stop().await?;
        }
        #[cfg(feature = "devcluster")]
        if let Some(redis) = self.redis_server.take() {
            tracing::info!("stopping the local redis-server");
            redis.stop().await;
        }
        Ok(())
    }
}

impl std::fmt::Debug for StoreBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreBackend")
            .field("store", &self.store.kind())
            .finish_non_exhaustive()
    }
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_settings: &PostgresSettings) -> Result<StoreBackend, StartError> {
    Err(StartError::Config(
        "this minigram-server was built without the `postgres` feature; \
         rebuild with `--features postgres,devcluster` (they are on by default)"
            .into(),
    ))
}

#[cfg(feature = "postgres")]
async fn open_postgres(settings: &PostgresSettings) -> Result<StoreBackend, StartError> {
    match &settings.source {
        PostgresSource::External {
            primary_url,
            patroni_urls,
            ..
        } if !patroni_urls.is_empty() => {
            tracing::info!(
                patroni = ?patroni_urls,
                "following a Patroni cluster (--patroni-url)"
            );
            connect_patroni(settings, patroni_urls, primary_url.expose_secret()).await
        }
        PostgresSource::External {
            primary_url,
            replica_urls,
            ..
        } => {
            tracing::info!(
                replicas = replica_urls.len(),
                "connecting to PostgreSQL (--database-url)"
            );
            let replica_urls: Vec<String> = replica_urls
                .iter()
                .map(|url| url.expose_secret().to_owned())
                .collect();
            connect(settings, primary_url.expose_secret(), &replica_urls).await
        }
        PostgresSource::DevCluster {
            dir,
            replicas,
            ha: false,
        } => start_dev_cluster(settings, dir.clone(), *replicas).await,
        PostgresSource::DevCluster {
            dir,
            replicas,
            ha: true,
        } => start_ha_cluster(settings, dir.clone(), *replicas).await,
    }
}

#[cfg(all(feature = "postgres", not(feature = "devcluster")))]
async fn start_ha_cluster(
    settings: &PostgresSettings,
    dir: std::path::PathBuf,
    replicas: usize,
) -> Result<StoreBackend, StartError> {
    start_dev_cluster(settings, dir, replicas).await
}

#[cfg(all(feature = "postgres", not(feature = "devcluster")))]
async fn start_dev_cluster(
    _settings: &PostgresSettings,
    _dir: std::path::PathBuf,
    _replicas: usize,
) -> Result<StoreBackend, StartError> {
    Err(StartError::Config(
        "--replicas (or --store postgres without --database-url) needs the `devcluster` \
         feature; rebuild with `--features devcluster` (on by default) or pass --database-url"
            .into(),
    ))
}

#[cfg(feature = "devcluster")]
async fn start_dev_cluster(
    settings: &PostgresSettings,
    dir: std::path::PathBuf,
    replicas: usize,
) -> Result<StoreBackend, StartError> {
    let started = std::time::Instant::now();
    let cluster = DevCluster::builder()
        .replicas(replicas)
        .data_dir(&dir)
        .start()
        .await?;
    // From here on the nodes stop with this process, however it ends.
    let prepared = async {
        cluster.stop_when_process_exits()?;
        if cluster.ensure_database(DEV_DATABASE).await? {
            cluster.wait_for_replicas(REPLICA_CATCH_UP).await?;
        }
        Ok::<_, StartError>(())
    }
    .await;
    if let Err(e) = prepared {
        let _ = cluster.stop().await;
        return Err(e);
    }
    let primary_url = cluster.primary_url(DEV_DATABASE);
    let replica_urls = cluster.replica_urls(DEV_DATABASE);
    tracing::info!(
        dir = %dir.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "PostgreSQL dev cluster started: primary {primary_url}{}",
        replica_urls
            .iter()
            .enumerate()
            .map(|(i, url)| format!(", replica {i} {url}"))
            .collect::<String>()
    );
    match connect(settings, &primary_url, &replica_urls).await {
        Ok(mut backend) => {
            backend.cluster = Some(cluster);
            Ok(backend)
        }
        Err(e) => {
            let _ = cluster.stop().await;
            Err(e)
        }
    }
}

/// Starts etcd and `replicas + 1` PostgreSQL nodes under Patroni
/// (synchronous replication) in `dir`, and follows them.
#[cfg(feature = "devcluster")]
async fn start_ha_cluster(
    settings: &PostgresSettings,
    dir: std::path::PathBuf,
    replicas: usize,
) -> Result<StoreBackend, StartError> {
    let cluster = HaCluster::builder()
        .nodes(replicas + 1)
        .data_dir(&dir)
        .start()
        .await?;
    let prepared = async {
        cluster.stop_when_process_exits()?;
        cluster.ensure_database(DEV_DATABASE).await?;
        Ok::<_, StartError>(())
    }
    .await;
    if let Err(e) = prepared {
        let _ = cluster.stop().await;
        return Err(e);
    }
    let patroni_urls = cluster.patroni_urls();
    let database_url = cluster.multi_host_url(DEV_DATABASE);
    tracing::info!(
        dir = %dir.display(),
        elapsed_ms = cluster.start_time().as_millis() as u64,
        "Patroni HA cluster started: PostgreSQL {database_url}, Patroni REST {}",
        patroni_urls.join(", ")
    );
    match connect_patroni(settings, &patroni_urls, &database_url).await {
        Ok(mut backend) => {
            backend.ha_cluster = Some(cluster);
            Ok(backend)
        }
        Err(e) => {
            let _ = cluster.stop().await;
            Err(e)
        }
    }
}

/// The router settings the flags give.
#[cfg(feature = "postgres")]
async fn router_config(settings: &PostgresSettings) -> Result<RouterConfig, StartError> {
    let config = RouterConfig {
        pool: PostgresConfig {
            pool_size: settings.pool_size,
            application_name: "minigram-server".into(),
            #[cfg(feature = "redis")]
            redis_timelines: settings
                .timeline_redis_url
                .as_ref()
                .map(|url| {
                    minigram::store::RedisTimelines::new(
                        url.expose_secret(),
                        &settings.timeline_redis_prefix,
                    )
                })
                .transpose()?,
            ..PostgresConfig::default()
        },
        consistency: match settings.read_consistency {
            ReadConsistencyArg::ReadYourWrites => ReadConsistency::ReadYourWrites,
            ReadConsistencyArg::AllWrites => ReadConsistency::AllWritesThroughThisRouter,
        },
        sticky_window: settings.sticky_window,
        max_lag: settings.max_replica_lag,
        failover_write_wait: settings.failover_write_wait,
        ..RouterConfig::default()
    };
    // Fail at start, not at the first fan-out, when the Redis is not there.
    #[cfg(feature = "redis")]
    if let Some(redis) = &config.pool.redis_timelines {
        redis.check().await?;
        tracing::info!(url = redis.url(), "push/hybrid timelines are kept in Redis");
    }
    Ok(config)
}

/// The settings key recording where a database's push/hybrid timelines
/// are kept, so that no process keeps them elsewhere unnoticed.
const TIMELINE_STORE_SETTING: &str = "minigram.timeline_store";

impl StoreBackend {
    /// Push and hybrid feeds on PostgreSQL: checks that this process keeps
    /// timelines where the database's first timeline user did (recorded
    /// then): a server reading Redis timelines beside a worker writing
    /// PostgreSQL ones would serve stale feeds without an error.
    pub(crate) async fn check_timeline_store(
        &self,
        settings: &PostgresSettings,
        feed: minigram::feed::FeedStrategy,
    ) -> Result<(), StartError> {
        if !feed.uses_timelines() {
            return Ok(());
        }
        let wanted: Vec<u8> = match &settings.timeline_redis_url {
            Some(_) => format!("redis {}", settings.timeline_redis_prefix).into_bytes(),
            None => b"postgres".to_vec(),
        };
        let recorded = self
            .store
            .setting_or_insert(TIMELINE_STORE_SETTING, wanted.clone())
            .await?;
        if recorded == wanted {
            return Ok(());
        }
        // `redis <prefix>` or `postgres`.
        let name = |v: &[u8]| {
            let v = String::from_utf8_lossy(v);
            match v.strip_prefix("redis ") {
                Some(prefix) => format!("Redis under keys starting {prefix:?}"),
                None => v.into_owned(),
            }
        };
        Err(StartError::Config(format!(
            "this database keeps its push/hybrid timelines in {} but this process would keep \
             them in {} (--timeline-redis-url and --timeline-redis-prefix): every server and \
             worker of one database must agree. To move them, stop every process, run `DELETE \
             FROM timeline_meta; DELETE FROM settings WHERE key = '{TIMELINE_STORE_SETTING}';` \
             (timelines are rebuilt on read), and start again",
            name(&recorded),
            name(&wanted),
        )))
    }
}

/// A [`ReplicaRouter`] following the Patroni cluster at `patroni_urls`.
#[cfg(feature = "postgres")]
async fn connect_patroni(
    settings: &PostgresSettings,
    patroni_urls: &[String],
    database_url: &str,
) -> Result<StoreBackend, StartError> {
    let router =
        ReplicaRouter::connect_patroni(patroni_urls, database_url, router_config(settings).await?)
            .await?;
    let router = Arc::new(router);
    let mut backend = StoreBackend::plain(router.clone());
    backend.router = Some(router);
    Ok(backend)
}

/// A [`PostgresStore`] on the primary, or a [`ReplicaRouter`] when there
/// are replicas.
#[cfg(feature = "postgres")]
async fn connect(
    settings: &PostgresSettings,
    primary_url: &str,
    replica_urls: &[String],
) -> Result<StoreBackend, StartError> {
    let config = router_config(settings).await?;
    if replica_urls.is_empty() {
        let store = PostgresStore::connect(primary_url, config.pool).await?;
        return Ok(StoreBackend::plain(Arc::new(store)));
    }
    let router = ReplicaRouter::connect(primary_url, replica_urls, config).await?;
    let router = Arc::new(router);
    let mut backend = StoreBackend::plain(router.clone());
    backend.router = Some(router);
    Ok(backend)
}
