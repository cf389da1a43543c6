use axum::response::Html;

/// `GET /`: says what runs here and links the endpoints.
#[utoipa::path(
    get,
    path = "/",
    tag = "operations",
    responses((status = 200, description = "An HTML page linking the endpoints.", body = String, content_type = "text/html")),
)]
pub(crate) async fn index() -> Html<&'static str> {
    Html(include_str!("index.html"))
}
