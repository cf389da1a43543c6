use std::time::Duration;

use super::{ClusterMember, ReadConsistency};

/// Whether a replica takes reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplicaState {
    /// Not polled yet.
    Starting,
    /// Takes reads.
    Healthy,
    /// Reachable but further behind than the limits; benched until it
    /// catches up.
    Lagging,
    /// Failed a health check or a read (or is not a replica); benched and
    /// retried after `bench_duration`.
    Down,
}

impl ReplicaState {
    /// A lower-case name for status pages: `starting`, `healthy`, `lagging`, `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Healthy => "healthy",
            Self::Lagging => "lagging",
            Self::Down => "down",
        }
    }
}

/// One replica as the router last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaStatus {
    /// Its URL, without password.
    pub url: String,
    /// Whether it takes reads.
    pub state: ReplicaState,
    /// WAL bytes it is behind the primary (at the last poll).
    pub lag_bytes: Option<u64>,
    /// How old its last replayed commit is while it is behind; zero when
    /// it has replayed everything.
    pub lag: Option<Duration>,
    /// Its replay position (`pg_last_wal_replay_lsn()`), as a number.
    pub replay_lsn: Option<u64>,
    /// Reads it served.
    pub reads: u64,
    /// Reads running on it now.
    pub outstanding: usize,
    /// Why it is down, when it is.
    pub last_error: Option<String>,
}

/// The primary and every replica as the router last saw them, for
/// `/health` and status pages.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterStatus {
    /// The primary's URL, without password.
    pub primary_url: String,
    /// Whether the last poll of the primary succeeded.
    pub primary_up: bool,
    /// The primary's WAL position at the last successful poll.
    pub primary_lsn: Option<u64>,
    /// Why the primary is down, when it is.
    pub primary_error: Option<String>,
    /// Every replica, in the order given (following Patroni: its
    /// non-leader members).
    pub replicas: Vec<ReplicaStatus>,
    /// The Patroni cluster followed, when the router follows one.
    pub cluster: Option<ClusterStatus>,
    /// What reads are guaranteed to see.
    pub consistency: ReadConsistency,
    /// How long a user's reads follow their writes.
    pub sticky_window: Duration,
    /// The staleness bound for other users' writes: replicas lagging more
    /// are benched.
    pub max_lag: Duration,
    /// The same bound in WAL bytes.
    pub max_lag_bytes: u64,
}

/// The Patroni cluster a router follows, as last read.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterStatus {
    /// The REST endpoints, in the order they are tried.
    pub patroni_urls: Vec<String>,
    /// The member writes go to now (`None` before a leader accepted writes).
    pub leader: Option<String>,
    /// Every member as Patroni last reported it.
    pub members: Vec<ClusterMember>,
    /// Why the last read of `/cluster` failed, when it did.
    pub last_error: Option<String>,
    /// Changes of leader followed since the router started.
    pub failovers: u64,
    /// How long a write waits for a primary during a failover.
    pub failover_write_wait: Duration,
}
