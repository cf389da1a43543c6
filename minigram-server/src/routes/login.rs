use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::body::SessionJson;
use crate::extract::Json;
use crate::openapi::error_responses::{
    BadRequest, Internal, InvalidCredentials, PayloadTooLarge, RateLimited, Unavailable,
};
use crate::{ApiError, AppState};

/// A sign-in. No minimum length is applied to the password, so raising
/// `--password-min-length` locks no account out.
#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    /// The username (matched case-insensitively).
    username: String,
    /// The password, 1-1,024 characters.
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

/// `POST /api/login`: 200 with a session; the same 401 for an unknown user
/// and a wrong password.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in.", body = SessionJson),
        BadRequest, InvalidCredentials, PayloadTooLarge, RateLimited, Internal, Unavailable,
    ),
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    Json(body): Json<LoginRequest>,
) -> Result<Json<SessionJson>, ApiError> {
    let session = state
        .minigram()
        .login(&body.username, &body.password)
        .await?;
    Ok(Json(session.into()))
}
