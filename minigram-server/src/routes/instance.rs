use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;

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
        "cache": "none",
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
    Json(body)
}

/// With a replica router: `store` is `postgres`, with the replica count,
/// the read consistency, and the staleness bound for other users' writes
/// (replicas further behind are benched). A user's own writes are always
/// visible to them within the sticky window.
#[cfg(feature = "postgres")]
fn add_replication(state: &AppState, body: &mut Value) {
    use minigram::store::postgres::ReadConsistency;

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
