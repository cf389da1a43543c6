use axum::extract::State;
use minigram::UserId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::{AuthUser, Json, Path};
use crate::openapi::error_responses::{
    BadRequest, CsrfRejected, Internal, NotFound, RateLimited, Unauthorized, Unavailable,
};
use crate::{ApiError, AppState};

/// `{"success":true,"following":bool}`.
#[derive(Serialize, ToSchema)]
#[schema(as = FollowResult)]
pub(crate) struct FollowJson {
    /// Always `true`.
    success: bool,
    /// Whether the caller now follows the user.
    following: bool,
}

/// `POST /api/users/{id}/follow`: idempotent; following yourself is 400.
#[utoipa::path(
    post,
    path = "/api/users/{id}/follow",
    tag = "users",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The user's id.")),
    responses(
        (status = 200, description = "Following (or already following).", body = FollowJson),
        BadRequest, Unauthorized, CsrfRejected, NotFound, RateLimited, Internal, Unavailable,
    ),
)]
pub(crate) async fn follow(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<FollowJson>, ApiError> {
    state
        .minigram()
        .follow(user.user_id, UserId::parse(&id)?)
        .await?;
    Ok(Json(FollowJson {
        success: true,
        following: true,
    }))
}

/// `DELETE /api/users/{id}/follow`: idempotent.
#[utoipa::path(
    delete,
    path = "/api/users/{id}/follow",
    tag = "users",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The user's id.")),
    responses(
        (status = 200, description = "Not following (any more, or never).", body = FollowJson),
        BadRequest, Unauthorized, CsrfRejected, NotFound, RateLimited, Internal, Unavailable,
    ),
)]
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<FollowJson>, ApiError> {
    state
        .minigram()
        .unfollow(user.user_id, UserId::parse(&id)?)
        .await?;
    Ok(Json(FollowJson {
        success: true,
        following: false,
    }))
}
