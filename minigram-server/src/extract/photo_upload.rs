use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use minigram::Caption;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{ApiError, AppState, ErrorCode};

/// Room allowed for multipart framing and the caption on top of the photo
/// limit, when judging a request by its `Content-Length`.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// Most bytes read for the caption field (2,200 characters of up to 4 bytes).
const CAPTION_MAX_BYTES: usize = 4 * Caption::MAX_CHARS;

/// A photo upload: multipart with a file field `photo` and a text field
/// `caption` (optional). The photo is read chunk by chunk and refused with
/// 413 as soon as it passes the limit, so an oversized upload is never held
/// in memory whole. Other fields are ignored.
#[derive(Debug)]
pub struct PhotoUpload {
    /// The checked caption (empty when absent).
    pub caption: Caption,
    /// The photo's bytes, at most the upload limit.
    pub bytes: Vec<u8>,
}

/// The form [`PhotoUpload`] reads, as the OpenAPI spec describes it. The
/// spec lists no other fields (`deny_unknown_fields`); the server ignores
/// any it is sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PhotoUploadForm)]
#[allow(
    dead_code,
    reason = "described in the spec; `PhotoUpload` reads the parts"
)]
pub struct PhotoUploadForm {
    /// The image: JPEG, PNG, WebP or GIF (judged by its bytes), at most
    /// `--max-upload-bytes` (10 MiB by default). An empty file is no photo.
    #[schema(value_type = String, format = Binary, content_media_type = "image/*", min_length = 1)]
    photo: Vec<u8>,
    /// At most 2,200 characters; empty when absent.
    #[serde(default)]
    #[schema(max_length = 2200)]
    caption: String,
}

impl FromRequest<AppState> for PhotoUpload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.settings().max_upload_bytes;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|len| len > limit.saturating_add(MULTIPART_OVERHEAD)) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(from_rejection)?;
        let mut caption = None;
        let mut bytes = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| from_multipart(e, limit))?
        {
            match field.name() {
                Some("photo") if bytes.is_none() => bytes = Some(read_limited(field, limit).await?),
                Some("photo") => {
                    return Err(ApiError::bad_field(
                        ErrorCode::InvalidInput,
                        "send one photo",
                        "photo",
                    ));
                }
                Some("caption") => {
                    let text =
                        read_limited(field, CAPTION_MAX_BYTES)
                            .await
                            .map_err(|e| match e {
                                ApiError::PayloadTooLarge { .. } => ApiError::bad_field(
                                    ErrorCode::InvalidInput,
                                    format!(
                                        "caption must be at most {} characters",
                                        Caption::MAX_CHARS
                                    ),
                                    "caption",
                                ),
                                other => other,
                            })?;
                    let text = String::from_utf8(text).map_err(|_| {
                        ApiError::bad_field(
                            ErrorCode::InvalidInput,
                            "caption must be UTF-8 text",
                            "caption",
                        )
                    })?;
                    caption = Some(Caption::parse(&text)?);
                }
                _ => {}
            }
        }
        let bytes = bytes.filter(|b| !b.is_empty()).ok_or_else(|| {
            ApiError::bad_field(
                ErrorCode::MissingFile,
                "a file field `photo` is required",
                "photo",
            )
        })?;
        Ok(Self {
            caption: caption.unwrap_or_default(),
            bytes,
        })
    }
}

/// Reads a field, failing with 413 as soon as more than `limit` bytes came.
async fn read_limited(mut field: Field<'_>, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| from_multipart(e, limit))? {
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn from_rejection(rejection: MultipartRejection) -> ApiError {
    ApiError::bad_request(
        ErrorCode::InvalidMultipart,
        format!(
            "expected a multipart/form-data body: {}",
            rejection.body_text()
        ),
    )
}

fn from_multipart(error: MultipartError, limit: usize) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::bad_request(ErrorCode::InvalidMultipart, error.body_text())
    }
}
