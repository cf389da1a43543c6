use axum::extract::State;
use minigram::UserId;

use crate::body::ProfileJson;
use crate::extract::{AuthUser, Json, Path};
use crate::openapi::error_responses::{BadRequest, Internal, NotFound, Unauthorized, Unavailable};
use crate::{ApiError, AppState};

/// `GET /api/users/{id}`: the profile as the caller sees it.
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    tag = "users",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The user's id.")),
    responses(
        (status = 200, description = "The profile.", body = ProfileJson),
        BadRequest, Unauthorized, NotFound, Internal, Unavailable,
    ),
)]
pub(crate) async fn user_profile(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ProfileJson>, ApiError> {
    let profile = state
        .minigram()
        .profile(UserId::parse(&id)?, user.user_id)
        .await?;
    Ok(Json(profile.into()))
}
