//! The error answers routes share, one type per status, so each route's
//! `#[utoipa::path]` lists the ones it can give. Every body is the
//! [`ErrorBody`] schema (`Error` in the spec); its `code` says which case.
//! The types only describe: no handler builds them.
#![allow(dead_code, reason = "response descriptions, never constructed")]

use utoipa::IntoResponses;

use crate::ErrorBody;

/// A malformed request or an invalid field: `invalid_input` (with `field`),
/// `invalid_json`, `malformed_json`, `invalid_content_type`,
/// `invalid_body`, `invalid_path`, `invalid_query`, `invalid_multipart`,
/// `missing_file`, `self_follow` or `bad_request`.
#[derive(IntoResponses)]
#[response(status = 400)]
pub(crate) struct BadRequest(ErrorBody);

/// No valid bearer token (`missing_token`, `malformed_token`,
/// `invalid_token`, `token_expired`, `token_revoked`), with
/// `WWW-Authenticate: Bearer`.
#[derive(IntoResponses)]
#[response(status = 401, headers(("WWW-Authenticate" = String, description = "`Bearer`")))]
pub(crate) struct Unauthorized(ErrorBody);

/// Unknown username or wrong password (`invalid_credentials`, one answer
/// for both).
#[derive(IntoResponses)]
#[response(status = 401)]
pub(crate) struct InvalidCredentials(ErrorBody);

/// A write signed in by the session cookie whose `Origin` (or `Referer`)
/// is not this host (`csrf_rejected`). Bearer-authenticated requests are
/// never refused so.
#[derive(IntoResponses)]
#[response(status = 403)]
pub(crate) struct CsrfRejected(ErrorBody);

/// Another user's photo (`not_author`), or a cookie-signed write from
/// another site (`csrf_rejected`).
#[derive(IntoResponses)]
#[response(status = 403)]
pub(crate) struct NotAuthorOrCsrfRejected(ErrorBody);

/// No such photo or user (`photo_not_found`, `user_not_found`).
#[derive(IntoResponses)]
#[response(status = 404)]
pub(crate) struct NotFound(ErrorBody);

/// The username or email is taken (`username_taken`, `email_taken`, with
/// `field`).
#[derive(IntoResponses)]
#[response(status = 409)]
pub(crate) struct Conflict(ErrorBody);

/// The body is over the limit (`payload_too_large`): 64 KiB for JSON,
/// `--max-upload-bytes` for a photo.
#[derive(IntoResponses)]
#[response(status = 413)]
pub(crate) struct PayloadTooLarge(ErrorBody);

/// The upload is not a JPEG, PNG, WebP or GIF image, judged by its bytes
/// (`unsupported_media_type`).
#[derive(IntoResponses)]
#[response(status = 415)]
pub(crate) struct UnsupportedMediaType(ErrorBody);

/// Rate limited (`rate_limited`): login and register per client IP and
/// username, writes per user.
#[derive(IntoResponses)]
#[response(
    status = 429,
    headers(
        ("Retry-After" = u64, description = "Seconds until a request would be admitted."),
        ("RateLimit-Limit" = u64, description = "The quota's size."),
        ("RateLimit-Remaining" = u64, description = "Requests left in the quota now."),
        ("RateLimit-Reset" = u64, description = "Seconds until the quota is whole again."),
    )
)]
pub(crate) struct RateLimited(ErrorBody);

/// Something failed on the server (`internal`); the cause is only logged.
/// The body carries `request_id`.
#[derive(IntoResponses)]
#[response(status = 500)]
pub(crate) struct Internal(ErrorBody);

/// The store is overloaded or unavailable, or the request ran past
/// `--request-timeout-secs` (`overloaded`, `unavailable`). The body
/// carries `request_id`.
#[derive(IntoResponses)]
#[response(
    status = 503,
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying (store overloaded or unavailable)."))
)]
pub(crate) struct Unavailable(ErrorBody);
