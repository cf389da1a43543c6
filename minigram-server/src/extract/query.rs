use axum::extract::FromRequestParts;

use crate::ApiError;

/// `axum::extract::Query` whose rejections are 400s in the API's error shape.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
