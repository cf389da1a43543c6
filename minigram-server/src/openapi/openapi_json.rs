use std::sync::Arc;

use axum::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;

use crate::ApiError;
use crate::openapi::error_responses::Internal;

/// The spec the router was built with, shared by every request.
#[derive(Clone)]
pub(crate) struct OpenApiDocument(pub Arc<OpenApi>);

/// `GET /api/openapi.json`: this API's OpenAPI 3.1 description.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1).", body = Object),
        Internal,
    ),
)]
pub(crate) async fn openapi_json(
    Extension(spec): Extension<OpenApiDocument>,
) -> Result<Response, ApiError> {
    let json = serde_json::to_vec(&*spec.0)
        .map_err(|e| ApiError::Internal(format!("serialising the OpenAPI spec: {e}")))?;
    let content_type = HeaderValue::from_static("application/json");
    Ok(([(header::CONTENT_TYPE, content_type)], json).into_response())
}
