use axum::http::HeaderMap;
use axum::response::Response;

use crate::openapi::page_responses::HtmlPage;
use crate::web_assets::web;

/// `GET /`: the web app's HTML shell. `no-cache`: revalidated by `ETag` on
/// every load, so a new build's assets are picked up at once.
#[utoipa::path(get, path = "/", tag = "web", responses(HtmlPage))]
pub(crate) async fn index(request_headers: HeaderMap) -> Response {
    web().shell().respond(&request_headers, "no-cache")
}
