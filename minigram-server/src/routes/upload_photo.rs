use axum::extract::State;
use axum::http::StatusCode;

use crate::body::PhotoJson;
use crate::extract::{AuthUser, Json, PhotoUpload, PhotoUploadForm};
use crate::openapi::error_responses::{
    BadRequest, CsrfRejected, Internal, PayloadTooLarge, RateLimited, Unauthorized, Unavailable,
    UnsupportedMediaType,
};
use crate::{ApiError, AppState};

/// `POST /api/photos` and `POST /api/upload`: multipart `photo` + `caption`;
/// 201 with the photo, 413 over the limit, 415 when not an image.
#[utoipa::path(
    post,
    path = "/api/photos",
    tag = "photos",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = PhotoUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Posted.", body = PhotoJson),
        BadRequest, Unauthorized, CsrfRejected, PayloadTooLarge, UnsupportedMediaType, RateLimited,
        Internal, Unavailable,
    ),
)]
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

/// `POST /api/upload`: the origin's name for [`upload_photo`].
#[utoipa::path(
    post,
    path = "/api/upload",
    tag = "photos",
    security(("bearer" = []), ("session_cookie" = [])),
    request_body(content = PhotoUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Posted.", body = PhotoJson),
        BadRequest, Unauthorized, CsrfRejected, PayloadTooLarge, UnsupportedMediaType, RateLimited,
        Internal, Unavailable,
    ),
)]
pub(crate) async fn upload_photo_origin(
    state: State<AppState>,
    user: AuthUser,
    upload: PhotoUpload,
) -> Result<(StatusCode, Json<PhotoJson>), ApiError> {
    upload_photo(state, user, upload).await
}
