use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;

use crate::openapi::error_responses::Internal;
use crate::{ApiError, AppState};

/// OpenMetrics text, which Prometheus scrapes natively.
const CONTENT_TYPE: HeaderValue =
    HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");

/// `GET /metrics`: Prometheus exposition of the HTTP, store and hasher metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (
            status = 200,
            description = "OpenMetrics text exposition.",
            body = String,
            content_type = "application/openmetrics-text",
        ),
        Internal,
    ),
)]
pub(crate) async fn prometheus_metrics(
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let mut text = String::new();
    encode(&mut text, state.registry())
        .map_err(|e| ApiError::Internal(format!("encoding metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}
