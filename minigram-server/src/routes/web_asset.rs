use axum::http::HeaderMap;
use axum::response::Response;

use crate::extract::Path;
use crate::openapi::error_responses::BadRequest;
use crate::web_assets::web;
use crate::{ApiError, ErrorBody, ErrorCode};

/// `GET /assets/{version}/{file}`: one of the web app's CSS or JavaScript
/// files, cached for a year: the version in the path changes whenever any
/// asset does (see `web_assets`). Another build's version is 404, so a
/// URL never serves two contents.
#[utoipa::path(
    get,
    path = "/assets/{version}/{file}",
    tag = "web",
    params(
        ("version" = String, Path, description = "The build's asset version, as the page at `/` names it."),
        ("file" = String, Path, description = "The file: `app.css`, `app.js` or one of its modules."),
    ),
    responses(
        (
            status = 200,
            description = "The file, with `ETag` and `Cache-Control: public, max-age=31536000, immutable`.",
            content(
                (String = "text/css"),
                (String = "text/javascript"),
            ),
            headers(
                ("ETag" = String, description = "The content hash, quoted."),
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`."),
            ),
        ),
        (status = 304, description = "Not modified: `If-None-Match` matched the `ETag`."),
        BadRequest,
        (status = 404, description = "No such asset in this build (`asset_not_found`).", body = ErrorBody),
    ),
)]
pub(crate) async fn web_asset(
    Path((version, file)): Path<(String, String)>,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let asset = web()
        .asset(&version, &file)
        .ok_or_else(|| ApiError::NotFound {
            code: ErrorCode::AssetNotFound,
            message: "no such web app asset in this build".into(),
        })?;
    Ok(asset.respond(&request_headers, "public, max-age=31536000, immutable"))
}
