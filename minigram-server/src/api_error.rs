//! The one place where failures become HTTP responses.
//!
//! Every error body is JSON: `{"error": "<sentence>", "code": "<snake_case>"}`
//! (the code an [`ErrorCode`]) plus `"field"` when one input field is at
//! fault. Server-side failures (5xx) never describe their cause to the
//! client: the body carries only a generic sentence and the request id
//! (added by [`crate::error_bodies`], which knows the request).
//!
//! Building the response is all that happens here. What went wrong rides
//! along in the response extensions as an [`ErrorCause`], and
//! [`crate::observability::log_errors`] logs it with the request id,
//! method and path.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minigram::auth::HashingError;
use minigram::media::MediaError;
use minigram::{
    AuthError, DeletePhotoError, FollowError, LikeError, LoginError, PostPhotoError, ReadError,
    RegisterError, StoreError, ValidationError,
};
use minigram::{PhotoId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error_code::ErrorCode;
use crate::observability::ErrorCause;

/// How long clients are asked to wait after an overload.
const OVERLOADED_RETRY_AFTER: Duration = Duration::from_secs(1);
/// How long clients are asked to wait while the store is unavailable.
const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A request that failed, as the API reports it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// An input field is not a valid value (400).
    #[error("{}", .0)]
    Validation(#[from] ValidationError),
    /// The request itself is malformed: bad JSON, a missing part (400).
    #[error("{message}")]
    BadRequest {
        /// The code sent.
        code: ErrorCode,
        /// What is wrong.
        message: String,
        /// The field at fault, if one is.
        field: Option<String>,
    },
    /// No valid bearer token (401, with `WWW-Authenticate: Bearer`).
    #[error("{message}")]
    Unauthorized {
        /// The code sent.
        code: ErrorCode,
        /// What is wrong with the token.
        message: &'static str,
    },
    /// Authenticated, but the request may not be served as it came (403):
    /// a cookie-authenticated write from another site.
    #[error("{message}")]
    Forbidden {
        /// The code sent.
        code: ErrorCode,
        /// Why the request was refused.
        message: &'static str,
    },
    /// Unknown username or wrong password: one answer for both (401).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The photo, user or route does not exist (404).
    #[error("{message}")]
    NotFound {
        /// The code sent.
        code: ErrorCode,
        /// What was not found.
        message: String,
    },
    /// The username or email is taken (409).
    #[error("{message}")]
    Conflict {
        /// The code sent.
        code: ErrorCode,
        /// What clashed.
        message: &'static str,
        /// The field at fault.
        field: &'static str,
    },
    /// The upload is over the limit (413).
    #[error("the upload is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The upload is not a supported image (415).
    #[error("the upload is not a supported image (JPEG, PNG, WebP or GIF)")]
    UnsupportedMediaType,
    /// The store is overloaded or unavailable; retry later (503 + `Retry-After`).
    #[error("the service is temporarily unavailable ({cause})")]
    Unavailable {
        /// The code sent.
        code: ErrorCode,
        /// The cause, logged but not sent.
        cause: String,
        /// How long the client should wait.
        retry_after: Duration,
    },
    /// Too many requests from this client or for this account (429 +
    /// `Retry-After`).
    #[error("too many requests; retry in {} s", crate::rate_limiting::limit_headers::ceil_secs(*retry_after).max(1))]
    RateLimited {
        /// Until a request would be admitted.
        retry_after: Duration,
    },
    /// Anything else that went wrong on the server (500). The cause is
    /// logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// A human sentence.
    pub error: String,
    /// A stable snake_case code for programs.
    pub code: ErrorCode,
    /// The input field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request id (5xx only), also in the `x-request-id` header and the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ErrorBody {
    /// A body without field or request id.
    pub fn new(code: ErrorCode, error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            code,
            field: None,
            request_id: None,
        }
    }
}

/// Marks a 5xx response whose body must carry the request id; the
/// error-body middleware fills it in.
#[derive(Debug, Clone)]
pub struct ServerErrorBody(pub ErrorBody);

impl ApiError {
    /// A 400 for a malformed request.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 400 naming the field at fault.
    pub fn bad_field(
        code: ErrorCode,
        message: impl Into<String>,
        field: impl Into<String>,
    ) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 404 for a route that does not exist.
    pub fn route_not_found() -> Self {
        Self::NotFound {
            code: ErrorCode::NotFound,
            message: "no such route".into(),
        }
    }

