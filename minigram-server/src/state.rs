use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use minigram::Minigram;
use minigram::cache::CachedStore;
#[cfg(feature = "postgres")]
use minigram::store::ReplicaRouter;
use prometheus_client::registry::Registry;

use crate::config::CacheMode;
use crate::observability::{
    HttpMetrics, MetricsHistory, library_collector::LibraryCollector,
    rate_limit_collector::RateLimitCollector,
};
use crate::rate_limiting::RateLimits;

/// Settings the handlers need besides the library.
#[derive(Debug, Clone)]
pub struct StateSettings {
    /// Name of this instance, reported by `/api/instance`.
    pub instance_id: String,
    /// Largest accepted upload in bytes.
    pub max_upload_bytes: usize,
    /// Longest a request may run.
    pub request_timeout: Duration,
    /// Where media files live, for the health check (when on local disk).
    pub media_dir: Option<PathBuf>,
}

/// The cache and rate limits the server runs with (none by default).
#[derive(Debug, Clone)]
pub(crate) struct Extras {
    pub(crate) cache_mode: CacheMode,
    pub(crate) cache: Option<Arc<CachedStore>>,
    pub(crate) rate_limits: Option<Arc<RateLimits>>,
}

impl Default for Extras {
    fn default() -> Self {
        Self {
            cache_mode: CacheMode::None,
            cache: None,
            rate_limits: None,
        }
    }
}

/// What every handler shares: the library facade, metrics and settings.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    minigram: Minigram,
    #[cfg(feature = "postgres")]
    router: Option<Arc<ReplicaRouter>>,
    extras: Extras,
    metrics: HttpMetrics,
    history: MetricsHistory,
    registry: Registry,
    settings: StateSettings,
    started: Instant,
}

impl AppState {
    /// State over a built [`Minigram`].
    pub fn new(minigram: Minigram, settings: StateSettings) -> Self {
        Self::build(
            minigram,
            settings,
            #[cfg(feature = "postgres")]
            None,
            Extras::default(),
        )
    }

    /// State over a [`Minigram`] whose store is `router` (built with
    /// `shared_store(router.clone())`), so `/health` and `/api/instance`
    /// can report the primary and each replica.
    #[cfg(feature = "postgres")]
    pub fn with_router(
        minigram: Minigram,
        settings: StateSettings,
        router: Arc<ReplicaRouter>,
    ) -> Self {
        Self::build(minigram, settings, Some(router), Extras::default())
    }

    pub(crate) fn build(
        minigram: Minigram,
        settings: StateSettings,
        #[cfg(feature = "postgres")] router: Option<Arc<ReplicaRouter>>,
        extras: Extras,
    ) -> Self {
        let mut registry = Registry::default();
        let metrics = HttpMetrics::new(&mut registry);
        registry.register_collector(Box::new(LibraryCollector::new(minigram.clone())));
        if let Some(limits) = &extras.rate_limits {
            registry.register_collector(Box::new(RateLimitCollector::new(limits.clone())));
        }
        Self {
            inner: Arc::new(Inner {
                minigram,
                #[cfg(feature = "postgres")]
                router,
                extras,
                metrics,
                history: MetricsHistory::default(),
                registry,
                settings,
                started: Instant::now(),
            }),
        }
    }

    /// The library facade.
    pub fn minigram(&self) -> &Minigram {
        &self.inner.minigram
    }

    /// The replica router, when the store is one.
    #[cfg(feature = "postgres")]
    pub fn router(&self) -> Option<&Arc<ReplicaRouter>> {
        self.inner.router.as_ref()
    }

    /// The cache mode in effect.
    pub fn cache_mode(&self) -> CacheMode {
        self.inner.extras.cache_mode
    }

    /// The cache in front of the store, when there is one.
    pub fn cache(&self) -> Option<&Arc<CachedStore>> {
        self.inner.extras.cache.as_ref()
    }

    /// The rate limits, when on.
    pub fn rate_limits(&self) -> Option<&Arc<RateLimits>> {
        self.inner.extras.rate_limits.as_ref()
    }

    /// HTTP request metrics.
    pub fn metrics(&self) -> &HttpMetrics {
        &self.inner.metrics
    }

    /// The last minutes of figures, one sample a second, for the dashboard
    /// (empty until [`Application::run_until_stopped`](crate::Application::run_until_stopped)
    /// starts the sampler).
    pub fn history(&self) -> &MetricsHistory {
        &self.inner.history
    }

    /// The Prometheus registry (HTTP metrics plus the library collector).
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The settings.
    pub fn settings(&self) -> &StateSettings {
        &self.inner.settings
    }

    /// Time since the state was created (the server started).
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }
}
