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
