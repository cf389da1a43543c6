use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum_extra::extract::CookieJar;
use minigram::{Email, Username};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::body::SessionJson;
use crate::extract::{Json, with_session};
use crate::openapi::error_responses::{
    BadRequest, Conflict, Internal, PayloadTooLarge, RateLimited, Unavailable,
};
use crate::{ApiError, AppState};

/// A new account. The limits here are the domain types' (`Username`,
/// `Email`, `Password`); the spec's `password.minLength` is set from
/// `--password-min-length` when the app is built.
#[derive(Deserialize, ToSchema)]
pub(crate) struct RegisterRequest {
    /// 3-50 characters of `[A-Za-z0-9_.]`, unique case-insensitively.
    #[schema(min_length = 3, max_length = 50, pattern = r"^[A-Za-z0-9_.]{3,50}$")]
    username: String,
    /// An address like `name@example.com` (a dotted domain, no display
    /// name), stored lower-cased; unique.
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// At least `--password-min-length` characters (default 8), at most
    /// 1,024.
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
}

/// `POST /api/register`: 201 with a session (body and session cookie, as
/// for login); 400 `invalid_input` naming the
/// field for a bad username, email or password (shorter than
/// `--password-min-length`); 409 when the username or email is taken.
#[utoipa::path(
    post,
    path = "/api/register",
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (
            status = 201,
            description = "Registered and signed in.",
            body = SessionJson,
            headers(("Set-Cookie" = String, description = "`minigram_session`: the same token for the web app (`HttpOnly; SameSite=Strict; Path=/`, `Secure` over TLS).")),
        ),
        BadRequest, Conflict, PayloadTooLarge, RateLimited, Internal, Unavailable,
    ),
)]
pub(crate) async fn register(
    State(state): State<AppState>,
    jar: CookieJar,
    uri: Uri,
    Json(body): Json<RegisterRequest>,
) -> Result<(StatusCode, CookieJar, Json<SessionJson>), ApiError> {
    let username = Username::parse(&body.username)?;
    let email = Email::parse(&body.email)?;
    // The configured policy (`--password-min-length`), so a refusal names
    // the minimum in effect; the library checks it again.
    let password = state.minigram().password_policy().parse(&body.password)?;
    let session = state.minigram().register(username, email, password).await?;
    let jar = with_session(jar, &uri, &session.token);
    Ok((StatusCode::CREATED, jar, Json(session.into())))
}
