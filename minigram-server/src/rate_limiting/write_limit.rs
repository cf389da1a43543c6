//! Middleware for writes (likes, follows, uploads and their undo): limits
//! per signed-in user.
//!
//! The token is checked here (and the user handed to the handler's
//! [`AuthUser`] extractor through the request extensions, so it is checked
//! once); a request without a valid token is passed on unlimited, for the
//! handler to answer 401.

use axum::extract::{FromRequestParts as _, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::extract::AuthUser;

/// Middleware: see the [module docs](self).
pub(crate) async fn write_limit(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(limits) = state.rate_limits() else {
        return next.run(request).await;
    };
    if limits
        .client(request.extensions(), request.headers())
        .is_none()
    {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let Ok(user) = AuthUser::from_request_parts(&mut parts, &state).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let key = format!("write:{}", user.user_id);
    let limit = match limits.check(&[(key, limits.write)]).await {
        Ok(limit) => limit,
        Err(refused) => return refused,
    };
    parts.extensions.insert(user);
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(limit) = limit {
        limit.write(response.headers_mut());
    }
    response
}
