use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use minigram::store::CountingStore;
use serde::Serialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::observability::{MemoryUsage, OriginMetrics, OriginSources};

/// `GET /api/metrics`: the Prometheus figures as JSON, plus latency
/// percentiles per route (from HdrHistograms) for the dashboard, plus the
/// origin's top-level fields (`uptime`, `requestsPerSecond`,
/// `memoryUsage`, ...) for its clients.
pub(crate) async fn api_metrics(State(state): State<AppState>) -> Json<ApiMetricsBody> {
    // First, before the other figures are read: the only step that waits.
    let memory = MemoryUsage::sample().await;
    let http = state.metrics().snapshot();
    let minigram = state.minigram();
    // Keyed by series: the name, with its labels in braces when it has any
    // (`minigram_router_replica_lag_bytes{replica="0"}`).
    let store: BTreeMap<String, f64> = minigram
        .store()
        .metrics()
        .iter()
        .map(|m| (m.series().to_string(), m.value))
        .collect();
    let hasher = minigram.hasher().stats();
    // The cache's own figures (also in `store.metrics`, which is what the
    // cache reports as the store's): per tier, without the name's prefix.
    let cache = match state.cache() {
        None => json!({ "mode": state.cache_mode().as_str() }),
        Some(cached) => {
            let figures: BTreeMap<&str, f64> = store
                .iter()
                .filter_map(|(name, value)| {
                    name.strip_prefix("minigram_cache_")
                        .map(|short| (short, *value))
                })
                .collect();
            json!({
                "mode": state.cache_mode().as_str(),
                "redis": cached.redis_state().map(crate::routes::health::breaker_name),
                "metrics": figures,
            })
        }
    };
    let rate_limit = match state.rate_limits() {
        None => json!({ "enabled": false }),
        Some(limits) => {
            let (admitted, limited) = limits.counts();
            json!({
                "enabled": true,
                "backend": limits.backend(),
                "admitted": admitted,
                "limited": limited,
            })
        }
    };
    // Counted beneath the cache by the server's `CountingStore`; absent
    // (0) over a store built without one.
    let db_queries = store
        .get(CountingStore::OPERATIONS_METRIC)
        .map_or(0, |&count| count as u64);
    let origin = OriginMetrics::new(OriginSources {
        http: &http,
        recent_mean_ms: state.metrics().recent_mean_ms(),
        uptime: state.uptime(),
        db_queries,
        memory,
    });
    Json(ApiMetricsBody {
        minigram: json!({
            "http": http,
            "store": { "kind": minigram.store().kind(), "metrics": store },
            "password_hasher": {
                "running": hasher.running,
                "waiting": hasher.waiting,
                "capacity": hasher.capacity,
                "saturation": hasher.running as f64 / hasher.capacity.max(1) as f64,
                "completed": hasher.completed,
                "busy_s": hasher.busy_micros as f64 / 1e6,
            },
            "cache": cache,
            "rate_limit": rate_limit,
        }),
        origin,
    })
}

/// The body: minigram's own keys and, beside them at the top level where
/// the origin's clients read them, the origin's fields (no name is shared).
#[derive(Serialize)]
pub(crate) struct ApiMetricsBody {
    #[serde(flatten)]
    minigram: Value,
    #[serde(flatten)]
    origin: OriginMetrics,
}
