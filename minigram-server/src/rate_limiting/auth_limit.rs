//! Middleware for `POST /api/login` and `POST /api/register`: limits per
//! client IP and per username.
//!
//! The username is in the JSON body, so the body (at most the JSON body
//! limit) is read here, its `username` peeked at, and handed on unchanged
//! to the handler, which parses it as usual (and answers bad JSON itself).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use serde::Deserialize;

use crate::routes::JSON_BODY_LIMIT;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
struct Username {
    username: Option<String>,
}

/// Middleware: see the [module docs](self).
pub(crate) async fn auth_limit(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(limits) = state.rate_limits() else {
        return next.run(request).await;
    };
    let Some(client) = limits.client(request.extensions(), request.headers()) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, JSON_BODY_LIMIT).await else {
        return ApiError::PayloadTooLarge {
            limit: JSON_BODY_LIMIT,
        }
        .into_response();
    };
    let mut keys = Vec::with_capacity(2);
    if let Some(ip) = client.ip {
        keys.push((format!("auth-ip:{ip}"), limits.auth_ip));
    }
    if let Ok(Username {
        username: Some(name),
    }) = serde_json::from_slice::<Username>(&bytes)
    {
        let name = name.trim().to_lowercase();
        if !name.is_empty() && name.len() <= 64 {
            keys.push((format!("auth-user:{name}"), limits.auth_user));
        }
    }
    let state_for_headers = match limits.check(&keys).await {
        Ok(state) => state,
        Err(refused) => return refused,
    };
    let mut response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if let Some(limit) = state_for_headers {
        limit.write(response.headers_mut());
    }
    response
}
