use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;

/// Longest the store probe may take before the store counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`: each component's status; 503 when the store is down,
/// `degraded` when password hashing is saturated (logins queue).
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
    let (status, overall) = match (store_ok, media_ok && !hasher_saturated) {
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "down"),
        (true, false) => (StatusCode::OK, "degraded"),
        (true, true) => (StatusCode::OK, "ok"),
    };
    let up = |ok: bool| if ok { "ok" } else { "down" };
    let body = json!({
        "status": overall,
        "components": {
            "store": { "status": up(store_ok), "kind": store.kind() },
            "media": { "status": up(media_ok) },
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
