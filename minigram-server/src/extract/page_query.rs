use minigram::{Cursor, PageLimit, PageRequest};
use serde::Deserialize;

use crate::{ApiError, ErrorCode};

/// `?limit&cursor` of list endpoints. Values are taken as text and parsed
/// here so that a bad value is a 400 naming the parameter.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

impl PageQuery {
    /// The page to read. `limit` defaults to 20 and is capped at 100; 0 or
    /// anything not a number is refused, as is a cursor this server did not
    /// issue.
    pub fn page_request(&self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => PageLimit::DEFAULT,
            Some(text) => {
                let n: usize = text.parse().map_err(|_| {
                    ApiError::bad_field(
                        ErrorCode::InvalidInput,
                        "limit must be a positive integer",
                        "limit",
                    )
                })?;
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
