use axum::http::HeaderMap;
use axum::response::Response;

use crate::openapi::page_responses::HtmlPage;
use crate::web_assets::web;

/// `GET /dashboard`: the live dashboard, charts of `/api/metrics/history`
/// redrawn every 1.5 s. `no-cache`, like the app's shell.
#[utoipa::path(get, path = "/dashboard", tag = "web", responses(HtmlPage))]
pub(crate) async fn dashboard(request_headers: HeaderMap) -> Response {
    web().dashboard().respond(&request_headers, "no-cache")
}
