use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::AppState;

/// `GET /api/metrics`: the Prometheus figures as JSON, plus latency
/// percentiles per route (from HdrHistograms) for the dashboard.
pub(crate) async fn api_metrics(State(state): State<AppState>) -> Json<Value> {
    let http = state.metrics().snapshot();
    let minigram = state.minigram();
    let store: BTreeMap<&str, f64> = minigram
        .store()
        .metrics()
        .into_iter()
        .map(|m| (m.name, m.value))
        .collect();
    let hasher = minigram.hasher().stats();
    Json(json!({
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
        "cache": null,
    }))
}
