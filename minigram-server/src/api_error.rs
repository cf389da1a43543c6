//! The one place where failures become HTTP responses.
//!
//! Every error body is JSON: `{"error": "<sentence>", "code": "<snake_case>"}`
//! plus `"field"` when one input field is at fault. Server-side failures
//! (5xx) never describe their cause to the client: the cause is logged, and
//! the body carries only a generic sentence and the request id (added by
//! [`crate::observability::error_bodies`], which knows the request).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minigram::auth::HashingError;
use minigram::media::MediaError;
use minigram::{
    AuthError, FollowError, LikeError, LoginError, PostPhotoError, ReadError, RegisterError,
    StoreError, ValidationError,
};
use serde::Serialize;

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
        /// snake_case code.
        code: &'static str,
        /// What is wrong.
        message: String,
        /// The field at fault, if one is.
        field: Option<String>,
    },
    /// No valid bearer token (401, with `WWW-Authenticate: Bearer`).
    #[error("{message}")]
    Unauthorized {
        /// snake_case code.
        code: &'static str,
        /// What is wrong with the token.
        message: &'static str,
    },
    /// Unknown username or wrong password: one answer for both (401).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The photo, user or route does not exist (404).
    #[error("{message}")]
    NotFound {
        /// snake_case code.
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// The username or email is taken (409).
    #[error("{message}")]
    Conflict {
        /// snake_case code.
        code: &'static str,
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
        /// snake_case code.
        code: &'static str,
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
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// A human sentence.
    pub error: String,
    /// A stable snake_case code for programs.
    pub code: String,
    /// The input field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The request id (5xx only), also in the `x-request-id` header and the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ErrorBody {
    /// A body without field or request id.
    pub fn new(code: impl Into<String>, error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            code: code.into(),
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
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 400 naming the field at fault.
    pub fn bad_field(
        code: &'static str,
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
            code: "not_found",
            message: "no such route".into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody {
        let (code, field): (&str, Option<String>) = match self {
            Self::Validation(e) => ("invalid_input", Some(e.field().to_owned())),
            Self::BadRequest { code, field, .. } => (code, field.clone()),
            Self::Unauthorized { code, .. } => (code, None),
            Self::InvalidCredentials => ("invalid_credentials", None),
            Self::NotFound { code, .. } => (code, None),
            Self::Conflict { code, field, .. } => (code, Some((*field).to_owned())),
            Self::PayloadTooLarge { .. } => ("payload_too_large", None),
            Self::UnsupportedMediaType => ("unsupported_media_type", None),
            Self::RateLimited { .. } => ("rate_limited", None),
            Self::Unavailable { code, .. } => {
                return ErrorBody::new(*code, "the service is busy or unavailable; retry later");
            }
            Self::Internal(_) => return ErrorBody::new("internal", "internal server error"),
        };
        ErrorBody {
            error: self.to_string(),
            code: code.to_owned(),
            field,
            request_id: None,
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
            Self::Unavailable {
                retry_after, cause, ..
            } => {
                tracing::warn!(%cause, "answering 503");
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
            Self::Internal(cause) => tracing::error!(%cause, "answering 500"),
            _ => {}
        }
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
                code: "overloaded",
                cause: e.to_string(),
                retry_after: OVERLOADED_RETRY_AFTER,
            },
            StoreError::Unavailable { .. } => Self::Unavailable {
                code: "unavailable",
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
                code: "username_taken",
                message: "the username is already taken",
                field: "username",
            },
            RegisterError::EmailTaken => Self::Conflict {
                code: "email_taken",
                message: "the email is already registered",
                field: "email",
            },
            RegisterError::Hashing(e) => e.into(),
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
            LoginError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidToken { .. } => Self::Unauthorized {
                code: "invalid_token",
                message: "the token is invalid",
            },
            AuthError::Expired => Self::Unauthorized {
                code: "token_expired",
                message: "the token has expired",
            },
            AuthError::Revoked => Self::Unauthorized {
                code: "token_revoked",
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
            PostPhotoError::AuthorNotFound(id) => Self::NotFound {
                code: "user_not_found",
                message: format!("user {id} does not exist"),
            },
            PostPhotoError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<LikeError> for ApiError {
    fn from(e: LikeError) -> Self {
        match e {
            LikeError::PhotoNotFound(id) => Self::NotFound {
                code: "photo_not_found",
                message: format!("photo {id} does not exist"),
            },
            LikeError::UserNotFound(id) => Self::NotFound {
                code: "user_not_found",
                message: format!("user {id} does not exist"),
            },
            LikeError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<FollowError> for ApiError {
    fn from(e: FollowError) -> Self {
        match e {
            FollowError::UserNotFound(id) => Self::NotFound {
                code: "user_not_found",
                message: format!("user {id} does not exist"),
            },
            FollowError::SelfFollow => {
                Self::bad_field("self_follow", "users cannot follow themselves", "user_id")
            }
            FollowError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::PhotoNotFound(id) => Self::NotFound {
                code: "photo_not_found",
                message: format!("photo {id} does not exist"),
            },
            ReadError::UserNotFound(id) => Self::NotFound {
                code: "user_not_found",
                message: format!("user {id} does not exist"),
            },
            ReadError::Store(e) => e.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}
