use axum::http::HeaderMap;
use axum::response::Response;

use crate::web_assets::web;

/// `GET /dashboard`: the live dashboard, charts of `/api/metrics/history`
/// redrawn every 1.5 s. `no-cache`, like the app's shell.
#[utoipa::path(
    get,
    path = "/dashboard",
    tag = "web",
    responses(
        (
            status = 200,
            description = "The dashboard page (loading `/assets/{version}/dashboard.js`).",
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
pub(crate) async fn dashboard(request_headers: HeaderMap) -> Response {
    web().dashboard().respond(&request_headers, "no-cache")
}
