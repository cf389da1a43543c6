use axum::extract::State;
use axum::http::StatusCode;

use crate::extract::BearerToken;
use crate::openapi::error_responses::{Internal, Unauthorized, Unavailable};
use crate::{ApiError, AppState};

/// `POST /api/logout`: 204; the token stops working. Idempotent: logging out
/// with an already revoked (but genuine, unexpired) token is 204 too.
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out: the token no longer works."),
        Unauthorized, Internal, Unavailable,
    ),
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<StatusCode, ApiError> {
    state.minigram().logout(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}
