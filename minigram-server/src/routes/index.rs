use axum::http::HeaderMap;
use axum::response::Response;

use crate::web_assets::web;

/// `GET /`: the web app's HTML shell. `no-cache`: revalidated by `ETag` on
/// every load, so a new build's assets are picked up at once.
#[utoipa::path(
    get,
    path = "/",
    tag = "web",
    responses(
        (
            status = 200,
            description = "The web app (an HTML shell loading `/assets/{version}/...`), with links to the status endpoints.",
            body = String,
            content_type = "text/html",
            headers(
                ("ETag" = String, description = "The page's content hash, quoted."),
                ("Cache-Control" = String, description = "`no-cache`."),
            ),
        ),
        (status = 304, description = "Not modified: `If-None-Match` matched the `ETag`."),
    ),
)]
pub(crate) async fn index(request_headers: HeaderMap) -> Response {
    web().shell().respond(&request_headers, "no-cache")
}
