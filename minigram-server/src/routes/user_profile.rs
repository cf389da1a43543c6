use axum::extract::State;
use minigram::UserId;

use crate::body::ProfileJson;
use crate::extract::{AuthUser, Json, Path};
use crate::{ApiError, AppState};

/// `GET /api/users/{id}`: the profile as the caller sees it.
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
