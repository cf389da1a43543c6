use axum::extract::State;
use minigram::PhotoId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::{AuthUser, Json, Path};
use crate::openapi::error_responses::{
    BadRequest, CsrfRejected, Internal, NotFound, RateLimited, Unauthorized, Unavailable,
};
use crate::{ApiError, AppState};

/// `{"success":true,"liked":bool,"like_count":N}`.
#[derive(Serialize, ToSchema)]
#[schema(as = LikeResult)]
pub(crate) struct LikeJson {
    /// Always `true`.
    success: bool,
    /// Whether the caller now likes the photo.
    liked: bool,
    /// How many users like it now.
    like_count: u64,
}

/// `POST /api/photos/{id}/like`: idempotent.
#[utoipa::path(
    post,
    path = "/api/photos/{id}/like",
    tag = "photos",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The photo's id.")),
    responses(
        (status = 200, description = "Liked (or already liked).", body = LikeJson),
        BadRequest, Unauthorized, CsrfRejected, NotFound, RateLimited, Internal, Unavailable,
    ),
)]
pub(crate) async fn like(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<LikeJson>, ApiError> {
    let like_count = state
        .minigram()
        .like(user.user_id, PhotoId::parse(&id)?)
        .await?;
    Ok(Json(LikeJson {
        success: true,
        liked: true,
        like_count,
    }))
}

/// `DELETE /api/photos/{id}/like`: idempotent.
#[utoipa::path(
    delete,
    path = "/api/photos/{id}/like",
    tag = "photos",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The photo's id.")),
    responses(
        (status = 200, description = "Not liked (any more, or never).", body = LikeJson),
        BadRequest, Unauthorized, CsrfRejected, NotFound, RateLimited, Internal, Unavailable,
    ),
)]
pub(crate) async fn unlike(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<LikeJson>, ApiError> {
    let like_count = state
        .minigram()
        .unlike(user.user_id, PhotoId::parse(&id)?)
        .await?;
    Ok(Json(LikeJson {
        success: true,
        liked: false,
        like_count,
    }))
}
