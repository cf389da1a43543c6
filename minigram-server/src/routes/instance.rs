use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;
use crate::config::CacheMode;

/// `GET /api/instance`: which instance answers, what it runs on, and how
/// stale other users' reads may be (0: one store, no cache, no replicas;
/// behind a replica router, its lag limit).
pub(crate) async fn instance(State(state): State<AppState>) -> Json<Value> {
    let minigram = state.minigram();
    let hash = minigram.hasher().config();
    let mut body = json!({
        "instance": state.settings().instance_id,
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.uptime().as_secs(),
        "store": minigram.store().kind(),
        "replicas": 0,
        "cache": state.cache_mode().as_str(),
        "cache_staleness": cache_staleness(&state),
        "rate_limit": rate_limit(&state),
        "feed": minigram.feed_strategy().name(),
        "staleness_bound_ms": 0,
        "password_hash": {
            "algorithm": "argon2id",
            "memory_kib": hash.memory_kib,
            "iterations": hash.iterations,
            "parallelism": hash.parallelism,
            "max_concurrent": hash.max_concurrent,
        },
        "max_upload_bytes": state.settings().max_upload_bytes,
    });
    add_replication(&state, &mut body);
    if let Some(ms) = body["cache_staleness"]["other_instances_ms"].as_u64() {
        let replicas = body["staleness_bound_ms"].as_u64().unwrap_or(0);
        body["staleness_bound_ms"] = json!(replicas.max(ms));
    }
    Json(body)
}

/// How stale a cached read can be (`docs/cache.md`): never through the
/// instance that took the write; through another instance sharing the
/// store, `other_instances_ms` (null: no bound from the cache; the embedded
/// store has one instance).
fn cache_staleness(state: &AppState) -> Value {
    let shared_store = state.minigram().store().kind() != "embedded";
    match state.cache_mode() {
        CacheMode::None => json!({ "same_instance_ms": 0, "other_instances_ms": 0 }),
        CacheMode::Memory if shared_store => json!({
            "same_instance_ms": 0,
            "other_instances_ms": L1_TTL_MS,
            "note": "in-process cache only: other instances' writes show within the L1 TTL",
        }),
        CacheMode::Memory => json!({ "same_instance_ms": 0, "other_instances_ms": 0 }),
        CacheMode::Redis => json!({
            "same_instance_ms": 0,
            "other_instances_ms": 0,
            "note": "every Redis answer is validated against the version keys",
        }),
        CacheMode::Tiered => json!({
            "same_instance_ms": 0,
            "writer_other_instances_ms": 0,
            "other_instances_ms": L1_TTL_MS,
            "note": "other users' writes through another instance: the pub/sub delay \
                     (milliseconds); at most the L1 TTL while Redis is unreachable",
        }),
    }
}

/// The L1 TTL for mutable values (`docs/cache.md`).
const L1_TTL_MS: u64 = 10_000;

/// Whether rate limiting is on, where its counts live, and the quotas.
fn rate_limit(state: &AppState) -> Value {
    let Some(limits) = state.rate_limits() else {
        return json!({ "enabled": false });
    };
    let quota = |q: minigram::rate_limit::Quota| json!({ "count": q.count, "period_s": q.period.as_secs(), "burst": q.burst });
    json!({
        "enabled": true,
        "backend": limits.backend(),
        "loopback_exempt": !limits.includes_loopback(),
        "auth_per_ip": quota(limits.auth_ip),
        "auth_per_username": quota(limits.auth_user),
        "writes_per_user": quota(limits.write),
    })
}

/// With a replica router: `store` is `postgres`, with the replica count,
/// the read consistency, and the staleness bound for other users' writes
/// (replicas further behind are benched). A user's own writes are always
/// visible to them within the sticky window.
#[cfg(feature = "postgres")]
fn add_replication(state: &AppState, body: &mut Value) {
    use minigram::store::ReadConsistency;

    let Some(router) = state.router() else {
        return;
    };
    let status = router.status();
    let (consistency, bound) = match status.consistency {
        ReadConsistency::ReadYourWrites => ("read_your_writes", status.max_lag.as_millis()),
        _ => ("all_writes", 0),
    };
    body["store"] = json!("postgres");
    body["replicas"] = json!(status.replicas.len());
    body["read_consistency"] = json!(consistency);
    body["sticky_window_ms"] = json!(status.sticky_window.as_millis() as u64);
    body["staleness_bound_ms"] = json!(bound as u64);
}

#[cfg(not(feature = "postgres"))]
fn add_replication(_state: &AppState, _body: &mut Value) {}
