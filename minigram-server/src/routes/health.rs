use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use minigram::cache::BreakerState;

use crate::AppState;
use crate::body::{
    CacheHealth, ComponentStatus, FeedJson, HasherHealth, HealthComponents, HealthJson,
    MediaHealth, OverallStatus, RateLimitHealth, StoreHealth,
};
use crate::extract::Json;

/// Longest the store probe may take before the store counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`: each component's status; 503 when the store (the
/// primary, behind a replica router) is down; `degraded` when password
/// hashing is saturated (logins queue) or a replica is not taking reads
/// (reads fall back to the primary and the rest), or Redis is unreachable
/// (the cache and shared rate limits fall back; nothing fails).
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    responses(
        (status = 200, description = "The store answers; `status` is `ok` or `degraded`.", body = HealthJson),
        (status = 503, description = "The store is down (`status` is `down`).", body = HealthJson),
    ),
)]
pub(crate) async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthJson>) {
    let minigram = state.minigram();
    let store = minigram.store();
    let store_ok = matches!(
        tokio::time::timeout(PROBE_TIMEOUT, store.health()).await,
        Ok(Ok(()))
    );
    let hasher = minigram.hasher().stats();
    let hasher_saturated = hasher.waiting > 0;
    let media_ok = match &state.settings().media_dir {
        Some(dir) => tokio::fs::metadata(dir).await.is_ok_and(|m| m.is_dir()),
        None => true,
    };
    let mut store_health = StoreHealth {
        status: ComponentStatus::up(store_ok),
        kind: store.kind(),
        primary: None,
        replicas: None,
        healthy_replicas: None,
        cluster: None,
    };
    let replicas_ok = add_replication(&state, &mut store_health);
    let (cache, cache_ok) = cache_component(&state);
    let (rate_limit, limits_ok) = rate_limit_component(&state);
    let feed = FeedJson::of(minigram).await;
    let feed_ok = feed.status == "ok";
    let healthy = media_ok && !hasher_saturated && replicas_ok && cache_ok && limits_ok && feed_ok;
    let (status, overall) = match (store_ok, healthy) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, OverallStatus::Down),
        (true, false) => (StatusCode::OK, OverallStatus::Degraded),
        (true, true) => (StatusCode::OK, OverallStatus::Ok),
    };
    let body = HealthJson {
        status: overall,
        components: HealthComponents {
            store: store_health,
            media: MediaHealth {
                status: ComponentStatus::up(media_ok),
            },
            cache,
            rate_limit,
            password_hasher: HasherHealth {
                status: if hasher_saturated { "saturated" } else { "ok" },
                running: hasher.running,
                waiting: hasher.waiting,
                capacity: hasher.capacity,
            },
            feed,
        },
    };
    (status, Json(body))
}

/// The cache tiers and the Redis breaker: `down` while Redis is
/// unreachable (reads and writes go to the store: slower, not failing).
fn cache_component(state: &AppState) -> (CacheHealth, bool) {
    let mode = state.cache_mode().as_str();
    let breaker = state.cache().and_then(|cache| cache.redis_state());
    let ok = breaker.is_none_or(|b| b == BreakerState::Closed);
    let health = CacheHealth {
        status: ComponentStatus::up(ok),
        mode,
        redis: breaker.map(breaker_name),
    };
    (health, ok)
}

/// The rate limits and, when shared through Redis, its breaker (`down`:
/// each instance limits on its own until Redis answers).
fn rate_limit_component(state: &AppState) -> (RateLimitHealth, bool) {
    let Some(limits) = state.rate_limits() else {
        let off = RateLimitHealth {
            status: "off",
            backend: None,
            redis: None,
        };
        return (off, true);
    };
    let breaker = limits.redis_state();
    let ok = breaker.is_none_or(|b| b == BreakerState::Closed);
    let health = RateLimitHealth {
        status: if ok { "ok" } else { "down" },
        backend: Some(limits.backend()),
        redis: breaker.map(breaker_name),
    };
    (health, ok)
}

/// `closed` (Redis answering), `open` (not used) or `half_open` (probing).
pub(crate) fn breaker_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}

/// With a replica router, adds the primary and every replica (state, lag,
/// reads) to the store's entry; returns whether every replica takes reads.
#[cfg(feature = "postgres")]
fn add_replication(state: &AppState, store: &mut StoreHealth) -> bool {
    use crate::body::{PrimaryHealth, ReplicaHealth};
    use minigram::store::ReplicaState;

    let Some(router) = state.router() else {
        return true;
    };
    let status = router.status();
    let replicas: Vec<ReplicaHealth> = status
        .replicas
        .iter()
        .map(|r| ReplicaHealth {
            url: r.url.clone(),
            state: r.state.as_str(),
            lag_bytes: r.lag_bytes,
            lag_ms: r.lag.map(|lag| lag.as_millis() as u64),
            replay_lsn: r.replay_lsn,
            reads: r.reads,
            in_flight: r.outstanding,
            error: r.last_error.clone(),
        })
        .collect();
    let healthy = status
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::Healthy)
        .count();
    store.kind = "postgres";
    store.primary = Some(PrimaryHealth {
        url: status.primary_url,
        status: ComponentStatus::up(status.primary_up),
        lsn: status.primary_lsn,
        error: status.primary_error,
    });
    store.replicas = Some(replicas);
    store.healthy_replicas = Some(healthy);
    store.cluster = status.cluster.as_ref().map(Into::into);
    healthy == status.replicas.len()
}

#[cfg(not(feature = "postgres"))]
fn add_replication(_state: &AppState, _store: &mut StoreHealth) -> bool {
    true
}
