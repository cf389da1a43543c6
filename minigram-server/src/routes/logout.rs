use axum::extract::State;
use axum::http::StatusCode;

use crate::extract::BearerToken;
use crate::{ApiError, AppState};

/// `POST /api/logout`: 204; the token stops working. Idempotent: logging out
/// with an already revoked (but genuine, unexpired) token is 204 too.
pub(crate) async fn logout(
    State(state): State<AppState>,
    BearerToken(token): BearerToken,
) -> Result<StatusCode, ApiError> {
    state.minigram().logout(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}
