use minigram::{Cursor, PageLimit, PageRequest};
use std::num::IntErrorKind;

use serde::Deserialize;
use utoipa::IntoParams;

use crate::{ApiError, ErrorCode};

/// `?limit&cursor` of list endpoints. Values are taken as text and parsed
/// here so that a bad value is a 400 naming the parameter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page: 20 by default; values over 100 are served as 100.
    #[param(value_type = Option<u64>, minimum = 1)]
    limit: Option<String>,
    /// The `x-next-cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
}

impl PageQuery {
    /// The page to read. `limit` defaults to 20 and is capped at 100 (so
    /// is a number too large for any integer type); 0 or anything not a
    /// number is refused, as is a cursor this server did not issue.
    pub fn page_request(&self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => PageLimit::DEFAULT,
            Some(text) => {
                let n = match text.parse::<usize>() {
                    Ok(n) => n,
                    Err(e) if *e.kind() == IntErrorKind::PosOverflow => PageLimit::MAX,
                    Err(_) => {
                        return Err(ApiError::bad_field(
                            ErrorCode::InvalidInput,
                            "limit must be a positive integer",
                            "limit",
                        ));
                    }
                };
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
