//! Extractors whose rejections are [`ApiError`](crate::ApiError)s, so every
//! malformed request gets the API's JSON error shape.

mod auth;
mod json;
mod page_query;
mod path;
mod photo_upload;
mod query;
mod rejections;
mod same_origin;
mod session_cookie;

pub use auth::{AuthUser, BearerToken};
pub use json::Json;
pub use page_query::PageQuery;
pub use path::Path;
pub use photo_upload::{MULTIPART_OVERHEAD, PhotoUpload, PhotoUploadForm};
pub use query::Query;
pub use session_cookie::{SESSION_COOKIE, with_session, without_session};
