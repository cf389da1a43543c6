use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use minigram::UserId;

use crate::{ApiError, AppState, ErrorCode};

/// The raw bearer token of a request (`Authorization: Bearer <token>`), not
/// yet checked. Missing or malformed headers are 401.
#[derive(Debug, Clone)]
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized {
                code: ErrorCode::MissingToken,
                message: "an `Authorization: Bearer <token>` header is required",
            })?;
        let malformed = || ApiError::Unauthorized {
            code: ErrorCode::MalformedToken,
            message: "the Authorization header is not `Bearer <token>`",
        };
        let value = header.to_str().map_err(|_| malformed())?;
        let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(malformed());
        }
        Ok(Self(token.to_owned()))
    }
}

/// The signed-in user: a bearer token that is well formed, correctly signed
/// (HS256 only, so `alg: none` is refused), unexpired and not revoked.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Who is signed in.
    pub user_id: UserId,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Already checked by the write rate limit.
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
        let principal = state.minigram().authenticate(&token).await?;
        Ok(Self {
            user_id: principal.user_id,
        })
    }
}
