use serde::Serialize;
use utoipa::ToSchema;

/// `GET /api/instance`: which instance answers, what it runs on, and how
/// stale other users' reads may be.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Instance)]
pub struct InstanceJson {
    /// This instance's name (`--instance-id`, else `mg-` and 8 hex digits).
    pub instance: String,
    /// The server's version.
    pub version: &'static str,
    /// Seconds since the server started.
    pub uptime_s: u64,
    /// `embedded`, `memory` or `postgres`.
    pub store: &'static str,
    /// Streaming replicas behind the replica router (0 without one).
    pub replicas: usize,
    /// `none`, `memory`, `redis` or `tiered`.
    pub cache: &'static str,
    /// How stale a cached read can be.
    pub cache_staleness: CacheStaleness,
    /// The rate limits in force.
    pub rate_limit: RateLimitSettings,
    /// The home-feed strategy: `pull`, `push` or `hybrid`.
    pub feed: &'static str,
    /// The feed strategy with, under push and hybrid, the fan-out queue's
    /// depth and the workers' state.
    pub feed_status: super::FeedJson,
    /// The most another user's write can take to become visible, in
    /// milliseconds (0: one store, nothing cached across instances).
    pub staleness_bound_ms: u64,
    /// The password-hashing parameters.
    pub password_hash: PasswordHashSettings,
    /// The largest photo accepted, in bytes.
    pub max_upload_bytes: usize,
    /// Behind a replica router: `read_your_writes` or `all_writes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_consistency: Option<&'static str>,
    /// Behind a replica router: how long a user's reads stay on the
    /// primary after their write, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sticky_window_ms: Option<u64>,
    /// Following a Patroni cluster (`--ha`, `--patroni-url`): the leader and
    /// every member with its role, address, state and lag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<super::ClusterJson>,
}

/// How stale a cached read can be: never through the instance that took
/// the write; through another instance sharing the store, within
/// `other_instances_ms`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CacheStaleness {
    /// Through the instance that took the write: always 0.
    pub same_instance_ms: u64,
    /// Tiered cache: the writer's own reads through other instances (0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer_other_instances_ms: Option<u64>,
    /// Other users' writes through another instance.
    pub other_instances_ms: u64,
    /// What the bound rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// Whether rate limiting is on, where its counts live, and the quotas.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateLimitSettings {
    /// Whether requests are rate limited.
    pub enabled: bool,
    /// Where the counts live: `local` or `redis`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// Whether loopback clients are exempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loopback_exempt: Option<bool>,
    /// Login and register attempts per client IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_per_ip: Option<QuotaJson>,
    /// Login and register attempts per username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_per_username: Option<QuotaJson>,
    /// Writes per signed-in user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes_per_user: Option<QuotaJson>,
}

/// A quota: `count` requests per `period_s` seconds, `burst` at once.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = Quota)]
pub struct QuotaJson {
    /// Requests admitted per period.
    pub count: u32,
    /// The period in seconds.
    pub period_s: u64,
    /// Requests admitted at once after an idle period.
    pub burst: u32,
}

/// The argon2id parameters new hashes are made with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PasswordHashSettings {
    /// Always `argon2id`.
    pub algorithm: &'static str,
    /// Memory per hash, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Most hashes computed at once.
    pub max_concurrent: usize,
}
