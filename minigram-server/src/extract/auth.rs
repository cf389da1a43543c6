use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use minigram::UserId;

use super::same_origin::cookie_request_allowed;
use super::session_cookie::session_token;
use crate::{ApiError, AppState, ErrorCode};

/// The raw token of a request, not yet checked: the bearer header
/// (`Authorization: Bearer <token>`) when there is one, else the web app's
/// session cookie. A malformed header is 401 even when a cookie is there
/// too (the client meant the header); neither is 401 `missing_token`. A
/// token from the cookie on a request that is not GET or HEAD must come
/// from this host's own pages (see `same_origin`), else 403
/// `csrf_rejected`.
#[derive(Debug, Clone)]
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            let jar = CookieJar::from_headers(&parts.headers);
            let token = session_token(&jar).ok_or(ApiError::Unauthorized {
                code: ErrorCode::MissingToken,
                message: "an `Authorization: Bearer <token>` header (or the session cookie) is required",
            })?;
            if !cookie_request_allowed(parts) {
                return Err(ApiError::Forbidden {
                    code: ErrorCode::CsrfRejected,
                    message: "a request signed in by the session cookie must come from this site's own pages (its Origin, or Referer, is missing or another site's)",
                });
            }
            return Ok(Self(token.to_owned()));
        };
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

/// The signed-in user: a token (bearer header or session cookie, see
/// [`BearerToken`]) that is well formed, correctly signed
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
