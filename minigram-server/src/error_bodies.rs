//! Middleware giving every error response the API's JSON shape.
//!
//! Handlers' errors already are JSON ([`ApiError`](crate::ApiError)); this
//! catches the rest: answers made by layers or by axum itself (405, a body
//! over the limit, a timed-out request), and adds the request id to every
//! 5xx body.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::api_error::{ErrorBody, ServerErrorBody};
use crate::error_code::ErrorCode;

/// Middleware: see the [module docs](self).
pub async fn error_bodies(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let body = match response.extensions_mut().remove::<ServerErrorBody>() {
        Some(ServerErrorBody(body)) => body,
        None if is_json(&response) => return response,
        None => generic_body(status),
    };
    let body = ErrorBody {
        request_id: status.is_server_error().then_some(request_id).flatten(),
        ..body
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, Body::from(bytes))
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn generic_body(status: StatusCode) -> ErrorBody {
    let (code, sentence) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "this method is not allowed on this route",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the limit",
        ),
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::Timeout, "the request took too long"),
        StatusCode::SERVICE_UNAVAILABLE => (
            ErrorCode::Unavailable,
            "the service is busy or unavailable; retry later",
        ),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such route"),
        s if s.is_server_error() => (ErrorCode::Internal, "internal server error"),
        _ => (ErrorCode::BadRequest, "the request could not be handled"),
    };
    ErrorBody::new(code, sentence)
}
