use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::observability::{MetricsSnapshot, OriginMetrics};

/// `GET /api/metrics`: minigram's own figures (`http`, `store`,
/// `password_hasher`, `cache`, `rate_limit`) and, beside them at the top
/// level where the origin's clients read them, the origin's fields (no
/// name is shared).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApiMetrics)]
pub struct ApiMetricsJson {
    /// Requests, errors and latency per route.
    pub http: MetricsSnapshot,
    /// The store's own figures.
    pub store: StoreFigures,
    /// The password-hashing pool.
    pub password_hasher: HasherFigures,
    /// The cache tiers.
    pub cache: CacheFigures,
    /// The rate limits' decisions.
    pub rate_limit: RateLimitFigures,
    /// The origin's fields.
    #[serde(flatten)]
    pub origin: OriginMetrics,
}

/// The store's figures, as its `metrics()` reports them.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreFigures {
    /// `embedded`, `memory` or `postgres`.
    pub kind: &'static str,
    /// Each series by name, with its labels in braces when it has any
    /// (`minigram_router_replica_lag_bytes{replica="0"}`).
    pub metrics: BTreeMap<String, f64>,
}

/// The password-hashing pool since start.
#[derive(Debug, Serialize, ToSchema)]
pub struct HasherFigures {
    /// Hashes running now.
    pub running: usize,
    /// Hashes waiting for a slot.
    pub waiting: u64,
    /// Most hashes run at once.
    pub capacity: usize,
    /// `running / capacity`.
    pub saturation: f64,
    /// Hashes completed since start.
    pub completed: u64,
    /// Time spent hashing, in seconds (summed over the pool).
    pub busy_s: f64,
}

/// The cache's figures (also in `store.metrics`, which is what the cache
/// reports as the store's): per tier, without the names' prefix.
#[derive(Debug, Serialize, ToSchema)]
pub struct CacheFigures {
    /// `none`, `memory`, `redis` or `tiered`.
    pub mode: &'static str,
    /// With a Redis tier, its breaker: `closed`, `open` or `half_open`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<&'static str>,
    /// With a cache, its series (`l1_hits_total`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<BTreeMap<String, f64>>,
}

/// The rate limits' decisions since start.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateLimitFigures {
    /// Whether requests are rate limited.
    pub enabled: bool,
    /// Where the counts live: `local` or `redis`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// Requests admitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admitted: Option<u64>,
    /// Requests refused with 429.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limited: Option<u64>,
}
