use axum::extract::FromRequest;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// `axum::Json` whose rejections are 400s in the API's error shape.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