    /// A 404 for a user id that no user has.
    pub fn user_not_found(id: UserId) -> Self {
        Self::NotFound {
            code: ErrorCode::UserNotFound,
            message: format!("user {id} does not exist"),
        }
    }

    /// A 404 for a photo id that no photo has.
    pub fn photo_not_found(id: PhotoId) -> Self {
        Self::NotFound {
            code: ErrorCode::PhotoNotFound,
            message: format!("photo {id} does not exist"),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code sent in the body.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(_) => ErrorCode::InvalidInput,
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unavailable { code, .. } => *code,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    fn body(&self) -> ErrorBody {
        let code = self.code();
        let field = match self {
            Self::Validation(e) => Some(e.field().to_owned()),
            Self::BadRequest { field, .. } => field.clone(),
            Self::Conflict { field, .. } => Some((*field).to_owned()),
            // Generic sentences: a server-side cause is never sent.
            Self::Unavailable { .. } => {
                return ErrorBody::new(code, "the service is busy or unavailable; retry later");
            }
            Self::Internal(_) => return ErrorBody::new(code, "internal server error"),
            _ => None,
        };
        ErrorBody {
            error: self.to_string(),
            code,
            field,
            request_id: None,
        }
    }

    /// What the log should say: the hidden cause of a 5xx, the message of
    /// a 4xx.
    fn cause(&self) -> ErrorCause {
        let detail = match self {
            Self::Unavailable { cause, .. } | Self::Internal(cause) => cause.clone(),
            other => other.to_string(),
        };
        ErrorCause {
            code: self.code(),
            detail,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = self.body();
        let mut response = (status, Json(body.clone())).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Unauthorized { .. } | Self::InvalidCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Unavailable { retry_after, .. } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after.as_secs()),
                );
            }
            Self::RateLimited { retry_after } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(
                        crate::rate_limiting::limit_headers::ceil_secs(*retry_after).max(1),
                    ),
                );
            }
            _ => {}
        }
        // Not logged here: the request id, method and path are only known
        // to the middleware, which logs this.
        response.extensions_mut().insert(self.cause());
        if status.is_server_error() {
            response.extensions_mut().insert(ServerErrorBody(body));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Overloaded { .. } => Self::Unavailable {
                code: ErrorCode::Overloaded,
                cause: e.to_string(),
                retry_after: OVERLOADED_RETRY_AFTER,
            },
            StoreError::Unavailable { .. } => Self::Unavailable {
                code: ErrorCode::Unavailable,
                cause: e.to_string(),
                retry_after: UNAVAILABLE_RETRY_AFTER,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<HashingError> for ApiError {
    fn from(e: HashingError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::TooLarge { limit } => Self::PayloadTooLarge { limit },
            MediaError::UnsupportedType => Self::UnsupportedMediaType,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::UsernameTaken => Self::Conflict {
                code: ErrorCode::UsernameTaken,
                message: "the username is already taken",
                field: "username",
            },
            RegisterError::EmailTaken => Self::Conflict {
                code: ErrorCode::EmailTaken,
                message: "the email is already registered",
                field: "email",
            },
            // Below the configured minimum: the client's input, as when the
            // handler's own parse refuses it.
            RegisterError::InvalidPassword(e) => Self::Validation(e),
            RegisterError::Hashing(e) => e.into(),
            // The key cannot sign: a bug or misconfiguration, not the store
            // being away, so 500 without an invitation to retry.
            e @ RegisterError::Token(_) => Self::Internal(e.to_string()),
            RegisterError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::InvalidCredentials => Self::InvalidCredentials,
            LoginError::Hashing(e) => e.into(),
            // As for registration: a signing failure is ours, not transient.
            e @ LoginError::Token(_) => Self::Internal(e.to_string()),
            LoginError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidToken { .. } => Self::Unauthorized {
                code: ErrorCode::InvalidToken,
                message: "the token is invalid",
            },
            AuthError::Expired => Self::Unauthorized {
                code: ErrorCode::TokenExpired,
                message: "the token has expired",
            },
            AuthError::Revoked => Self::Unauthorized {
                code: ErrorCode::TokenRevoked,
                message: "the token was revoked",
            },
            AuthError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<PostPhotoError> for ApiError {
    fn from(e: PostPhotoError) -> Self {
        match e {
            PostPhotoError::Media(e) => e.into(),
            PostPhotoError::AuthorNotFound(id) => Self::user_not_found(id),
            PostPhotoError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<LikeError> for ApiError {
    fn from(e: LikeError) -> Self {
        match e {
            LikeError::PhotoNotFound(id) => Self::photo_not_found(id),
            LikeError::UserNotFound(id) => Self::user_not_found(id),
            LikeError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<DeletePhotoError> for ApiError {
    fn from(e: DeletePhotoError) -> Self {
        match e {
            DeletePhotoError::PhotoNotFound(id) => Self::photo_not_found(id),
            DeletePhotoError::NotAuthor { .. } => Self::Forbidden {
                code: ErrorCode::NotAuthor,
                message: "only the photo's author may delete it",
            },
            DeletePhotoError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<FollowError> for ApiError {
    fn from(e: FollowError) -> Self {
        match e {
            FollowError::UserNotFound(id) => Self::user_not_found(id),
            FollowError::SelfFollow => Self::bad_field(
                ErrorCode::SelfFollow,
                "users cannot follow themselves",
                "user_id",
            ),
            FollowError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::PhotoNotFound(id) => Self::photo_not_found(id),
            ReadError::UserNotFound(id) => Self::user_not_found(id),
            ReadError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::to_bytes;
    use minigram::auth::TokenError;

    use super::*;

    fn signing_failure() -> TokenError {
        TokenError::Signing {
            source: Arc::new(std::io::Error::other("the key is an RSA key")),
        }
    }

    async fn body_json(response: Response) -> serde_json::Value {
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("reads the body");
        serde_json::from_slice(&bytes).expect("a JSON body")
    }

    /// A token that cannot be signed is the server's fault: 500 `internal`,
    /// no `Retry-After` (retrying cannot help), the cause only in the log.
    #[tokio::test]
    async fn a_token_signing_failure_is_500_internal_without_retry_after() {
        for error in [
            ApiError::from(RegisterError::Token(signing_failure())),
            ApiError::from(LoginError::Token(signing_failure())),
        ] {
            assert!(matches!(error, ApiError::Internal(_)), "{error:?}");
            assert_eq!(error.code(), ErrorCode::Internal);
            let mut response = error.into_response();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(!response.headers().contains_key(header::RETRY_AFTER));
            let cause = response
                .extensions_mut()
                .remove::<ErrorCause>()
                .expect("the cause is kept for the log");
            assert_eq!(cause.code, ErrorCode::Internal);
            assert!(
                cause.detail.contains("signing the token failed"),
                "{cause:?}"
            );
            assert!(cause.detail.contains("RSA key"), "{cause:?}");
            assert!(response.extensions().get::<ServerErrorBody>().is_some());
            let body = body_json(response).await;
            assert_eq!(body["code"], "internal");
            assert_eq!(body["error"], "internal server error");
        }
    }

    /// The contrast: the store being away is 503 with `Retry-After`.
    #[test]
    fn an_unavailable_store_is_503_with_retry_after() {
        let error = ApiError::from(RegisterError::Store(StoreError::Unavailable {
            reason: "closed".into(),
        }));
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    }

    /// A password the library finds below its configured minimum is the
    /// client's input at fault, as when the handler's parse refuses it.
    #[tokio::test]
    async fn a_password_below_the_library_policy_is_400_invalid_input_naming_the_field() {
        let invalid = minigram::PasswordPolicy::default()
            .parse("test123")
            .expect_err("7 characters are below the default 8");
        let response = ApiError::from(RegisterError::InvalidPassword(invalid)).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = body_json(response).await;
        assert_eq!(body["code"], "invalid_input");
        assert_eq!(body["field"], "password");
    }

    #[tokio::test]
    async fn client_errors_keep_their_message_and_code() {
        let mut response =
            ApiError::user_not_found(UserId::parse("7").expect("an id")).into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.extensions().get::<ServerErrorBody>().is_none());
        let cause = response
            .extensions_mut()
            .remove::<ErrorCause>()
            .expect("4xx are logged too");
        assert_eq!(cause.code, ErrorCode::UserNotFound);
        let body = body_json(response).await;
        assert_eq!(
            body,
            serde_json::json!({"error": "user 7 does not exist", "code": "user_not_found"})
        );
    }
}
