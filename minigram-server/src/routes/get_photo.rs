use axum::extract::State;
use minigram::PhotoId;

use crate::body::PhotoJson;
use crate::extract::{AuthUser, Json, Path};
use crate::openapi::error_responses::{BadRequest, Internal, NotFound, Unauthorized, Unavailable};
use crate::{ApiError, AppState};

/// `GET /api/photos/{id}`: the photo as the caller sees it.
#[utoipa::path(
    get,
    path = "/api/photos/{id}",
    tag = "photos",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The photo's id.")),
    responses(
        (status = 200, description = "The photo.", body = PhotoJson),
        BadRequest, Unauthorized, NotFound, Internal, Unavailable,
    ),
)]
pub(crate) async fn get_photo(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PhotoJson>, ApiError> {
    let id = PhotoId::parse(&id)?;
    let view = state.minigram().photo(id, user.user_id).await?;
    Ok(Json(view.into()))
}
