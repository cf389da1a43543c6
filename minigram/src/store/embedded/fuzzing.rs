//! The embedded store's row decoding, reachable from the `record_decoder`
//! fuzz target (through [`crate::fuzzing`]); compiled only under
//! `cfg(fuzzing)`.

use super::read_ops::{to_photo, to_user};
use super::records::{PhotoRecord, UserRecord, decode, encode};
use crate::domain::{Caption, Email, Photo, PhotoId, User, UserId, Username};
use crate::error::StoreError;
use crate::media::{ImageType, MediaKey};

/// A `users` value read as the store reads it (decoded, then made the
/// [`User`] it hands out; the id is the key, so id 1 stands for any),
/// with the bytes the store would write for the decoded record.
pub fn user_row(bytes: &[u8]) -> Result<(User, Vec<u8>), StoreError> {
    let record: UserRecord = decode("user 1", bytes)?;
    let encoded = encode(&record)?;
    Ok((to_user(UserId::MIN, record), encoded))
}

/// A `photos` value read as the store reads it (decoded, then made the
/// [`Photo`] it hands out, with id 1 and no likes), with the bytes the
/// store would write for the decoded record.
pub fn photo_row(bytes: &[u8]) -> Result<(Photo, Vec<u8>), StoreError> {
    let record: PhotoRecord = decode("photo 1", bytes)?;
    let encoded = encode(&record)?;
    Ok((to_photo(PhotoId::MIN, record, 0)?, encoded))
}

/// Rows as this release writes them, for the seed corpus: named
/// `user-*` and `photo-*`.
pub fn sample_rows() -> Vec<(String, Vec<u8>)> {
    let user = UserRecord {
        username: Username::parse("ada.lovelace_1815").expect("a valid username"),
        email: Email::parse("ada@example.com").expect("a valid email"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        created_at_ms: 1_764_618_000_000,
    };
    let mut rows = vec![("user-ada".to_owned(), encode(&user).expect("encodes"))];
    for (i, content_type) in ImageType::ALL.into_iter().enumerate() {
        let photo = PhotoRecord {
            author: 1,
            author_username: Username::parse("bob").expect("a valid username"),
            caption: Caption::parse(if i == 0 {
                ""
            } else {
                "sunset ☀ over the bay"
            })
            .expect("a valid caption"),
            media_key: MediaKey::new([i as u8; 32], content_type),
            content_type,
            width: 640,
            height: 480,
            created_at_ms: 1_764_618_000_123,
        };
        let name = format!("photo-{}", content_type.extension());
        rows.push((name, encode(&photo).expect("encodes")));
    }
    rows
}
