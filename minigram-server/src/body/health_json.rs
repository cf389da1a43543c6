use serde::Serialize;
use utoipa::ToSchema;

/// `GET /health`: the overall status and each component's.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Health)]
pub struct HealthJson {
    /// `ok`; `degraded` when a component is down or saturated but requests
    /// are still served; `down` (with status 503) when the store is down.
    pub status: OverallStatus,
    /// Each component.
    pub components: HealthComponents,
}

/// The overall health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverallStatus {
    /// Everything works.
    Ok,
    /// Requests are served, slower or with a fallback.
    Degraded,
    /// The store is down: requests that need it fail.
    Down,
}

/// A component that is up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    /// Working.
    Ok,
    /// Not working.
    Down,
}

impl ComponentStatus {
    /// `Ok` when `up`.
    pub fn up(up: bool) -> Self {
        if up { Self::Ok } else { Self::Down }
    }
}

/// The components `/health` checks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthComponents {
    /// The store (behind a replica router: the primary and each replica).
    pub store: StoreHealth,
    /// The media directory.
    pub media: MediaHealth,
    /// The cache tiers and the Redis breaker.
    pub cache: CacheHealth,
    /// The rate limits and, when shared through Redis, its breaker.
    pub rate_limit: RateLimitHealth,
    /// The password-hashing pool.
    pub password_hasher: HasherHealth,
    /// The home feed: its strategy and, under push and hybrid, the fan-out
    /// queue and workers.
    pub feed: super::FeedJson,
}

/// The store: answered a probe within the deadline or not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreHealth {
    /// Whether the store (the primary, behind a router) answered.
    pub status: ComponentStatus,
    /// `embedded`, `memory` or `postgres`.
    pub kind: &'static str,
    /// Behind a replica router: the primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<PrimaryHealth>,
    /// Behind a replica router: each replica.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Vec<ReplicaHealth>>,
    /// Behind a replica router: how many replicas take reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthy_replicas: Option<usize>,
    /// Following a Patroni cluster: the leader and every member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<super::ClusterJson>,
}

/// A replica router's primary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrimaryHealth {
    /// Its URL, password removed.
    pub url: String,
    /// Whether it answered the router's last probe.
    pub status: ComponentStatus,
    /// Its current WAL position (bytes), when known.
    pub lsn: Option<u64>,
    /// The last probe's error, if it failed.
    pub error: Option<String>,
}

/// One replica, as the router last saw it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplicaHealth {
    /// Its URL, password removed.
    pub url: String,
    /// `starting`, `healthy` (takes reads), `lagging` or `down` (benched).
    pub state: &'static str,
    /// How far its replay is behind the primary, in WAL bytes.
    pub lag_bytes: Option<u64>,
    /// How far its replay is behind the primary, in milliseconds.
    pub lag_ms: Option<u64>,
    /// Its replay position (bytes).
    pub replay_lsn: Option<u64>,
    /// Reads it served since start.
    pub reads: u64,
    /// Reads it is serving now.
    pub in_flight: usize,
    /// The last probe's error, if it failed.
    pub error: Option<String>,
}

/// The media directory: present and a directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediaHealth {
    /// Whether it is usable.
    pub status: ComponentStatus,
}

/// The cache: `down` while Redis is unreachable (reads and writes go to the
/// store: slower, not failing).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CacheHealth {
    /// Whether the cache's shared tier answers (`ok` without one).
    pub status: ComponentStatus,
    /// `none`, `memory`, `redis` or `tiered`.
    pub mode: &'static str,
    /// With a Redis tier, its breaker: `closed` (answering), `open` or `half_open`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<&'static str>,
}

/// Whether rate limits are on and, when shared through Redis, whether
/// Redis answers (`down`: each instance limits on its own until it does).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateLimitHealth {
    /// `ok`, `down` (Redis unreachable) or `off` (rate limiting disabled).
    pub status: &'static str,
    /// Where the counts live: `local` or `redis`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// With Redis, its breaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<&'static str>,
}

/// The password-hashing pool: `saturated` while logins queue for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HasherHealth {
    /// `ok` or `saturated`.
    pub status: &'static str,
    /// Hashes running now.
    pub running: usize,
    /// Hashes waiting for a slot.
    pub waiting: u64,
    /// Most hashes run at once.
    pub capacity: usize,
}
