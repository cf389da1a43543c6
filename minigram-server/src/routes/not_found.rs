use crate::ApiError;

/// Any route not in the API: 404 in the API's error shape.
pub(crate) async fn not_found() -> ApiError {
    ApiError::route_not_found()
}
