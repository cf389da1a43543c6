use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;

/// `GET /api/instance`: which instance answers, what it runs on, and how
/// stale other users' reads may be (0: one store, no cache, no replicas).
pub(crate) async fn instance(State(state): State<AppState>) -> Json<Value> {
    let minigram = state.minigram();
    let hash = minigram.hasher().config();
    Json(json!({
        "instance": state.settings().instance_id,
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.uptime().as_secs(),
        "store": minigram.store().kind(),
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
    }))
}
