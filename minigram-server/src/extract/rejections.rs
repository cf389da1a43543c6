//! axum's extractor rejections as API errors.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;

use crate::routes::JSON_BODY_LIMIT;
use crate::{ApiError, ErrorCode};

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::PayloadTooLarge {
                limit: JSON_BODY_LIMIT,
            };
        }
        match rejection {
            JsonRejection::JsonDataError(e) => {
                let text = e.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                    .unwrap_or(&text)
                    .to_owned();
                match field_of(&detail) {
                    Some(field) => Self::bad_field(ErrorCode::InvalidJson, detail, field),
                    None => Self::bad_request(ErrorCode::InvalidJson, detail),
                }
            }
            JsonRejection::JsonSyntaxError(_) => Self::bad_request(
                ErrorCode::MalformedJson,
                "the request body is not valid JSON",
            ),
            JsonRejection::MissingJsonContentType(_) => Self::bad_request(
                ErrorCode::InvalidContentType,
                "expected a JSON body with `Content-Type: application/json`",
            ),
            other => Self::bad_request(ErrorCode::InvalidBody, other.body_text()),
        }
    }
}

/// The field a serde data error is about: `missing field `x`` or a
/// `x: invalid type ...` path prefix.
fn field_of(detail: &str) -> Option<String> {
    if let Some(rest) = detail.split("missing field `").nth(1) {
        return rest.split('`').next().map(str::to_owned);
    }
    let (path, _) = detail.split_once(": ")?;
    let valid = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    valid.then(|| path.to_owned())
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(ErrorCode::InvalidPath, rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(ErrorCode::InvalidQuery, rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(
            field_of("missing field `password` at line 1 column 20").as_deref(),
            Some("password")
        );
        assert_eq!(
            field_of("username: invalid type: integer `5`, expected a string at line 1 column 14")
                .as_deref(),
            Some("username")
        );
        assert_eq!(field_of("invalid type: map, expected a string"), None);
    }
}
