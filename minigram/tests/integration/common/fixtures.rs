//! Store-level test data: users (with a placeholder hash, no hashing cost)
//! and photos (media already "stored"). Each test binary uses a subset.
#![allow(dead_code)]

use minigram::media::{ImageType, MediaKey, StoredMedia};
use minigram::store::{NewPhoto, NewUser, Store};
use minigram::{Caption, Email, PhotoId, UserId, Username};

/// A user named `name`, email `<name>@example.com`.
pub fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: Email::parse(&format!("{name}@example.com")).unwrap(),
        password_hash: "not-a-hash".into(),
        created_at: chrono::Utc::now(),
    }
}

/// A 1×1 PNG photo by `author`; `n` makes its media key distinct.
pub fn new_photo(author: UserId, n: u64) -> NewPhoto {
    NewPhoto {
        author,
        caption: Caption::parse("p").unwrap(),
        media: StoredMedia {
            key: MediaKey::parse(&format!("{n:064x}.png")).unwrap(),
            content_type: ImageType::Png,
            width: 1,
            height: 1,
        },
        created_at: chrono::Utc::now(),
    }
}

/// Creates the user `name` and returns its id.
pub async fn user(store: &dyn Store, name: &str) -> UserId {
    store.create_user(new_user(name)).await.unwrap().id
}

/// Posts photo `n` by `author` and returns its id.
pub async fn photo(store: &dyn Store, author: UserId, n: u64) -> PhotoId {
    store.create_photo(new_photo(author, n)).await.unwrap().id
}

/// The smallest byte string that reads as a PNG of the given size: the
/// signature and an IHDR chunk (the CRC is not checked by the detector).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0]);
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes
}
