use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use minigram::cache::BreakerState;
use serde_json::{Value, json};

use crate::AppState;

/// Longest the store probe may take before the store counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`: each component's status; 503 when the store (the
/// primary, behind a replica router) is down; `degraded` when password
/// hashing is saturated (logins queue) or a replica is not taking reads
/// (reads fall back to the primary and the rest), or Redis is unreachable
/// (the cache and shared rate limits fall back; nothing fails).
pub(crate) async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
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
    let up = |ok: bool| if ok { "ok" } else { "down" };
    let mut store_json = json!({ "status": up(store_ok), "kind": store.kind() });
    let replicas_ok = add_replication(&state, &mut store_json);
    let (cache_json, cache_ok) = cache_component(&state);
    let (limits_json, limits_ok) = rate_limit_component(&state);
    let healthy = media_ok && !hasher_saturated && replicas_ok && cache_ok && limits_ok;
    let (status, overall) = match (store_ok, healthy) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "down"),
        (true, false) => (StatusCode::OK, "degraded"),
        (true, true) => (StatusCode::OK, "ok"),
    };
    let body = json!({
        "status": overall,
        "components": {
            "store": store_json,
            "media": { "status": up(media_ok) },
            "cache": cache_json,
            "rate_limit": limits_json,
            "password_hasher": {
                "status": if hasher_saturated { "saturated" } else { "ok" },
                "running": hasher.running,
                "waiting": hasher.waiting,
                "capacity": hasher.capacity,
            },
        },
    });
    (status, Json(body))
}

/// The cache tiers and the Redis breaker: `down` while Redis is
/// unreachable (reads and writes go to the store: slower, not failing).
fn cache_component(state: &AppState) -> (Value, bool) {
    let mode = state.cache_mode().as_str();
    match state.cache().and_then(|cache| cache.redis_state()) {
        Some(breaker) => {
            let ok = breaker == BreakerState::Closed;
            (
                json!({
                    "status": if ok { "ok" } else { "down" },
                    "mode": mode,
                    "redis": breaker_name(breaker),
                }),
                ok,
            )
        }
        None => (json!({ "status": "ok", "mode": mode }), true),
    }
}

/// The rate limits and, when shared through Redis, its breaker (`down`:
/// each instance limits on its own until Redis answers).
fn rate_limit_component(state: &AppState) -> (Value, bool) {
    let Some(limits) = state.rate_limits() else {
        return (json!({ "status": "off" }), true);
    };
    match limits.redis_state() {
        Some(breaker) => {
            let ok = breaker == BreakerState::Closed;
            (
                json!({
                    "status": if ok { "ok" } else { "down" },
                    "backend": limits.backend(),
                    "redis": breaker_name(breaker),
                }),
                ok,
            )
        }
        None => (json!({ "status": "ok", "backend": limits.backend() }), true),
    }
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
fn add_replication(state: &AppState, store_json: &mut Value) -> bool {
    use minigram::store::ReplicaState;

    let Some(router) = state.router() else {
        return true;
    };
    let status = router.status();
    let replicas: Vec<Value> = status
        .replicas
        .iter()
        .map(|r| {
            json!({
                "url": r.url,
                "state": r.state.as_str(),
                "lag_bytes": r.lag_bytes,
                "lag_ms": r.lag.map(|lag| lag.as_millis() as u64),
                "replay_lsn": r.replay_lsn,
                "reads": r.reads,
                "in_flight": r.outstanding,
                "error": r.last_error,
            })
        })
        .collect();
    let healthy = status
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::Healthy)
        .count();
    store_json["kind"] = json!("postgres");
    store_json["primary"] = json!({
        "url": status.primary_url,
        "status": if status.primary_up { "ok" } else { "down" },
        "lsn": status.primary_lsn,
        "error": status.primary_error,
    });
    store_json["replicas"] = Value::Array(replicas);
    store_json["healthy_replicas"] = json!(healthy);
    healthy == status.replicas.len()
}

#[cfg(not(feature = "postgres"))]
fn add_replication(_state: &AppState, _store_json: &mut Value) -> bool {
    true
}
