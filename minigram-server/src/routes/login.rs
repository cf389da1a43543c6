use axum::extract::State;
use serde::Deserialize;

use crate::body::SessionJson;
use crate::extract::Json;
use crate::{ApiError, AppState};

#[derive(Deserialize)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
}

/// `POST /api/login`: 200 with a session; the same 401 for an unknown user
/// and a wrong password.
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
