use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum_extra::extract::CookieJar;

use crate::extract::{BearerToken, without_session};
use crate::openapi::error_responses::{CsrfRejected, Internal, Unauthorized, Unavailable};
use crate::{ApiError, AppState};

/// `POST /api/logout`: 204; the token (bearer header or session cookie)
/// stops working and the session cookie is cleared. Idempotent: logging out
/// with an already revoked (but genuine, unexpired) token is 204 too.
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "accounts",
    security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (
            status = 204,
            description = "Signed out: the token no longer works.",
            headers(("Set-Cookie" = String, description = "Clears the `minigram_session` cookie.")),
        ),
        Unauthorized, CsrfRejected, Internal, Unavailable,
    ),
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    uri: Uri,
    BearerToken(token): BearerToken,
) -> Result<(CookieJar, StatusCode), ApiError> {
    state.minigram().logout(&token).await?;
    Ok((without_session(jar, &uri), StatusCode::NO_CONTENT))
}
