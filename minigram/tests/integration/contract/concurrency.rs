use std::sync::Arc;

use minigram::{Email, Password, RegisterError, Username};

use crate::contract::harness::Harness;

pub async fn concurrent_registrations_of_one_username_have_one_winner(h: &Harness) {
    let app = Arc::new(h.app.clone());
    let mut tasks = Vec::new();
    for i in 0..32 {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            app.register(
                Username::parse("popular").unwrap(),
                Email::parse(&format!("p{i}@example.com")).unwrap(),
                Password::parse("password123").unwrap(),
            )
            .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => winners += 1,
            Err(RegisterError::UsernameTaken) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(winners, 1);
}

pub async fn concurrent_likes_are_all_counted(h: &Harness) {
    let author = h.user("author").await;
    let photo = h.post(author, "p").await.id;
    let mut users = Vec::new();
    for i in 0..40 {
        users.push(h.user(&format!("liker{i}")).await);
    }
    let mut tasks = Vec::new();
    for user in users {
        let app = h.app.clone();
        tasks.push(tokio::spawn(async move { app.like(user, photo).await }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        h.app.photo(photo, author).await.unwrap().photo.like_count,
        40
    );
}
