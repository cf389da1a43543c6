use axum::response::Html;

/// `GET /`: says what runs here and links the endpoints.
pub(crate) async fn index() -> Html<&'static str> {
    Html(include_str!("index.html"))
}
