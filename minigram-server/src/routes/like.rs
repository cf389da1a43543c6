use axum::extract::State;
use minigram::PhotoId;
use serde::Serialize;

use crate::extract::{AuthUser, Json, Path};
use crate::{ApiError, AppState};

/// `{"success":true,"liked":bool,"like_count":N}`.
#[derive(Serialize)]
pub(crate) struct LikeJson {
    success: bool,
    liked: bool,
    like_count: u64,
}

/// `POST /api/photos/{id}/like`: idempotent.
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
