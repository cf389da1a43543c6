use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Json, Query};
use crate::observability::{HISTORY_CAPACITY, HISTORY_INTERVAL, HistorySample};
use crate::openapi::error_responses::BadRequest;
use crate::{ApiError, AppState, ErrorCode};

/// `?after`: only samples newer than a previous answer's last `t_ms`, so a
/// dashboard polling every second or two fetches just what is new.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryQuery {
    /// Only samples taken after this time (milliseconds since the Unix
    /// epoch); all kept samples when absent. An `int64`, as the spec says
    /// (Schemathesis found larger values accepted when this was a `u64`).
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// The server's recent figures, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MetricsHistory)]
pub(crate) struct MetricsHistoryJson {
    /// Milliseconds between samples.
    interval_ms: u64,
    /// Most samples kept (older ones are dropped).
    capacity: usize,
    /// The samples, oldest first.
    samples: Vec<HistorySample>,
}

/// `GET /api/metrics/history?after`: one sample a second for the last ten
/// minutes (request rate, errors, latency per route, hasher, cache, store
/// gauges and rates), what the dashboard draws.
#[utoipa::path(
    get,
    path = "/api/metrics/history",
    tag = "operations",
    params(HistoryQuery),
    responses(
        (status = 200, description = "The kept samples, oldest first.", body = MetricsHistoryJson),
        BadRequest,
    ),
)]
pub(crate) async fn metrics_history(
    State(state): State<AppState>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<MetricsHistoryJson>, ApiError> {
    let after = query
        .after
        .map(|after| {
            u64::try_from(after).map_err(|_| {
                ApiError::bad_field(
                    ErrorCode::InvalidInput,
                    "after must not be negative",
                    "after",
                )
            })
        })
        .transpose()?;
    Ok(Json(MetricsHistoryJson {
        interval_ms: HISTORY_INTERVAL.as_millis() as u64,
        capacity: HISTORY_CAPACITY,
        samples: state.history().since(after),
    }))
}
