use std::time::Duration;

/// Tuning for [`PostgresStore`](super::PostgresStore). The defaults suit a
/// small server.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    /// Most connections the pool opens.
    pub pool_size: usize,
    /// How long opening a connection may take before the caller gets
    /// `StoreError::Unavailable`.
    pub connect_timeout: Duration,
    /// How long a caller waits for a free pooled connection before getting
    /// `StoreError::Unavailable`.
    pub wait_timeout: Duration,
    /// The server cancels statements running longer than this
    /// (`statement_timeout`); the caller gets `StoreError::Unavailable`.
    /// `None` keeps the server's setting.
    pub statement_timeout: Option<Duration>,
    /// Applies the schema migrations on connect (to a primary). Turn it off
    /// for replicas, which are read-only.
    pub migrate: bool,
    /// `application_name`, visible in `pg_stat_activity`.
    pub application_name: String,
    /// Push and hybrid feeds: keep the timelines in these Redis sorted
    /// sets instead of PostgreSQL tables (the queue, the locks and the
    /// source of truth stay in PostgreSQL; see docs/feeds.md). Every
    /// server and worker process on one database must agree on this.
    #[cfg(feature = "redis")]
    pub redis_timelines: Option<super::RedisTimelines>,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            wait_timeout: Duration::from_secs(5),
            statement_timeout: Some(Duration::from_secs(30)),
            migrate: true,
            application_name: "minigram".into(),
            #[cfg(feature = "redis")]
            redis_timelines: None,
        }
    }
}
