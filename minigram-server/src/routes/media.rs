use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minigram::media::MediaKey;

use crate::extract::Path;
use crate::openapi::error_responses::{BadRequest, Internal, Unavailable};
use crate::{ApiError, AppState, ErrorBody, ErrorCode};

/// Media never change under a key (keys are content hashes).
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// `GET /uploads/{file}`: the stored bytes with their type, an `ETag` and a
/// long-lived `Cache-Control`. Anything that is not a media key is 404, so
/// no client-supplied name reaches the filesystem.
#[utoipa::path(
    get,
    path = "/uploads/{file}",
    tag = "media",
    params(("file" = String, Path, description = "A photo's `filename`.")),
    responses(
        (
            status = 200,
            description = "The image, with `ETag` and `Cache-Control: public, max-age=31536000, immutable`.",
            content(
                ("image/jpeg"),
                ("image/png"),
                ("image/webp"),
                ("image/gif"),
            ),
            headers(
                ("ETag" = String, description = "The content hash, quoted."),
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`."),
            ),
        ),
        (status = 304, description = "Not modified: `If-None-Match` matched the `ETag`."),
        BadRequest,
        (status = 404, description = "No such media file (`media_not_found`).", body = ErrorBody),
        Internal, Unavailable,
    ),
)]
pub(crate) async fn media(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound {
        code: ErrorCode::MediaNotFound,
        message: "no such media file".into(),
    };
    let key = MediaKey::parse(&file).map_err(|_| not_found())?;
    let etag =
        HeaderValue::from_str(&format!("\"{}\"", key.digest_hex())).map_err(|_| not_found())?;
    let cache_headers = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, IMMUTABLE),
    ];
    if request_headers.get(header::IF_NONE_MATCH) == Some(&etag) {
        return Ok((StatusCode::NOT_MODIFIED, cache_headers).into_response());
    }
    let bytes = state
        .minigram()
        .media()
        .get(&key)
        .await?
        .ok_or_else(not_found)?;
    let content_type = HeaderValue::from_static(key.content_type().mime());
    Ok((
        cache_headers,
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}
