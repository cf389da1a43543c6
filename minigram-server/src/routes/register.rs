use axum::extract::State;
use axum::http::StatusCode;
use minigram::{Email, Password, Username};
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

/// `POST /api/register`: 201 with a session; 409 when the username or email is taken.
pub(crate) async fn register(
    State(state): State<AppState>,
    Json(body): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<SessionJson>), ApiError> {
    let username = Username::parse(&body.username)?;
    let email = Email::parse(&body.email)?;
    let password = Password::parse(&body.password)?;
    let session = state.minigram().register(username, email, password).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}
