//! Rows into domain values. A value that does not parse is `Corrupt`.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use crate::domain::{Caption, Email, Photo, PhotoId, PhotoView, User, UserId, Username};
use crate::error::StoreError;
use crate::media::{ImageType, MediaKey};

fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: what.into() }
}

/// A column, or `Corrupt` when it has an unexpected type.
fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index)
        .map_err(|e| corrupt(format!("column {index}: {e}")))
}

pub(super) fn user_id(value: i64) -> Result<UserId, StoreError> {
    u64::try_from(value)
        .ok()
        .and_then(UserId::new)
        .ok_or_else(|| corrupt(format!("user id {value}")))
}

pub(super) fn photo_id(value: i64) -> Result<PhotoId, StoreError> {
    u64::try_from(value)
        .ok()
        .and_then(PhotoId::new)
        .ok_or_else(|| corrupt(format!("photo id {value}")))
}

pub(super) fn username(value: &str) -> Result<Username, StoreError> {
    Username::parse(value).map_err(|e| corrupt(format!("username {value:?}: {e}")))
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(format!("count {value}")))
}

/// `id, username, email, created_at`.
pub(super) fn user(row: &Row) -> Result<User, StoreError> {
    let email: &str = get(row, 2)?;
    Ok(User {
        id: user_id(get(row, 0)?)?,
        username: username(get(row, 1)?)?,
        email: Email::parse(email).map_err(|e| corrupt(format!("email: {e}")))?,
        created_at: get::<DateTime<Utc>>(row, 3)?,
    })
}

/// The columns of `sql::photo_columns!`.
pub(super) fn photo_view(row: &Row) -> Result<PhotoView, StoreError> {
    let id = photo_id(get(row, 0)?)?;
    let caption: &str = get(row, 3)?;
    let media_key: &str = get(row, 4)?;
    let content_type: &str = get(row, 5)?;
    let dimension = |index| -> Result<u32, StoreError> {
        let value: i64 = get(row, index)?;
        u32::try_from(value).map_err(|_| corrupt(format!("photo {id}: dimension {value}")))
    };
    Ok(PhotoView {
        photo: Photo {
            id,
            author: user_id(get(row, 1)?)?,
            author_username: username(get(row, 2)?)?,
            caption: Caption::parse(caption)
                .map_err(|e| corrupt(format!("photo {id}: caption: {e}")))?,
            media_key: MediaKey::parse(media_key)
                .map_err(|e| corrupt(format!("photo {id}: media key: {e}")))?,
            content_type: ImageType::from_extension(content_type)
                .ok_or_else(|| corrupt(format!("photo {id}: content type {content_type:?}")))?,
            width: dimension(6)?,
            height: dimension(7)?,
            created_at: get(row, 8)?,
            like_count: count(get(row, 9)?)?,
        },
        liked_by_viewer: get(row, 10)?,
    })
}

pub(super) fn like_count(value: i64) -> Result<u64, StoreError> {
    count(value)
}

pub(super) fn counts(row: &Row, first: usize) -> Result<[u64; 3], StoreError> {
    Ok([
        count(get(row, first)?)?,
        count(get(row, first + 1)?)?,
        count(get(row, first + 2)?)?,
    ])
}

pub(super) fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
) -> Result<T, StoreError> {
    get(row, index)
}
