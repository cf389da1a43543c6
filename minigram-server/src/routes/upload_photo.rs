use axum::extract::State;
use axum::http::StatusCode;

use crate::body::PhotoJson;
use crate::extract::{AuthUser, Json, PhotoUpload};
use crate::{ApiError, AppState};

/// `POST /api/photos` and `POST /api/upload`: multipart `photo` + `caption`;
/// 201 with the photo, 413 over the limit, 415 when not an image.
pub(crate) async fn upload_photo(
    State(state): State<AppState>,
    user: AuthUser,
    upload: PhotoUpload,
) -> Result<(StatusCode, Json<PhotoJson>), ApiError> {
    let photo = state
        .minigram()
        .post_photo(user.user_id, upload.caption, upload.bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(PhotoJson::new(photo, false))))
}
