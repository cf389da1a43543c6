use axum::extract::FromRequestParts;

use crate::ApiError;

/// `axum::extract::Path` whose rejections are 400s in the API's error shape.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);
