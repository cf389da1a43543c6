use axum::extract::State;
use axum::http::StatusCode;
use minigram::PhotoId;

use crate::extract::{AuthUser, Path};
use crate::openapi::error_responses::{
    BadRequest, Internal, NotAuthorOrCsrfRejected, NotFound, RateLimited, Unauthorized, Unavailable,
};
use crate::{ApiError, AppState};

/// `DELETE /api/photos/{id}`: the author deletes their photo.
#[utoipa::path(
    delete,
    path = "/api/photos/{id}",
    tag = "photos",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The photo's id.")),
    responses(
        (
            status = 204,
            description = "Deleted: the photo, its likes and (unless another photo has the \
                           same bytes) its media file are gone from every feed, page and cache.",
        ),
        BadRequest, Unauthorized, NotAuthorOrCsrfRejected, NotFound, RateLimited, Internal,
        Unavailable,
    ),
)]
pub(crate) async fn delete_photo(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = PhotoId::parse(&id)?;
    state.minigram().delete_photo(user.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
