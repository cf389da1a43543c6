use axum::extract::State;
use minigram::UserId;
use serde::Serialize;

use crate::extract::{AuthUser, Json, Path};
use crate::{ApiError, AppState};

/// `{"success":true,"following":bool}`.
#[derive(Serialize)]
pub(crate) struct FollowJson {
    success: bool,
    following: bool,
}

/// `POST /api/users/{id}/follow`: idempotent; following yourself is 400.
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
