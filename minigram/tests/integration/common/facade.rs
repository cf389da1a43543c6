//! Facade-level helpers of the feed tests: a registered user, and the
//! check that a home feed equals the pull feed.
#![allow(dead_code)]

use minigram::{Email, Minigram, PageRequest, Password, UserId, Username};

/// Registers `name` (email `<name>@example.com`) and returns its id.
pub async fn register(app: &Minigram, name: &str) -> UserId {
    app.register(
        Username::parse(name).unwrap(),
        Email::parse(&format!("{name}@example.com")).unwrap(),
        Password::parse("password123").unwrap(),
    )
    .await
    .unwrap()
    .user
    .id
}

/// `user`'s first home-feed page equals their pull feed's.
pub async fn assert_home_is_pull(app: &Minigram, user: UserId) {
    let home = app.home_feed(user, PageRequest::default()).await.unwrap();
    let pull = app
        .store()
        .followed_photos(user, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(home, pull, "home feed of user {user}");
}
