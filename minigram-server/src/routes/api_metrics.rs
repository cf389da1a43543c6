use std::collections::BTreeMap;

use axum::extract::State;
use minigram::store::CountingStore;

use crate::AppState;
use crate::body::{ApiMetricsJson, CacheFigures, HasherFigures, RateLimitFigures, StoreFigures};
use crate::extract::Json;
use crate::observability::{MemoryUsage, OriginMetrics, OriginSources};

/// `GET /api/metrics`: the Prometheus figures as JSON, plus latency
/// percentiles per route (from HdrHistograms) for the dashboard, plus the
/// origin's top-level fields (`uptime`, `requestsPerSecond`,
/// `memoryUsage`, ...) for its clients.
#[utoipa::path(
    get,
    path = "/api/metrics",
    tag = "operations",
    responses((status = 200, description = "The figures since start.", body = ApiMetricsJson)),
)]
pub(crate) async fn api_metrics(State(state): State<AppState>) -> Json<ApiMetricsJson> {
    // First, before the other figures are read: the only step that waits.
    let memory = MemoryUsage::sample().await;
    let http = state.metrics().snapshot();
    let minigram = state.minigram();
    // Keyed by series: the name, with its labels in braces when it has any
    // (`minigram_router_replica_lag_bytes{replica="0"}`).
    let store: BTreeMap<String, f64> = minigram
        .metrics()
        .iter()
        .map(|m| (m.series().to_string(), m.value))
        .collect();
    let hasher = minigram.hasher().stats();
    let cache = CacheFigures {
        mode: state.cache_mode().as_str(),
        redis: state
            .cache()
            .and_then(|cached| cached.redis_state())
            .map(crate::routes::health::breaker_name),
        metrics: state.cache().map(|_| {
            store
                .iter()
                .filter_map(|(name, value)| {
                    name.strip_prefix("minigram_cache_")
                        .map(|short| (short.to_owned(), *value))
                })
                .collect()
        }),
    };
    let rate_limit = match state.rate_limits() {
        None => RateLimitFigures {
            enabled: false,
            backend: None,
            admitted: None,
            limited: None,
        },
        Some(limits) => {
            let (admitted, limited) = limits.counts();
            RateLimitFigures {
                enabled: true,
                backend: Some(limits.backend()),
                admitted: Some(admitted),
                limited: Some(limited),
            }
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
    Json(ApiMetricsJson {
        http,
        store: StoreFigures {
            kind: minigram.store().kind(),
            metrics: store,
        },
        password_hasher: HasherFigures {
            running: hasher.running,
            waiting: hasher.waiting,
            capacity: hasher.capacity,
            saturation: hasher.running as f64 / hasher.capacity.max(1) as f64,
            completed: hasher.completed,
            busy_s: hasher.busy_micros as f64 / 1e6,
        },
        cache,
        rate_limit,
        origin,
    })
}
