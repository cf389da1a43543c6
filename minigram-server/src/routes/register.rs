use axum::extract::State;
use axum::http::StatusCode;
use minigram::{Email, Username};
use serde::Deserialize;

use crate::body::SessionJson;
use crate::extract::Json;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
pub(crate) struct RegisterRequest {
    username: String,
    email: String,
    password: String,
}

/// `POST /api/register`: 201 with a session; 400 `invalid_input` naming the
/// field for a bad username, email or password (shorter than
/// `--password-min-length`); 409 when the username or email is taken.
pub(crate) async fn register(
    State(state): State<AppState>,
    Json(body): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<SessionJson>), ApiError> {
    let username = Username::parse(&body.username)?;
    let email = Email::parse(&body.email)?;
    // The configured policy (`--password-min-length`), so a refusal names
    // the minimum in effect; the library checks it again.
    let password = state.minigram().password_policy().parse(&body.password)?;
    let session = state.minigram().register(username, email, password).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}
