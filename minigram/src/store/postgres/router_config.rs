use std::time::Duration;

use super::PostgresConfig;

/// Which writes a read through a [`ReplicaRouter`](super::ReplicaRouter)
/// is guaranteed to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReadConsistency {
    /// A read sees every write its viewer made through this router in the
    /// last `sticky_window` (read-your-writes, the "sticking" technique).
    /// Other users' writes may be missing for as long as the replica lags,
    /// which is bounded by `max_lag` / `max_lag_bytes` (past those the
    /// replica is benched). The scalable default.
    #[default]
    ReadYourWrites,
    /// A read sees every write acknowledged through this router before the
    /// read started, whoever made it — the general visibility rule of the
    /// [`Store`](crate::store::Store) contract. Reads still go to a replica that
    /// has caught up, but under a steady write load most go to the primary.
    AllWritesThroughThisRouter,
}

/// Tuning for [`ReplicaRouter`](super::ReplicaRouter).
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// Pool settings for the primary; replicas get the same without
    /// migrations.
    pub pool: PostgresConfig,
    /// What reads are guaranteed to see.
    pub consistency: ReadConsistency,
    /// How long after a user's write their reads need a replica that has
    /// replayed it (default 30 s).
    pub sticky_window: Duration,
    /// How often each replica's replay position and lag are polled
    /// (default 100 ms).
    pub poll_interval: Duration,
    /// How long one poll or one position re-check may take (default 1 s).
    pub poll_timeout: Duration,
    /// A replica further behind the primary than this many WAL bytes is
    /// benched until it catches up (default 16 MiB).
    pub max_lag_bytes: u64,
    /// A replica whose last replayed commit is older than this while it is
    /// behind is benched until it catches up (default 5 s).
    pub max_lag: Duration,
    /// How long a replica that failed a read or a health check stays out
    /// before it is tried again (default 1 s).
    pub bench_duration: Duration,
    /// Following Patroni: how often its `GET /cluster` is read to learn the
    /// leader and the replicas (default 250 ms). A failover is noticed at
    /// most this long after Patroni records it.
    pub patroni_poll_interval: Duration,
    /// Following Patroni: how long a write waits for a primary that accepts
    /// it while there is none (a failover in progress) before failing with
    /// `StoreError::Unavailable` (default 5 s).
    pub failover_write_wait: Duration,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            pool: PostgresConfig::default(),
            consistency: ReadConsistency::default(),
            sticky_window: Duration::from_secs(30),
            poll_interval: Duration::from_millis(100),
            poll_timeout: Duration::from_secs(1),
            max_lag_bytes: 16 * 1024 * 1024,
            max_lag: Duration::from_secs(5),
            bench_duration: Duration::from_secs(1),
            patroni_poll_interval: Duration::from_millis(250),
            failover_write_wait: Duration::from_secs(5),
        }
    }
}
