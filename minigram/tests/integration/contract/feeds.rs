use std::collections::HashSet;

use minigram::{PageLimit, PageRequest, PhotoId, ReadError, UserId};

use crate::contract::harness::Harness;

fn ids(page: &minigram::FeedPage) -> Vec<u64> {
    page.items.iter().map(|v| v.photo.id.get()).collect()
}

fn limit(n: usize) -> PageRequest {
    PageRequest::first(PageLimit::new(n).unwrap())
}

pub async fn home_feed_holds_own_and_followed_photos_newest_first(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    let cy = h.user("cyd").await;
    let a1 = h.post(ada, "a1").await.id;
    let b1 = h.post(bob, "b1").await.id;
    let _c1 = h.post(cy, "c1").await.id;
    let a2 = h.post(ada, "a2").await.id;
    h.app.follow(ada, bob).await.unwrap();
    h.settle().await;
    let feed = h.app.home_feed(ada, PageRequest::default()).await.unwrap();
    assert_eq!(ids(&feed), vec![a2.get(), b1.get(), a1.get()]);
    assert!(feed.next_cursor.is_none());
    h.app.unfollow(ada, bob).await.unwrap();
    h.settle().await;
    let feed = h.app.home_feed(ada, PageRequest::default()).await.unwrap();
    assert_eq!(ids(&feed), vec![a2.get(), a1.get()]);
}

pub async fn home_feed_merges_a_hundred_followees(h: &Harness) {
    let viewer = h.user("viewer").await;
    let mut authors = Vec::new();
    for i in 0..100 {
        let author = h
            .app
            .store()
            .create_user(minigram::store::NewUser {
                username: minigram::Username::parse(&format!("author{i}")).unwrap(),
                email: minigram::Email::parse(&format!("author{i}@example.com")).unwrap(),
                password_hash: "unused".into(),
                created_at: chrono::Utc::now(),
            })
            .await
            .unwrap()
            .id;
        h.app.follow(viewer, author).await.unwrap();
        authors.push(author);
    }
    // Three rounds of posts interleaved across authors.
    let mut posted = Vec::new();
    for round in 0..3 {
        for (i, author) in authors.iter().enumerate() {
            if (i + round) % 2 == 0 {
                posted.push(h.post(*author, "x").await.id.get());
            }
        }
    }
    posted.reverse();
    let mut seen = Vec::new();
    let mut page = limit(40);
    loop {
        h.settle().await;
        let feed = h.app.home_feed(viewer, page).await.unwrap();
        seen.extend(ids(&feed));
        match feed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, posted);
}

pub async fn pages_cover_every_photo_exactly_once(h: &Harness) {
    let ada = h.user("ada").await;
    for i in 0..10 {
        h.post(ada, &format!("p{i}")).await;
    }
    let mut seen = Vec::new();
    let mut page = limit(3);
    let mut pages = 0;
    loop {
        h.settle().await;
        let feed = h.app.home_feed(ada, page).await.unwrap();
        assert!(feed.items.len() <= 3);
        pages += 1;
        seen.extend(ids(&feed));
        match feed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, (1..=10).rev().collect::<Vec<_>>());
}

pub async fn paging_neither_repeats_nor_skips_while_photos_are_posted(h: &Harness) {
    let ada = h.user("ada").await;
    for _ in 0..12 {
        h.post(ada, "old").await;
    }
    let mut seen = Vec::new();
    let mut page = limit(5);
    loop {
        let feed = h.app.global_feed(ada, page).await.unwrap();
        seen.extend(ids(&feed));
        // New photos arrive between pages.
        h.post(ada, "new").await;
        match feed.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen, (1..=12).rev().collect::<Vec<_>>());
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
}

pub async fn global_feed_holds_everyone_newest_first(h: &Harness) {
    let ada = h.user("ada").await;
    let bob = h.user("bob").await;
    let p1 = h.post(ada, "1").await.id;
    let p2 = h.post(bob, "2").await.id;
    let feed = h
        .app
        .global_feed(ada, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&feed), vec![p2.get(), p1.get()]);
    assert_eq!(feed.items[0].photo.author_username.as_str(), "bob");
    let bobs = h
        .app
        .user_photos(bob, ada, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(ids(&bobs), vec![p2.get()]);
}

pub async fn user_photos_of_unknown_user_is_not_found(h: &Harness) {
    let ada = h.user("ada").await;
    let ghost = UserId::new(55).unwrap();
    let err = h
        .app
        .user_photos(ghost, ada, PageRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ReadError::UserNotFound(id) if id == ghost),
        "{err:?}"
    );
}

pub async fn empty_feed_has_no_cursor(h: &Harness) {
    let ada = h.user("ada").await;
    h.settle().await;
    let feed = h.app.home_feed(ada, PageRequest::default()).await.unwrap();
    assert!(feed.items.is_empty());
    assert!(feed.next_cursor.is_none());
    // A cursor beyond every photo gives an empty page, not an error.
    let page = PageRequest {
        cursor: Some(minigram::Cursor::after(PhotoId::new(1).unwrap())),
        ..PageRequest::default()
    };
    let feed = h.app.global_feed(ada, page).await.unwrap();
    assert!(feed.items.is_empty());
}
