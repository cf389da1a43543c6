use axum::extract::State;
use axum::http::Uri;
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::body::SessionJson;
use crate::extract::{Json, with_session};
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

/// `POST /api/login`: 200 with a session (in the body for API clients, in
/// the `HttpOnly` session cookie for the web app); the same 401 for an unknown user
/// and a wrong password.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (
            status = 200,
            description = "Signed in.",
            body = SessionJson,
            headers(("Set-Cookie" = String, description = "`minigram_session`: the same token for the web app (`HttpOnly; SameSite=Strict; Path=/`, `Secure` over TLS).")),
        ),
        BadRequest, InvalidCredentials, PayloadTooLarge, RateLimited, Internal, Unavailable,
    ),
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    uri: Uri,
    Json(body): Json<LoginRequest>,
) -> Result<(CookieJar, Json<SessionJson>), ApiError> {
    let session = state
        .minigram()
        .login(&body.username, &body.password)
        .await?;
    let jar = with_session(jar, &uri, &session.token);
    Ok((jar, Json(session.into())))
}
