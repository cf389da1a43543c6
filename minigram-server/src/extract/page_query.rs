use minigram::{Cursor, PageLimit, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{ApiError, ErrorCode};

/// `?limit&cursor` of list endpoints. Values are taken as text and parsed
/// here so that a bad value is a 400 naming the parameter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page: 20 by default; values over 100 are served as 100.
    #[param(value_type = Option<i64>, minimum = 1)]
    limit: Option<String>,
    /// The `x-next-cursor` of the previous page; absent or empty for the
    /// first page. Opaque: only its shape is promised.
    #[param(pattern = r"^(A[Q-Za-f][A-Za-z0-9_-]{10})?$")]
    cursor: Option<String>,
}

impl PageQuery {
    /// The page to read. `limit` defaults to 20 and is capped at 100; 0,
    /// anything not a number and anything beyond a 64-bit signed integer
    /// (the spec's `int64`) is refused, as is a cursor this server did not
    /// issue.
    pub fn page_request(&self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => PageLimit::DEFAULT,
            Some(text) => {
                let invalid = || {
                    ApiError::bad_field(
                        ErrorCode::InvalidInput,
                        "limit must be a positive integer",
                        "limit",
                    )
                };
                let n = text
                    .parse::<i64>()
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(invalid)?;
                PageLimit::new(n.min(PageLimit::MAX))?
            }
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(text) => Some(Cursor::parse(text)?),
        };
        Ok(PageRequest { limit, cursor })
    }
}
