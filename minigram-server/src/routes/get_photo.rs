use axum::extract::State;
use minigram::PhotoId;

use crate::body::PhotoJson;
use crate::extract::{AuthUser, Json, Path};
use crate::{ApiError, AppState};

/// `GET /api/photos/{id}`: the photo as the caller sees it.
pub(crate) async fn get_photo(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PhotoJson>, ApiError> {
    let id = PhotoId::parse(&id)?;
    let view = state.minigram().photo(id, user.user_id).await?;
    Ok(Json(view.into()))
}
