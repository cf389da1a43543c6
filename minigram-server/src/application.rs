use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::ListenerExt as _;
use minigram::media::{LocalMediaStore, MediaError};
use minigram::{BuildError, Minigram, StoreError};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app;
use crate::config::ServerSettings;
use crate::observability::sample_every_second;
use crate::rate_limiting::RateLimits;
use crate::state::{AppState, Extras, StateSettings};
use crate::store_backend::StoreBackend;

/// Extra time, past the request timeout, that in-flight requests get to
/// finish after shutdown is asked for.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A file or socket operation failed.
    #[error("starting the server failed while {action}: {source}")]
    Io {
        /// What the server was doing.
        action: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error("starting the server failed: {0}")]
    Store(#[from] StoreError),
    /// The media directory could not be opened.
    #[error("starting the server failed: {0}")]
    Media(#[from] MediaError),
    /// The library could not be built (weak secret, bad hash parameters...).
    #[error("starting the server failed: {0}")]
    Build(#[from] BuildError),
    /// The store, cache or rate limits could not be set up as configured
    /// (e.g. the Redis URL does not parse, or a feature this build lacks).
    /// Contradictory flags are refused earlier, by
    /// [`ServerConfig::resolve`](crate::ServerConfig::resolve).
    #[error("starting the server failed: {0}")]
    Config(String),
    /// The local PostgreSQL dev cluster could not be started or stopped.
    #[cfg(feature = "devcluster")]
    #[error("the PostgreSQL dev cluster failed: {0}")]
    DevCluster(#[from] minigram_devcluster::DevClusterError),
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Serving connections failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    /// The store could not be flushed and closed at shutdown.
    #[error("closing the store failed: {0}")]
    Close(#[from] StoreError),
    /// The PostgreSQL dev cluster could not be stopped at shutdown.
    #[error("stopping the PostgreSQL dev cluster failed: {0}")]
    StopCluster(#[source] StartError),
}

/// A bound, ready-to-run server: the store is open, the socket listens.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use clap::Parser as _;
/// use minigram_server::{Application, ServerConfig, shutdown_signal};
///
/// let settings = ServerConfig::parse().resolve()?;
/// let app = Application::build(&settings).await?;
/// println!("listening on {}", app.url());
/// app.run_until_stopped(shutdown_signal()).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
    backend: StoreBackend,
    drain_timeout: Duration,
}

impl Application {
    /// Opens the store and media under `settings.data_dir`, builds the
    /// library, and binds the socket (port 0 picks a free port).
    ///
    /// With `--replicas N` (or `--store postgres` without a URL) this first
    /// starts a PostgreSQL primary and N streaming replicas under
    /// `<data-dir>/postgres`; they stop when the server stops (or, failing
    /// that, when its process ends).
    pub async fn build(settings: &ServerSettings) -> Result<Self, StartError> {
        let listen = settings.http.listen;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Io {
                action: format!("binding {listen}"),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Io {
            action: "reading the bound address".into(),
            source,
        })?;
        tokio::fs::create_dir_all(&settings.data_dir)
            .await
            .map_err(|source| StartError::Io {
                action: format!(
                    "creating the data directory {}",
                    settings.data_dir.display()
                ),
                source,
            })?;
        let mut backend = StoreBackend::open(settings).await?;
        let checked = match &settings.store {
            crate::config::StoreSettings::Postgres(postgres) => {
                backend
                    .check_timeline_store(postgres, settings.feed.strategy)
                    .await
            }
            crate::config::StoreSettings::Embedded { .. } => Ok(()),
        };
        if let Err(e) = checked {
            let _ = backend.store.close().await;
            let _ = backend.stop_cluster().await;
            return Err(e);
        }
        if let Err(e) = backend.add_cache(settings).await {
            let _ = backend.store.close().await;
            let _ = backend.stop_cluster().await;
            return Err(e);
        }
        let rate_limits = match rate_limits(settings, &backend) {
            Ok(limits) => limits,
            Err(e) => {
                let _ = backend.store.close().await;
                let _ = backend.stop_cluster().await;
                return Err(e);
            }
        };
        let minigram = match build_minigram(settings, &backend).await {
            Ok(minigram) => minigram,
            Err(e) => {
                let _ = backend.store.close().await;
                let _ = backend.stop_cluster().await;
                return Err(e);
            }
        };
        let state_settings = StateSettings {
            instance_id: settings.logging.instance_id.clone(),
            max_upload_bytes: settings.http.max_upload_bytes,
            request_timeout: settings.http.request_timeout,
            media_dir: Some(settings.media_dir.clone()),
        };
        let extras = Extras {
            cache_mode: settings.cache.mode,
            cache: backend.cache.clone(),
            rate_limits,
        };
        let state = AppState::build(
            minigram,
            state_settings,
            #[cfg(feature = "postgres")]
            backend.router.clone(),
            extras,
        );
        Ok(Self {
            listener,
            addr,
            state,
            backend,
            drain_timeout: settings.http.request_timeout + DRAIN_GRACE,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the server listens on (the real one when 0 was asked for).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state (library, metrics), e.g. for tests.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting connections,
    /// lets in-flight requests finish (for at most the request timeout plus
    /// a few seconds), and closes the store, which makes every acknowledged
    /// write durable; then stops the dev cluster, if it started one.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let Self {
            listener,
            state,
            mut backend,
            drain_timeout,
            ..
        } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let stopping = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        // The dashboard's history; stopped with the server (below).
        let sampler = tokio::spawn(sample_every_second(state.clone()));
        let service = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let serve = axum::serve(listener, service)
            .with_graceful_shutdown(stopping(stop_rx.clone()))
            .into_future();
        let deadline = async {
            stopping(stop_rx).await;
            tracing::info!("draining in-flight requests");
            tokio::time::sleep(drain_timeout).await;
        };
        let served = tokio::select! {
            served = serve => served.map_err(ServeError::from),
            () = deadline => {
                tracing::warn!(?drain_timeout, "requests still in flight after the drain deadline; closing anyway");
                Ok(())
            }
        };
        sampler.abort();
        tracing::info!("closing the store");
        let closed = state.minigram().close().await;
        let cluster_stopped = backend.stop_cluster().await;
        served?;
        closed?;
        cluster_stopped.map_err(ServeError::StopCluster)?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The rate limits `settings` ask for: shared through Redis when one is in
/// use, in this process otherwise.
fn rate_limits(
    settings: &ServerSettings,
    backend: &StoreBackend,
) -> Result<Option<std::sync::Arc<RateLimits>>, StartError> {
    let Some(limits) = &settings.rate_limits else {
        return Ok(None);
    };
    #[cfg(feature = "redis")]
    if let Some(url) = &backend.redis_url {
        use secrecy::ExposeSecret as _;

        let prefix = format!("{}rl:", settings.cache.redis_prefix);
        let limiter = minigram::rate_limit::RateLimiter::redis(url.expose_secret(), &prefix)
            .map_err(|e| {
                StartError::Config(format!(
                    "invalid Redis URL {}: {e}",
                    crate::config::redacted_url(url.expose_secret())
                ))
            })?;
        return Ok(Some(std::sync::Arc::new(RateLimits::new(
            limits, limiter, "redis",
        ))));
    }
    let _ = backend;
    Ok(Some(std::sync::Arc::new(RateLimits::new(
        limits,
        minigram::rate_limit::RateLimiter::in_process(),
        "in_process",
    ))))
}

async fn build_minigram(
    settings: &ServerSettings,
    backend: &StoreBackend,
) -> Result<Minigram, StartError> {
    let media_dir = settings.media_dir.clone();
    let max_upload = settings.http.max_upload_bytes;
    let media = tokio::task::spawn_blocking(move || LocalMediaStore::open(media_dir))
        .await
        .map_err(|e| StartError::Io {
            action: "opening the media directory".into(),
            source: std::io::Error::other(e),
        })??
        .with_max_bytes(max_upload);
    let built = Minigram::builder()
        .shared_store(backend.store.clone())
        .media(media)
        .hasher(settings.hasher)
        .tokens(settings.tokens.token_config())
        .password_policy(settings.password_policy)
        .feed(settings.feed.strategy)
        .timeline_cap(settings.feed.timeline_cap)
        .fanout_workers(settings.feed.fanout_workers)
        .fanout_batch(settings.feed.fanout_batch)
        .fanout_lease(settings.feed.fanout_lease)
        .inactive_after(settings.feed.inactive_after)
        .build()
        .await;
    Ok(built?)
}
